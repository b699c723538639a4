//! Well-typed inputs: models whose every expression is built *for* a target shape, so they pass
//! the checker and exercise lowering, differentiation and emission (where the random models of
//! [`crate::gen`] rarely get). Leaves create parameters (static shapes) and arguments (shapes
//! with the run-time dim `B`) on demand. A typed model that the compiler rejects is suspicious
//! and is reported by the driver as a separate count.

use arbitrary::{Result, Unstructured};

type Shape = Vec<String>;

struct T<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    params: Vec<(String, Shape)>,
    args: Vec<(String, Shape)>,
    lets: Vec<(String, Shape)>,
    body: String,
}

fn fmt(s: &[String]) -> String {
    format!("[{}]", s.join(", "))
}

fn lit(d: &str) -> Option<usize> {
    d.parse().ok()
}

fn numel(s: &[String]) -> Option<usize> {
    s.iter().map(|d| lit(d)).product()
}

impl T<'_, '_> {
    fn small(&mut self) -> Result<usize> {
        self.u.int_in_range(1..=4usize)
    }

    fn leaf(&mut self, s: &Shape) -> Result<String> {
        let pool: Vec<String> = self
            .params
            .iter()
            .chain(&self.args)
            .chain(&self.lets)
            .filter(|(_, t)| t == s)
            .map(|(n, _)| n.clone())
            .collect();
        if !pool.is_empty() && self.u.ratio(3, 4)? {
            return Ok(self.u.choose(&pool)?.clone());
        }
        if s.iter().any(|d| d == "B") {
            if self.args.len() < 3 {
                let name = format!("x{}", self.args.len());
                self.args.push((name.clone(), s.clone()));
                return Ok(name);
            }
            // Out of arguments: a parameter with 1 in place of `B`, broadcast to `B`.
            let ones: Shape = s
                .iter()
                .map(|d| if d == "B" { "1".into() } else { d.clone() })
                .collect();
            let p = self.leaf(&ones)?;
            return Ok(format!("broadcast({p}, {})", fmt(s)));
        }
        let name = format!("p{}", self.params.len());
        self.params.push((name.clone(), s.clone()));
        Ok(name)
    }

