//! OpenQASM 2.0 import.
//!
//! Supported: the header `OPENQASM 2.0;`, `include "qelib1.inc";`, one `qreg`, any number of
//! `creg`s, the `qelib1.inc` gate set as current tools ship it (`u1 u2 u3 U u p id x y z h s
//! sdg t tdg sx sxdg rx ry rz cx CX cy cz ch swap ccx cswap crx cry crz cu1 cp cu3 cu csx rxx
//! ryy rzz u0 rccx rc3x c3x c3sqrtx c4x`; those the simulator has no kernel for are expanded
//! with qelib1's own definitions), user `gate` definitions (expanded at each call; a body may call built-ins and
//! earlier definitions), register broadcasting (`h q;`), `barrier` and `measure` (both ignored:
//! the simulator computes expectations of the final pure state), `//` comments. Angles are
//! arithmetic over numbers, `pi`, gate parameters, `+ - * / ^`, and `sin cos tan exp ln sqrt`.
//!
//! **Parameters.** Every angle expression written in a top-level gate call becomes one
//! differentiable parameter (a circuit weight), numbered in order of appearance; its initial
//! value is the expression's value. A `u3(a,b,c)` contributes three, a broadcast `rx(0.1) q;`
//! one (shared by the gates it expands to). Inside user gate bodies, angles that depend on the
//! gate's parameters become expressions of the call-site parameters, so gradients flow back
//! through them by the chain rule; angles that are constant there stay constant.
//!
//! Rejected with line and column: `reset`, `if`, `opaque`, a second `qreg`, other includes,
//! unknown gates or identifiers, wrong argument counts, out-of-range or repeated qubits.

use super::circuit::{Angle, Circuit, Func};
use super::gates::Gate;
use super::ParseError;
use std::collections::HashMap;

type PResult<T> = std::result::Result<T, ParseError>;

/// A parsed program: the circuit (weights = the file's angle parameters) and their values.
#[derive(Debug, Clone, PartialEq)]
pub struct QasmProgram {
    /// The circuit; its weights are the angle parameters in order of appearance.
    pub circuit: Circuit,
    /// Initial parameter values (as written in the file).
    pub params: Vec<f64>,
    /// `(line, column)` of each parameter's expression.
    pub param_positions: Vec<(usize, usize)>,
    /// The quantum register's name.
    pub qreg: String,
}

/// Parses OpenQASM 2.0 source.
pub fn parse_qasm(source: &str) -> PResult<QasmProgram> {
    let mut p = Parser::new(source)?;
    // The qelib1 gates that are not native to the simulator, with qelib1's own definitions.
    let mut prelude = Parser::new(PRELUDE)?;
    prelude.in_prelude = true;
    prelude.program()?;
    p.defs = prelude.defs;
    p.program()?;
    p.finish()
}

const PRELUDE: &str = "
gate cu3(theta,phi,lambda) c, t { u1((lambda+phi)/2) c; u1((lambda-phi)/2) t; cx c,t; u3(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u3(theta/2,phi,0) t; }
gate cu(theta,phi,lambda,gamma) c, t { p(gamma) c; p((lambda+phi)/2) c; p((lambda-phi)/2) t; cx c,t; u(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u(theta/2,phi,0) t; }
gate csx a,b { h b; cu1(pi/2) a,b; h b; }
gate u0(gamma) q { U(0,0,0) q; }
gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b, c; u1(-pi/4) c; cx a, c; u1(pi/4) c; cx b, c; u1(-pi/4) c; u2(0,pi) c; }
gate rc3x a,b,c,d { u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; cx a,d; u1(pi/4) d; cx b,d; u1(-pi/4) d; u2(0,pi) d; u1(pi/4) d; cx c,d; u1(-pi/4) d; u2(0,pi) d; }
gate c3x a,b,c,d { h d; cu1(pi/4) a,d; h d; cx a,b; h d; cu1(-pi/4) b,d; h d; cx a,b; h d; cu1(pi/4) b,d; h d; cx b,c; h d; cu1(-pi/4) c,d; h d; cx a,c; h d; cu1(pi/4) c,d; h d; cx b,c; h d; cu1(-pi/4) c,d; h d; cx a,c; h d; cu1(pi/4) c,d; h d; }
gate c3sqrtx a,b,c,d { h d; cu1(pi/8) a,d; h d; cx a,b; h d; cu1(-pi/8) b,d; h d; cx a,b; h d; cu1(pi/8) b,d; h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d; cx b,c; h d; cu1(-pi/8) c,d; h d; cx a,c; h d; cu1(pi/8) c,d; h d; }
gate c4x a,b,c,d,e { h e; cu1(pi/2) d,e; h e; c3x a,b,c,d; h e; cu1(-pi/2) d,e; h e; c3x a,b,c,d; c3sqrtx a,b,c,e; }
";

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Num { value: f64, int: Option<usize> },
    Str(String),
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    tok: Tok,
    line: usize,
    col: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Num { value, .. } => format!("number `{value}`"),
        Tok::Str(s) => format!("string \"{s}\""),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::Eof => "end of file".into(),
    }
}

