//! The syntax tree of the DSL. It keeps the user's identifiers and spans so that every later
//! error can point at the token at fault.

use proc_macro2::Span;
use std::fmt;
use syn::{Attribute, Ident, Visibility};

/// Everything inside one `model! { … }`.
pub struct File {
    pub models: Vec<ModelDef>,
}

/// One `struct Name { dims {…} params {…} fn … }`.
pub struct ModelDef {
    pub attrs: Vec<Attribute>,
    pub vis: Visibility,
    pub name: Ident,
    pub dims: Vec<DimDecl>,
    pub params: Vec<ParamDecl>,
    pub fns: Vec<FnDef>,
    /// Shape-polymorphic helpers (`fn gto(r, a) { … }`), inlined at each call.
    pub helpers: Vec<HelperDef>,
    /// Sub-models (`enc: Encoder` in `params`), defined in the same invocation.
    pub subs: Vec<SubDecl>,
    /// Custom ops with Rust forward and VJP (`extern fn q(x: [B, 2]) -> [B, 1] = OP;`).
    pub externs: Vec<ExternDef>,
}

/// `extern fn spike(v: [B, H]) -> [B, H] = Heaviside;`: `op` is a Rust expression whose type
/// implements `shapegrad::custom::CustomOp` (a unit struct, or `*STATIC` for a `LazyLock`).
pub struct ExternDef {
    pub name: Ident,
    pub args: Vec<(Ident, ShapeExpr)>,
    pub ret: ShapeExpr,
    pub op: syn::Expr,
}

/// `fn gto(r, alpha) { r * exp(-alpha * r * r) }`: no shapes, so it applies to any operands
/// (elementwise user functions); it is inlined where called and not emitted as a method.
pub struct HelperDef {
    pub name: Ident,
    pub args: Vec<Ident>,
    pub body: Block,
}

/// `B: batch`, `N: const`, or `H = 32`.
pub struct DimDecl {
    pub name: Ident,
    pub kind: DimDeclKind,
}

pub enum DimDeclKind {
    /// Run-time dim (`batch`, `runtime`, `dyn`).
    Runtime,
    /// Const generic parameter of the struct.
    Generic,
    /// A named constant.
    Value(usize, Span),
}

/// `enc: Encoder` in `params`: a sub-model whose parameters nest in this model's.
pub struct SubDecl {
    pub name: Ident,
    pub model: Ident,
}

/// `w: [2, H] = glorot`.
pub struct ParamDecl {
    pub name: Ident,
    pub shape: ShapeExpr,
    pub init: InitExpr,
}

/// `[B, 2]` as written.
#[derive(Clone)]
pub struct ShapeExpr {
    pub span: Span,
    pub dims: Vec<DimExpr>,
}

#[derive(Clone)]
pub enum DimExpr {
    Lit(usize, Span),
    Name(Ident),
}

impl DimExpr {
    pub fn span(&self) -> Span {
        match self {
            DimExpr::Lit(_, s) => *s,
            DimExpr::Name(i) => i.span(),
        }
    }
}

/// `normal(0.0, 0.1)`, `glorot`.
pub struct InitExpr {
    pub name: Ident,
    pub args: Vec<(f64, Span)>,
}

/// `fn loss(x: [B, 2], y: [B, 1]) -> [] { … }`.
pub struct FnDef {
    pub attrs: Vec<Attribute>,
    pub name: Ident,
    pub args: Vec<(Ident, ShapeExpr)>,
    pub ret: ShapeExpr,
    pub body: Block,
}

impl FnDef {
    /// Whether the user asked for a gradient with `#[grad]`.
    pub fn wants_grad(&self) -> Option<Span> {
        self.attrs
            .iter()
            .find(|a| a.path().is_ident("grad"))
            .map(|a| a.pound_token.span)
    }
}

pub struct Block {
    pub stmts: Vec<Let>,
    pub tail: Expr,
}