    fn expr(&mut self, s: &Shape, depth: u32) -> Result<String> {
        if depth == 0 || self.u.ratio(1, 5)? {
            return self.leaf(s);
        }
        let d = depth - 1;
        let r = s.len();
        let choice = self.u.int_in_range(0u8..=19)?;
        Ok(match choice {
            0 | 1 => {
                let f = *self.u.choose(&[
                    "exp",
                    "sqrt",
                    "square",
                    "abs",
                    "sin",
                    "cos",
                    "tanh",
                    "sigmoid",
                    "relu",
                    "softplus",
                    "gelu",
                    "stop_grad",
                ])?;
                let inner = self.expr(s, d)?;
                if f == "sqrt" {
                    format!("sqrt(square({inner}) + 1.0)")
                } else if f == "exp" {
                    format!("exp(tanh({inner}))")
                } else {
                    format!("{f}({inner})")
                }
            }
            2 => format!("ln(square({}) + 0.5)", self.expr(s, d)?),
            3..=5 => {
                let op = *self.u.choose(&["+", "-", "*", "/"])?;
                // The second operand may be a broadcastable suffix or have literal-1 dims.
                let mut t: Shape = s.clone();
                if r > 0 && self.u.ratio(1, 3)? {
                    let drop = self.u.int_in_range(1..=r)?;
                    t = s[drop..].to_vec();
                } else if r > 0 && self.u.ratio(1, 3)? {
                    let k = self.u.choose_index(r)?;
                    t[k] = "1".into();
                }
                let a = self.expr(s, d)?;
                let b = self.expr(&t, d)?;
                if op == "/" {
                    format!("({a}) / (square({b}) + 1.0)")
                } else if self.u.ratio(1, 2)? {
                    format!("({a}) {op} ({b})")
                } else {
                    format!("({b}) {op} ({a})")
                }
            }
            6 => {
                let c = *self.u.choose(&["2.0", "0.5", "-1.0", "3"])?;
                let a = self.expr(s, d)?;
                match self.u.int_in_range(0u8..=3)? {
                    0 => format!("{c} * ({a})"),
                    1 => format!("({a}) + {c}"),
                    2 => format!("{c} - ({a})"),
                    _ => format!("-({a})"),
                }
            }
            7 | 8 => {
                // Matmul producing `s`.
                let k = self.small()?.to_string();
                match r {
                    0 => format!(
                        "({}) @ ({})",
                        self.expr(&vec![k.clone()], d)?,
                        self.expr(&vec![k], d)?
                    ),
                    1 => {
                        if self.u.ratio(1, 2)? {
                            let a = self.expr(&vec![k.clone()], d)?;
                            let b = self.expr(&vec![k, s[0].clone()], d)?;
                            format!("({a}) @ ({b})")
                        } else {
                            let a = self.expr(&vec![s[0].clone(), k.clone()], d)?;
                            let b = self.expr(&vec![k], d)?;
                            format!("({a}) @ ({b})")
                        }
                    }
                    2 => {
                        let a = self.expr(&vec![s[0].clone(), k.clone()], d)?;
                        let b = self.expr(&vec![k, s[1].clone()], d)?;
                        format!("({a}) @ ({b})")
                    }
                    3 => {
                        let a = self.expr(&vec![s[0].clone(), s[1].clone(), k.clone()], d)?;
                        let b = if self.u.ratio(1, 2)? {
                            self.expr(&vec![k, s[2].clone()], d)?
                        } else {
                            self.expr(&vec![s[0].clone(), k, s[2].clone()], d)?
                        };
                        format!("({a}) @ ({b})")
                    }
                    _ => self.leaf(s)?,
                }
            }
            9 | 10 => {
                // A reduction over a new axis.
                if r >= 3 {
                    return self.leaf(s);
                }
                let k = self.u.int_in_range(0..=r)?;
                let n = self.small()?.to_string();
                let mut t = s.clone();
                t.insert(k, n);
                let f = *self.u.choose(&["sum", "mean", "max", "logsumexp"])?;
                let inner = self.expr(&t, d)?;
                let neg = if self.u.ratio(1, 3)? {
                    format!("{}", k as i64 - t.len() as i64)
                } else {
                    k.to_string()
                };
                format!("{f}({inner}, axis = {neg})")
            }
            11 => {
                // keepdim: a literal-1 axis of `s` is reduced from a bigger one.
                match s.iter().position(|d| d == "1") {
                    Some(k) => {
                        let mut t = s.clone();
                        t[k] = self.u.int_in_range(2..=4usize)?.to_string();
                        let f = *self.u.choose(&["sum", "mean", "max"])?;
                        format!("{f}({}, axis = {k}, keepdim)", self.expr(&t, d)?)
                    }
                    None => self.leaf(s)?,
                }
            }
            12 if r >= 1 => {
                let f = *self.u.choose(&["softmax", "log_softmax"])?;
                let k = self.u.choose_index(r)?;
                format!("{f}({}, axis = {k})", self.expr(s, d)?)
            }
            13 if r >= 2 => {
                // permute / transpose
                if self.u.ratio(1, 2)? {
                    let mut t = s.clone();
                    t.swap(r - 1, r - 2);
                    format!("transpose({})", self.expr(&t, d)?)
                } else {
                    let mut perm: Vec<usize> = (0..r).collect();
                    for i in (1..r).rev() {
                        let j = self.u.int_in_range(0..=i)?;
                        perm.swap(i, j);
                    }
                    // out[i] = in[perm[i]]: the input has in[perm[i]] = s[i].
                    let mut t = s.clone();
                    for i in 0..r {
                        t[perm[i]] = s[i].clone();
                    }
                    let p: Vec<String> = perm.iter().map(|x| x.to_string()).collect();
                    format!("permute({}, [{}])", self.expr(&t, d)?, p.join(", "))
                }
            }
            14 => {
                // reshape from another factorisation of the static part.
                match numel(s) {
                    Some(n) if n > 0 => {
                        let t: Shape = if n % 2 == 0 && self.u.ratio(1, 2)? {
                            vec!["2".into(), (n / 2).to_string()]
                        } else {
                            vec![n.to_string()]
                        };
                        format!("reshape({}, {})", self.expr(&t, d)?, fmt(s))
                    }
                    _ if r >= 1 && s[0] == "B" && numel(&s[1..]).is_some() => {
                        let n = numel(&s[1..]).unwrap_or(1);
                        format!(
                            "reshape({}, {})",
                            self.expr(&vec!["B".into(), n.to_string()], d)?,
                            fmt(s)
                        )
                    }
                    _ => self.leaf(s)?,
                }
            }
            15 => {
                // concat along a literal axis ≥ 2.
                match s.iter().position(|d| lit(d).is_some_and(|n| n >= 2)) {
                    Some(k) => {
                        let n = lit(&s[k]).unwrap_or(2);
                        let a = self.u.int_in_range(1..=n - 1)?;
                        let (mut ta, mut tb) = (s.clone(), s.clone());
                        ta[k] = a.to_string();
                        tb[k] = (n - a).to_string();
                        format!(
                            "concat({}, {}, axis = {k})",
                            self.expr(&ta, d)?,
                            self.expr(&tb, d)?
                        )
                    }
                    None => self.leaf(s)?,
                }
            }
            16 if r >= 1 => {
                // slice from a longer literal axis
                let k = self.u.choose_index(r)?;
                match lit(&s[k]) {
                    Some(n) => {
                        let start = self.u.int_in_range(0..=2usize)?;
                        let extra = self.u.int_in_range(0..=2usize)?;
                        let mut t = s.clone();
                        t[k] = (start + n + extra).to_string();
                        format!("slice({}, axis = {k}, {start}..{})", self.expr(&t, d)?, start + n)
                    }
                    None => self.leaf(s)?,
                }
            }
            17 if r < 3 => {
                let k = self.u.int_in_range(0..=r)?;
                let n = self.small()?;
                let i = self.u.int_in_range(0..=n - 1)?;
                let mut t = s.clone();
                t.insert(k, n.to_string());
                format!("select({}, axis = {k}, {i})", self.expr(&t, d)?)
            }
            18 if r == 0 => {
                let n = self.small()?.to_string();
                let t: Shape = vec!["B".into(), n];
                match self.u.int_in_range(0u8..=2)? {
                    0 => format!("mse({}, {})", self.expr(&t, d)?, self.expr(&t, d)?),
                    1 => format!(
                        "cross_entropy({}, softmax({}))",
                        self.expr(&t, d)?,
                        self.expr(&t, d)?
                    ),
                    _ => format!(
                        "bce_with_logits({}, sigmoid({}))",
                        self.expr(&t, d)?,
                        self.expr(&t, d)?
                    ),
                }
            }
            19 => {
                // A `let` binding reused later.
                let name = format!("h{}", self.lets.len());
                let e = self.expr(s, d)?;
                self.body.push_str(&format!("let {name} = {e}; "));
                self.lets.push((name.clone(), s.clone()));
                format!("{name} * {name}")
            }
            _ => format!("pow(square({}) + 1.0, 1.5)", self.expr(s, d)?),
        })
    }
}