fn lex(src: &str) -> PResult<Vec<Token>> {
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let mut out = Vec::new();
    let err = |line, col, message: String| {
        Err(ParseError {
            line,
            column: col,
            message,
        })
    };
    while i < chars.len() {
        let c = chars[i];
        let (l0, c0) = (line, col);
        let adv = |i: &mut usize, col: &mut usize, k: usize| {
            *i += k;
            *col += k;
        };
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
        } else if c.is_whitespace() {
            adv(&mut i, &mut col, 1);
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                adv(&mut i, &mut col, 1);
            }
        } else if c.is_ascii_alphabetic() || c == '_' {
            let s = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                adv(&mut i, &mut col, 1);
            }
            out.push(Token {
                tok: Tok::Ident(chars[s..i].iter().collect()),
                line: l0,
                col: c0,
            });
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let s = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                adv(&mut i, &mut col, 1);
            }
            let mut is_int = true;
            if i < chars.len() && chars[i] == '.' {
                is_int = false;
                adv(&mut i, &mut col, 1);
                while i < chars.len() && chars[i].is_ascii_digit() {
                    adv(&mut i, &mut col, 1);
                }
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    is_int = false;
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    let k = j - i;
                    adv(&mut i, &mut col, k);
                }
            }
            let text: String = chars[s..i].iter().collect();
            let value: f64 = match text.parse() {
                Ok(v) => v,
                Err(_) => return err(l0, c0, format!("malformed number `{text}`")),
            };
            let int = if is_int { text.parse::<usize>().ok() } else { None };
            out.push(Token {
                tok: Tok::Num { value, int },
                line: l0,
                col: c0,
            });
        } else if c == '"' {
            let s = i + 1;
            adv(&mut i, &mut col, 1);
            while i < chars.len() && chars[i] != '"' && chars[i] != '\n' {
                adv(&mut i, &mut col, 1);
            }
            if i >= chars.len() || chars[i] != '"' {
                return err(l0, c0, "unterminated string".into());
            }
            let text: String = chars[s..i].iter().collect();
            adv(&mut i, &mut col, 1);
            out.push(Token {
                tok: Tok::Str(text),
                line: l0,
                col: c0,
            });
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym: &'static str = match (two.as_str(), c) {
                ("->", _) => "->",
                ("==", _) => "==",
                (_, ';') => ";",
                (_, ',') => ",",
                (_, '(') => "(",
                (_, ')') => ")",
                (_, '[') => "[",
                (_, ']') => "]",
                (_, '{') => "{",
                (_, '}') => "}",
                (_, '+') => "+",
                (_, '-') => "-",
                (_, '*') => "*",
                (_, '/') => "/",
                (_, '^') => "^",
                _ => return err(l0, c0, format!("unexpected character `{c}`")),
            };
            adv(&mut i, &mut col, sym.len());
            out.push(Token {
                tok: Tok::Sym(sym),
                line: l0,
                col: c0,
            });
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
        col,
    });
    Ok(out)
}

/// An angle expression as written, with the position of each identifier for errors.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Num(f64),
    Pi,
    Ident(String, usize, usize),
    Neg(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    Call(Func, Box<Expr>),
}

/// A gate call inside a definition body.
#[derive(Debug, Clone, PartialEq)]
struct BodyCall {
    name: String,
    line: usize,
    col: usize,
    args: Vec<Expr>,
    qargs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct GateDef {
    params: Vec<String>,
    qargs: Vec<String>,
    body: Vec<BodyCall>,
}

/// A built-in: the native gate, its angle count and qubit count.
fn builtin(name: &str) -> Option<Gate> {
    Some(match name {
        "u3" | "U" | "u" => Gate::U3,
        "u2" => Gate::U2,
        "u1" | "p" => Gate::P,
        "id" => Gate::I,
        "x" => Gate::X,
        "y" => Gate::Y,
        "z" => Gate::Z,
        "h" => Gate::H,
        "s" => Gate::S,
        "sdg" => Gate::Sdg,
        "t" => Gate::T,
        "tdg" => Gate::Tdg,
        "sx" => Gate::SX,
        "sxdg" => Gate::SXdg,
        "rx" => Gate::RX,
        "ry" => Gate::RY,
        "rz" => Gate::RZ,
        "cx" | "CX" => Gate::CNOT,
        "cy" => Gate::CY,
        "cz" => Gate::CZ,
        "ch" => Gate::CH,
        "swap" => Gate::SWAP,
        "ccx" => Gate::Toffoli,
        "cswap" => Gate::CSWAP,
        "crx" => Gate::CRX,
        "cry" => Gate::CRY,
        "crz" => Gate::CRZ,
        "cu1" | "cp" => Gate::CPhase,
        "rxx" => Gate::RXX,
        "ryy" => Gate::RYY,
        "rzz" => Gate::RZZ,
        _ => return None,
    })
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    defs: HashMap<String, GateDef>,
    qreg: Option<(String, usize)>,
    cregs: HashMap<String, usize>,
    circuit: Option<Circuit>,
    params: Vec<f64>,
    param_positions: Vec<(usize, usize)>,
    seen_header: bool,
    in_prelude: bool,
    /// Qubits already measured: a later gate on one would need mid-circuit measurement.
    measured: Vec<usize>,
    /// Gates the file itself defined (it may redefine prelude gates once, e.g. when it
    /// inlines qelib1.inc instead of including it, but not its own).
    defined_here: Vec<String>,
}

impl Parser {
    fn new(src: &str) -> PResult<Parser> {
        Ok(Parser {
            toks: lex(src)?,
            pos: 0,
            defs: HashMap::new(),
            qreg: None,
            cregs: HashMap::new(),
            circuit: None,
            params: Vec::new(),
            param_positions: Vec::new(),
            seen_header: false,
            in_prelude: false,
            measured: Vec::new(),
            defined_here: Vec::new(),
        })
    }