pub struct Let {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    MatMul,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::MatMul => "@",
        }
    }
}

/// An expression. Lists and ranges appear only as call arguments (`[1, 0]`, `0..3`).
pub enum Expr {
    Num {
        value: f64,
        is_int: bool,
        span: Span,
    },
    Var(Ident),
    Call {
        name: Ident,
        args: Vec<Arg>,
        close: Span,
    },
    /// `enc.forward(x)`: a function of a sub-model.
    MethodCall {
        recv: Ident,
        method: Ident,
        args: Vec<Arg>,
        close: Span,
    },
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Neg {
        span: Span,
        inner: Box<Expr>,
    },
    Paren {
        open: Span,
        close: Span,
        inner: Box<Expr>,
    },
    List {
        open: Span,
        close: Span,
        items: Vec<Expr>,
    },
    Range {
        start: Box<Expr>,
        end: Box<Expr>,
    },
}

/// A call argument: positional, `name = value`, or a bare flag (`keepdim`).
pub enum Arg {
    Pos(Expr),
    Kw { name: Ident, value: Expr },
}

impl Expr {
    /// First token's span.
    pub fn start(&self) -> Span {
        match self {
            Expr::Num { span, .. } => *span,
            Expr::Var(i) => i.span(),
            Expr::Call { name, .. } => name.span(),
            Expr::MethodCall { recv, .. } => recv.span(),
            Expr::Binary { lhs, .. } => lhs.start(),
            Expr::Neg { span, .. } => *span,
            Expr::Paren { open, .. } | Expr::List { open, .. } => *open,
            Expr::Range { start, .. } => start.start(),
        }
    }
    /// Last token's span.
    pub fn end(&self) -> Span {
        match self {
            Expr::Num { span, .. } => *span,
            Expr::Var(i) => i.span(),
            Expr::Call { close, .. } | Expr::MethodCall { close, .. } => *close,
            Expr::Binary { rhs, .. } => rhs.end(),
            Expr::Neg { inner, .. } => inner.end(),
            Expr::Paren { close, .. } | Expr::List { close, .. } => *close,
            Expr::Range { end, .. } => end.end(),
        }
    }
    /// An integer literal, possibly negated (axes may count from the end).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Expr::Num {
                value, is_int: true, ..
            } => Some(*value as i64),
            Expr::Neg { inner, .. } => inner.as_int().map(|v| -v),
            Expr::Paren { inner, .. } => inner.as_int(),
            _ => None,
        }
    }
    /// A numeric literal, possibly negated.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Expr::Num { value, .. } => Some(*value),
            Expr::Neg { inner, .. } => inner.as_num().map(|v| -v),
            Expr::Paren { inner, .. } => inner.as_num(),
            _ => None,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num { value, is_int, .. } => {
                if *is_int {
                    write!(f, "{}", *value as i64)
                } else {
                    write!(f, "{value:?}")
                }
            }
            Expr::Var(i) => write!(f, "{i}"),
            Expr::Call { name, args, .. }
            | Expr::MethodCall {
                method: name, args, ..
            } => {
                if let Expr::MethodCall { recv, .. } = self {
                    write!(f, "{recv}.")?;
                }
                write!(f, "{name}(")?;
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    match a {
                        Arg::Pos(e) => write!(f, "{e}")?,
                        Arg::Kw { name, value } => write!(f, "{name} = {value}")?,
                    }
                }
                f.write_str(")")
            }
            Expr::Binary { op, lhs, rhs, .. } => write!(f, "{lhs} {} {rhs}", op.symbol()),
            Expr::Neg { inner, .. } => write!(f, "-{inner}"),
            Expr::Paren { inner, .. } => write!(f, "({inner})"),
            Expr::List { items, .. } => {
                f.write_str("[")?;
                for (k, e) in items.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
            Expr::Range { start, end } => write!(f, "{start}..{end}"),
        }
    }
}