/// One well-typed model with a scalar `loss` (and a helper function it calls).
pub fn model_source(u: &mut Unstructured) -> Result<String> {
    let mut t = T {
        u,
        params: vec![],
        args: vec![],
        lets: vec![],
        body: String::new(),
    };
    // Make sure `B` is bound by the first argument.
    let w = t.small()?.to_string();
    t.args.push(("x0".into(), vec!["B".into(), w]));
    let depth = t.u.int_in_range(1..=5u32)?;
    let result = t.expr(&vec![], depth)?;
    let result = format!("{}{result}", t.body);
    let inits = [
        "glorot",
        "zeros",
        "ones",
        "normal(0.0, 1.0)",
        "uniform(-1.0, 1.0)",
        "he",
        "constant(0.3)",
    ];
    let mut params = Vec::new();
    for (n, s) in &t.params {
        let init = *t.u.choose(&inits)?;
        params.push(format!("{n}: {} = {init}", fmt(s)));
    }
    let args: Vec<String> = t.args.iter().map(|(n, s)| format!("{n}: {}", fmt(s))).collect();
    let call_args: Vec<String> = t.args.iter().map(|(n, _)| n.clone()).collect();
    Ok(format!(
        "pub struct Typed {{\n    dims {{ B: batch, H = 3 }}\n    params {{ {} }}\n    fn inner({}) -> [] {{ {result} }}\n    #[grad] fn loss({}) -> [] {{ inner({}) * 0.5 }}\n}}\n",
        params.join(", "),
        args.join(", "),
        args.join(", "),
        call_args.join(", ")
    ))
}