    fn peek(&self) -> &Token {
        &self.toks[self.pos]
    }
    fn next(&mut self) -> Token {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }
    fn err<T>(&self, t: &Token, msg: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            line: t.line,
            column: t.col,
            message: msg.into(),
        })
    }
    fn is_sym(&self, s: &str) -> bool {
        self.peek().tok
            == Tok::Sym(match s {
                ";" => ";",
                "," => ",",
                "(" => "(",
                ")" => ")",
                "[" => "[",
                "]" => "]",
                "{" => "{",
                "}" => "}",
                "->" => "->",
                _ => return false,
            })
    }
    fn expect_sym(&mut self, s: &str) -> PResult<Token> {
        if self.is_sym(s) {
            Ok(self.next())
        } else {
            let t = self.peek().clone();
            self.err(&t, format!("expected `{s}`, found {}", describe(&t.tok)))
        }
    }
    fn ident(&mut self, what: &str) -> PResult<(String, Token)> {
        let t = self.next();
        match &t.tok {
            Tok::Ident(s) => Ok((s.clone(), t.clone())),
            other => self.err(&t, format!("expected {what}, found {}", describe(other))),
        }
    }
    fn int(&mut self, what: &str) -> PResult<(usize, Token)> {
        let t = self.next();
        match &t.tok {
            Tok::Num { int: Some(v), .. } => Ok((*v, t.clone())),
            other => self.err(
                &t,
                format!(
                    "expected {what} (a non-negative integer), found {}",
                    describe(other)
                ),
            ),
        }
    }

    fn program(&mut self) -> PResult<()> {
        loop {
            let t = self.peek().clone();
            let Tok::Ident(word) = &t.tok else {
                if t.tok == Tok::Eof {
                    return Ok(());
                }
                return self.err(&t, format!("expected a statement, found {}", describe(&t.tok)));
            };
            if !self.seen_header && !self.in_prelude && word != "OPENQASM" {
                return self.err(&t, "expected the header `OPENQASM 2.0;` first");
            }
            match word.as_str() {
                "OPENQASM" => self.header()?,
                "include" => self.include()?,
                "qreg" => self.qreg_decl()?,
                "creg" => self.creg_decl()?,
                "gate" => self.gate_def()?,
                "barrier" => {
                    self.next();
                    self.qargs_top()?;
                    self.expect_sym(";")?;
                }
                "measure" => self.measure()?,
                "opaque" => {
                    return self.err(&t, "`opaque` gates are not supported (no definition to simulate)")
                }
                "reset" => {
                    return self.err(
                        &t,
                        "`reset` is not supported: the simulator computes expectations of pure states",
                    )
                }
                "if" => {
                    return self.err(
                        &t,
                        "classically controlled `if` is not supported: measurements are not simulated",
                    )
                }
                _ => self.gate_call()?,
            }
        }
    }

    fn header(&mut self) -> PResult<()> {
        let t = self.next();
        if self.seen_header {
            return self.err(&t, "duplicate `OPENQASM` header");
        }
        let v = self.next();
        match v.tok {
            Tok::Num { value, .. } if (2.0..3.0).contains(&value) => {}
            _ => {
                return self.err(
                    &v,
                    format!("only OpenQASM 2.0 is supported, found {}", describe(&v.tok)),
                )
            }
        }
        self.expect_sym(";")?;
        self.seen_header = true;
        Ok(())
    }

    fn include(&mut self) -> PResult<()> {
        self.next();
        let t = self.next();
        match &t.tok {
            Tok::Str(s) if s == "qelib1.inc" => {}
            Tok::Str(s) => {
                return self.err(
                    &t,
                    format!("cannot include \"{s}\": only \"qelib1.inc\" is built in"),
                )
            }
            other => {
                return self.err(
                    &t,
                    format!("expected a file name string, found {}", describe(other)),
                )
            }
        }
        self.expect_sym(";")?;
        Ok(())
    }

    fn qreg_decl(&mut self) -> PResult<()> {
        let kw = self.next();
        let (name, _) = self.ident("a register name")?;
        self.expect_sym("[")?;
        let (size, st) = self.int("a register size")?;
        self.expect_sym("]")?;
        self.expect_sym(";")?;
        if self.qreg.is_some() {
            return self.err(&kw, "only one quantum register is supported");
        }
        if self.cregs.contains_key(&name) {
            return self.err(&kw, format!("`{name}` is already a classical register"));
        }
        let circuit = Circuit::new(size).map_err(|e| ParseError {
            line: st.line,
            column: st.col,
            message: e.to_string(),
        })?;
        self.circuit = Some(circuit);
        self.qreg = Some((name, size));
        Ok(())
    }

    fn creg_decl(&mut self) -> PResult<()> {
        let kw = self.next();
        let (name, _) = self.ident("a register name")?;
        self.expect_sym("[")?;
        let (size, _) = self.int("a register size")?;
        self.expect_sym("]")?;
        self.expect_sym(";")?;
        if self.cregs.contains_key(&name) || self.qreg.as_ref().is_some_and(|(q, _)| *q == name) {
            return self.err(&kw, format!("register `{name}` declared twice"));
        }
        self.cregs.insert(name, size);
        Ok(())
    }

    /// `measure q[i] -> c[j];` — checked, then ignored.
    fn measure(&mut self) -> PResult<()> {
        self.next();
        let q = self.qargs_top()?;
        if q.len() != 1 {
            let t = self.peek().clone();
            return self.err(&t, "`measure` takes one quantum argument");
        }
        self.measured.extend(&q[0].0);
        self.expect_sym("->")?;
        let (name, t) = self.ident("a classical register")?;
        let Some(&size) = self.cregs.get(&name) else {
            return self.err(&t, format!("`{name}` is not a declared classical register"));
        };
        let bits = if self.is_sym("[") {
            self.next();
            let (i, it) = self.int("a bit index")?;
            if i >= size {
                return self.err(&it, format!("bit {i} out of range for `{name}[{size}]`"));
            }
            self.expect_sym("]")?;
            1
        } else {
            size
        };
        if bits != q[0].0.len() {
            return self.err(
                &t,
                format!("`measure` maps {} qubit(s) to {bits} bit(s)", q[0].0.len()),
            );
        }
        self.expect_sym(";")?;
        Ok(())
    }

    fn gate_def(&mut self) -> PResult<()> {
        self.next();
        let (name, nt) = self.ident("a gate name")?;
        if self.defined_here.contains(&name) {
            return self.err(&nt, format!("gate `{name}` is already defined"));
        }
        if !self.in_prelude {
            self.defined_here.push(name.clone());
        }
        if name == "U" || name == "CX" {
            return self.err(
                &nt,
                format!("`{name}` is a built-in primitive and cannot be redefined"),
            );
        }
        let mut params = Vec::new();
        if self.is_sym("(") {
            self.next();
            if !self.is_sym(")") {
                loop {
                    params.push(self.ident("a parameter name")?.0);
                    if self.is_sym(",") {
                        self.next();
                    } else {
                        break;
                    }
                }
            }
            self.expect_sym(")")?;
        }
        let mut qargs: Vec<String> = Vec::new();
        loop {
            let (q, qt) = self.ident("a qubit argument name")?;
            if qargs.contains(&q) {
                return self.err(&qt, format!("qubit argument `{q}` repeated"));
            }
            qargs.push(q);
            if self.is_sym(",") {
                self.next();
            } else {
                break;
            }
        }
        self.expect_sym("{")?;
        let mut body = Vec::new();
        while !self.is_sym("}") {
            let (cname, ct) = self.ident("a gate call or `}`")?;
            if cname == "barrier" {
                while !self.is_sym(";") {
                    let t = self.next();
                    if t.tok == Tok::Eof {
                        return self.err(&t, "unterminated `barrier`");
                    }
                }
                self.next();
                continue;
            }
            if builtin(&cname).is_none() && !self.defs.contains_key(&cname) {
                let msg = if cname == name {
                    format!("gate `{name}` cannot call itself")
                } else {
                    format!("unknown gate `{cname}` (built-ins are the qelib1.inc set; user gates must be defined before use)")
                };
                return self.err(&ct, msg);
            }
            let args = self.call_args()?;
            for a in &args {
                check_idents(a, &params)?;
            }
            let mut cq = Vec::new();
            loop {
                let (q, qt) = self.ident("a qubit argument")?;
                if !qargs.contains(&q) {
                    return self.err(&qt, format!("`{q}` is not a qubit argument of gate `{name}`"));
                }
                if cq.contains(&q) {
                    return self.err(&qt, format!("qubit argument `{q}` used twice in one call"));
                }
                cq.push(q);
                if self.is_sym(",") {
                    self.next();
                } else {
                    break;
                }
            }
            self.expect_sym(";")?;
            self.check_arity(&cname, &ct, args.len(), cq.len())?;
            body.push(BodyCall {
                name: cname,
                line: ct.line,
                col: ct.col,
                args,
                qargs: cq,
            });
        }
        self.next();
        self.defs.insert(name, GateDef { params, qargs, body });
        Ok(())
    }

    /// `( expr, … )` or nothing.
    fn call_args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        if self.is_sym("(") {
            self.next();
            if !self.is_sym(")") {
                loop {
                    args.push(self.expr()?);
                    if self.is_sym(",") {
                        self.next();
                    } else {
                        break;
                    }
                }
            }
            self.expect_sym(")")?;
        }
        Ok(args)
    }

    fn check_arity(&self, name: &str, t: &Token, nargs: usize, nq: usize) -> PResult<()> {
        let (na, nqw) = match (self.defs.get(name), builtin(name)) {
            (Some(d), _) => (d.params.len(), d.qargs.len()),
            (None, Some(g)) => (g.num_angles(), g.num_qubits()),
            (None, None) => return self.err(t, format!("unknown gate `{name}`")),
        };
        if nargs != na {
            return self.err(t, format!("gate `{name}` takes {na} parameter(s), got {nargs}"));
        }
        if nq != nqw {
            return self.err(t, format!("gate `{name}` acts on {nqw} qubit(s), got {nq}"));
        }
        Ok(())
    }

    /// Top-level quantum arguments: `q[i]` (one qubit) or `q` (the whole register).
    fn qargs_top(&mut self) -> PResult<Vec<(Vec<usize>, Token)>> {
        let mut out = Vec::new();
        loop {
            let (name, t) = self.ident("a qubit such as `q[0]`")?;
            let Some((qname, size)) = self.qreg.clone() else {
                return self.err(&t, "no quantum register declared before this use");
            };
            if name != qname {
                let what = if self.cregs.contains_key(&name) {
                    "a classical register"
                } else {
                    "not declared"
                };
                return self.err(
                    &t,
                    format!("`{name}` is {what}; the quantum register is `{qname}`"),
                );
            }
            if self.is_sym("[") {
                self.next();
                let (i, it) = self.int("a qubit index")?;
                if i >= size {
                    return self.err(&it, format!("qubit {i} out of range for `{qname}[{size}]`"));
                }
                self.expect_sym("]")?;
                out.push((vec![i], t));
            } else {
                out.push(((0..size).collect(), t));
            }
            if self.is_sym(",") {
                self.next();
            } else {
                break;
            }
        }
        Ok(out)
    }

    fn gate_call(&mut self) -> PResult<()> {
        let (name, nt) = self.ident("a gate name")?;
        if builtin(&name).is_none() && !self.defs.contains_key(&name) {
            return self.err(&nt, format!("unknown or unsupported gate `{name}`"));
        }
        let mut args = Vec::new();
        let mut positions = Vec::new();
        if self.is_sym("(") {
            self.next();
            if !self.is_sym(")") {
                loop {
                    let t = self.peek().clone();
                    let e = self.expr()?;
                    check_idents(&e, &[])?;
                    args.push(e);
                    positions.push((t.line, t.col));
                    if self.is_sym(",") {
                        self.next();
                    } else {
                        break;
                    }
                }
            }
            self.expect_sym(")")?;
        }
        let qargs = self.qargs_top()?;
        self.expect_sym(";")?;
        self.check_arity(&name, &nt, args.len(), qargs.len())?;
        // Broadcast: whole-register arguments iterate together.
        let width = qargs.iter().map(|(q, _)| q.len()).max().unwrap_or(1);
        let mut angles = Vec::with_capacity(args.len());
        for (e, (line, column)) in args.iter().zip(positions) {
            let value = to_angle(e, &HashMap::new()).eval(&[], &[]);
            if !value.is_finite() {
                return Err(ParseError {
                    line,
                    column,
                    message: format!("angle evaluates to {value}"),
                });
            }
            self.params.push(value);
            self.param_positions.push((line, column));
            angles.push(Angle::Weight(self.params.len() - 1));
        }
        for (qs, t) in &qargs {
            if let Some(q) = qs.iter().find(|q| self.measured.contains(q)) {
                return self.err(t, format!("gate `{name}` on qubit {q} after it was measured: mid-circuit measurement is not supported"));
            }
        }
        for j in 0..width {
            let qubits: Vec<usize> = qargs
                .iter()
                .map(|(q, _)| if q.len() == 1 { q[0] } else { q[j] })
                .collect();
            for (k, &q) in qubits.iter().enumerate() {
                if qubits[..k].contains(&q) {
                    return self.err(&qargs[k].1, format!("qubit {q} used twice in one `{name}`"));
                }
            }
            self.apply(&name, &nt, &angles, &qubits, 0)?;
        }
        Ok(())
    }

    /// Appends gate `name` (built-in or user-defined, expanded) to the circuit.
    fn apply(
        &mut self,
        name: &str,
        t: &Token,
        angles: &[Angle],
        qubits: &[usize],
        depth: usize,
    ) -> PResult<()> {
        if depth > 64 {
            return self.err(t, "gate definitions nested too deeply");
        }
        // User definitions shadow qelib1 names (the file's own definition is what it means).
        if let Some(def) = self.defs.get(name).cloned() {
            {
                let env: HashMap<String, Angle> =
                    def.params.iter().cloned().zip(angles.iter().cloned()).collect();
                for call in &def.body {
                    let a: Vec<Angle> = call.args.iter().map(|e| to_angle(e, &env)).collect();
                    let q: Vec<usize> = call
                        .qargs
                        .iter()
                        .map(|n| qubits[def.qargs.iter().position(|m| m == n).unwrap_or(0)])
                        .collect();
                    let inner = Token {
                        tok: Tok::Ident(call.name.clone()),
                        line: call.line,
                        col: call.col,
                    };
                    // Report errors of an expansion at the call site, not inside the definition.
                    self.apply(&call.name, &inner, &a, &q, depth + 1)
                        .map_err(|mut e| {
                            if !self.in_prelude {
                                e.message = format!(
                                    "{} (expanding `{name}` at line {}, column {})",
                                    e.message, t.line, t.col
                                );
                            }
                            e
                        })?;
                }
                return Ok(());
            }
        }
        let Some(gate) = builtin(name) else {
            return self.err(t, format!("unknown gate `{name}`"));
        };
        let circuit = match self.circuit.as_mut() {
            Some(c) => c,
            None => return self.err(t, "no quantum register declared before this gate"),
        };
        circuit
            .add(gate, qubits, angles.to_vec())
            .map(|_| ())
            .map_err(|e| ParseError {
                line: t.line,
                column: t.col,
                message: e.to_string(),
            })
    }

    fn finish(self) -> PResult<QasmProgram> {
        let (Some((qreg, _)), Some(mut circuit)) = (self.qreg, self.circuit) else {
            let t = self.toks.last().cloned().unwrap_or(Token {
                tok: Tok::Eof,
                line: 1,
                col: 1,
            });
            return Err(ParseError {
                line: t.line,
                column: t.col,
                message: "no quantum register (`qreg`) declared".into(),
            });
        };
        circuit.reserve_params(0, self.params.len());
        Ok(QasmProgram {
            circuit,
            params: self.params,
            param_positions: self.param_positions,
            qreg,
        })
    }

    // Expressions: precedence climbing, `^` right-associative and binding tighter than unary.
    fn expr(&mut self) -> PResult<Expr> {
        let mut lhs = self.term()?;
        while let Tok::Sym(op @ ("+" | "-")) = self.peek().tok {
            self.next();
            let rhs = self.term()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }
    fn term(&mut self) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        while let Tok::Sym(op @ ("*" | "/")) = self.peek().tok {
            self.next();
            let rhs = self.unary()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }
    fn unary(&mut self) -> PResult<Expr> {
        match self.peek().tok {
            Tok::Sym("-") => {
                self.next();
                Ok(Expr::Neg(Box::new(self.unary()?)))
            }
            Tok::Sym("+") => {
                self.next();
                self.unary()
            }
            _ => self.power(),
        }
    }
    fn power(&mut self) -> PResult<Expr> {
        let base = self.atom()?;
        if self.peek().tok == Tok::Sym("^") {
            self.next();
            let e = self.unary()?;
            return Ok(Expr::Bin("^", Box::new(base), Box::new(e)));
        }
        Ok(base)
    }
    fn atom(&mut self) -> PResult<Expr> {
        let t = self.next();
        match &t.tok {
            Tok::Num { value, .. } => Ok(Expr::Num(*value)),
            Tok::Sym("(") => {
                let e = self.expr()?;
                self.expect_sym(")")?;
                Ok(e)
            }
            Tok::Ident(s) if s == "pi" => Ok(Expr::Pi),
            Tok::Ident(s) => {
                let f = match s.as_str() {
                    "sin" => Some(Func::Sin),
                    "cos" => Some(Func::Cos),
                    "tan" => Some(Func::Tan),
                    "exp" => Some(Func::Exp),
                    "ln" => Some(Func::Ln),
                    "sqrt" => Some(Func::Sqrt),
                    _ => None,
                };
                match f {
                    Some(f) if self.is_sym("(") => {
                        self.next();
                        let e = self.expr()?;
                        self.expect_sym(")")?;
                        Ok(Expr::Call(f, Box::new(e)))
                    }
                    _ => Ok(Expr::Ident(s.clone(), t.line, t.col)),
                }
            }
            other => self.err(
                &t,
                format!("expected an angle expression, found {}", describe(other)),
            ),
        }
    }
}

/// Every identifier must be one of `params` (a gate's formal parameters).
fn check_idents(e: &Expr, params: &[String]) -> PResult<()> {
    match e {
        Expr::Num(_) | Expr::Pi => Ok(()),
        Expr::Ident(s, line, col) => {
            if params.contains(s) {
                Ok(())
            } else {
                Err(ParseError {
                    line: *line,
                    column: *col,
                    message: format!("unknown identifier `{s}` in angle expression"),
                })
            }
        }
        Expr::Neg(a) | Expr::Call(_, a) => check_idents(a, params),
        Expr::Bin(_, a, b) => {
            check_idents(a, params)?;
            check_idents(b, params)
        }
    }
}

/// The expression as an [`Angle`], with formal parameters replaced by the call's angles.
fn to_angle(e: &Expr, env: &HashMap<String, Angle>) -> Angle {
    match e {
        Expr::Num(v) => Angle::Const(*v),
        Expr::Pi => Angle::Const(std::f64::consts::PI),
        // `check_idents` ran at parse time, so every identifier is bound.
        Expr::Ident(s, ..) => env.get(s).cloned().unwrap_or(Angle::Const(f64::NAN)),
        Expr::Neg(a) => -to_angle(a, env),
        Expr::Call(f, a) => Angle::Call(*f, Box::new(to_angle(a, env))),
        Expr::Bin(op, a, b) => {
            let (a, b) = (Box::new(to_angle(a, env)), Box::new(to_angle(b, env)));
            match *op {
                "+" => Angle::Add(a, b),
                "-" => Angle::Sub(a, b),
                "*" => Angle::Mul(a, b),
                "/" => Angle::Div(a, b),
                _ => Angle::Pow(a, b),
            }
        }
    }
}

/// The `qasm` example's whole behaviour, as a library function so tests can run it:
/// `FILE.qasm --observable "0.5*Z0Z2 - 0.8*X1X2" [--grad] [--method adjoint|parameter-shift|finite-diff]`
/// returns the one-line JSON `{"expectation": …, "gradient": […]}` (gradient only with
/// `--grad`, one entry per angle parameter in order of appearance), or an error message that
/// names the file or option and the line and column.
pub fn run_cli(args: &[String]) -> std::result::Result<String, String> {
    use super::grad::{gradient, GradMethod};
    use super::Hamiltonian;
    const USAGE: &str = "usage: qasm FILE.qasm --observable \"0.5*Z0Z2 - 0.8*X1X2\" [--grad] [--method adjoint|parameter-shift|finite-diff]";
    let (mut file, mut observable, mut grad, mut method) = (None, None, false, GradMethod::Adjoint);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or(format!("{name} needs a value\n{USAGE}"))
        };
        match flag {
            "--observable" => observable = Some(value("--observable")?),
            "--method" => {
                method = value("--method")?
                    .parse()
                    .map_err(|e: crate::Error| e.to_string())?
            }
            "--grad" => grad = true,
            "-h" | "--help" => return Err(USAGE.into()),
            f if f.starts_with('-') => return Err(format!("unknown option `{f}`\n{USAGE}")),
            f if file.is_none() => file = Some(f.to_string()),
            f => return Err(format!("unexpected argument `{f}`\n{USAGE}")),
        }
    }
    let file = file.ok_or(format!("missing FILE.qasm\n{USAGE}"))?;
    let observable = observable.ok_or(format!("missing --observable\n{USAGE}"))?;
    let source = std::fs::read_to_string(&file).map_err(|e| format!("{file}: cannot read: {e}"))?;
    let program = parse_qasm(&source).map_err(|e| format!("{file}: {e}"))?;
    let h = Hamiltonian::parse_for(&observable, program.circuit.num_qubits())
        .map_err(|e| format!("--observable: {e}"))?;
    let num = |v: f64| {
        if v.is_finite() {
            format!("{v:?}")
        } else {
            "null".to_string()
        }
    };
    let g = if grad {
        gradient(&program.circuit, &[], &program.params, &h, method).map_err(|e| e.to_string())?
    } else {
        let value =
            super::grad::expectations(&program.circuit, &[], &program.params, std::slice::from_ref(&h))
                .map_err(|e| e.to_string())?[0];
        super::grad::Gradient {
            value,
            inputs: vec![],
            weights: vec![],
        }
    };
    let mut out = format!("{{\"expectation\": {}", num(g.value));
    if grad {
        let list: Vec<String> = g.weights.iter().map(|&v| num(v)).collect();
        out.push_str(&format!(", \"gradient\": [{}]", list.join(", ")));
    }
    out.push('}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parameters_in_order() {
        let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[3];\ncreg c[3];\n\
                   u3(0.1, pi/2, -2*pi/3) q[0];\nrx(0.5) q;\ncx q[0], q[1];\nbarrier q;\n\
                   measure q[0] -> c[0];\nmeasure q -> c;\n";
        let p = parse_qasm(src).unwrap();
        assert_eq!(p.params.len(), 4);
        assert!((p.params[1] - std::f64::consts::FRAC_PI_2).abs() < 1e-15);
        assert!((p.params[2] + 2.0 * std::f64::consts::PI / 3.0).abs() < 1e-15);
        assert_eq!(p.circuit.ops().len(), 5); // u3, 3× rx sharing one parameter, cx
        assert_eq!(p.circuit.num_weights(), 4);
        assert_eq!(p.param_positions[0], (5, 4));
        assert!(p.circuit.ops()[1..4]
            .iter()
            .all(|o| o.angles == vec![Angle::Weight(3)]));
    }

    /// Files that inline qelib1.inc's definitions instead of including it still parse, and
    /// mean the same.
    #[test]
    fn inlined_qelib1_definitions_are_accepted() {
        let src = "OPENQASM 2.0;\n\
                   gate u3(theta,phi,lambda) q { U(theta,phi,lambda) q; }\n\
                   gate cx c,t { CX c,t; }\n\
                   gate u1(lambda) q { U(0,0,lambda) q; }\n\
                   gate cu3(theta,phi,lambda) c, t { u1((lambda+phi)/2) c; u1((lambda-phi)/2) t; cx c,t; u3(-theta/2,0,-(phi+lambda)/2) t; cx c,t; u3(theta/2,phi,0) t; }\n\
                   qreg q[2];\nu3(0.3,0.2,0.1) q[0];\ncu3(0.7,0.1,-0.2) q[0],q[1];\n";
        let inlined = parse_qasm(src).unwrap();
        let included = parse_qasm(
            "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nu3(0.3,0.2,0.1) q[0];\ncu3(0.7,0.1,-0.2) q[0],q[1];\n",
        )
        .unwrap();
        assert_eq!(inlined.params, included.params);
        let a = inlined.circuit.run(&[], &inlined.params).unwrap();
        let b = included.circuit.run(&[], &included.params).unwrap();
        assert!((a.inner(&b).norm() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn user_gates_expand_with_chain_rule_angles() {
        let src = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\n\
                   gate g(a, b) x, y { ry(a*b + pi) x; cx x, y; rz(-a/2) y; h y; }\n\
                   qreg q[2];\ng(0.3, 2) q[1], q[0];\ncu3(0.1,0.2,0.3) q[0],q[1];\n";
        let p = parse_qasm(src).unwrap();
        assert_eq!(p.params, vec![0.3, 2.0, 0.1, 0.2, 0.3]);
        let op0 = &p.circuit.ops()[0];
        assert_eq!((op0.gate.clone(), op0.qubits.clone()), (Gate::RY, vec![1]));
        assert!((op0.angles[0].eval(&[], &p.params) - (0.6 + std::f64::consts::PI)).abs() < 1e-15);
        assert_eq!(p.circuit.ops()[1].qubits, vec![1, 0]);
        // cu3 expands to qelib1's six gates.
        assert_eq!(p.circuit.ops().len(), 4 + 6);
    }

    #[test]
    fn errors_name_line_and_column() {
        let cases: &[(&str, usize, usize)] = &[
            ("OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n", 3, 1),
            ("OPENQASM 2.0;\nqreg q[2];\nrx(0.1) q[2];\n", 3, 11),
            ("OPENQASM 2.0;\nqreg q[2];\nrx q[0];\n", 3, 1),
            ("OPENQASM 2.0;\nqreg q[2];\ncx q[0], q[0];\n", 3, 10),
            ("OPENQASM 2.0;\nqreg q[2];\nreset q[0];\n", 3, 1),
            ("OPENQASM 2.0;\nqreg q[2];\nqreg r[2];\n", 3, 1),
            ("OPENQASM 2.0;\nqreg q[2];\nrx(theta) q[0];\n", 3, 4),
            ("OPENQASM 2.0;\nqreg q[2];\nrx(0.1 q[0];\n", 3, 8),
            ("OPENQASM 3.0;\n", 1, 10),
            ("qreg q[1];\n", 1, 1),
            ("OPENQASM 2.0;\ninclude \"other.inc\";\n", 2, 9),
            ("OPENQASM 2.0;\nqreg q[2];\nh q[0]\nh q[1];\n", 4, 1),
            ("OPENQASM 2.0;\nqreg q[2];\ngate g a { foo a; }\n", 3, 12),
            ("OPENQASM 2.0;\nqreg q[1];\nh q[0]; $\n", 3, 9),
            ("OPENQASM 2.0;\ncreg c[1];\n", 3, 1),
            (
                "OPENQASM 2.0;\nqreg q[2];\ncreg c[2];\nmeasure q[1] -> c[1];\ncx q[0], q[1];\n",
                5,
                10,
            ),
            ("OPENQASM 2.0;\nqreg q[2];\nrx(1/0) q[0];\n", 3, 4),
            ("OPENQASM 2.0;\nqreg q[2];\ncreg c[3];\nmeasure q -> c;\n", 4, 14),
        ];
        for &(src, line, col) in cases {
            let e = parse_qasm(src).unwrap_err();
            assert_eq!((e.line, e.column), (line, col), "{src:?}: {e}");
        }
    }
}
