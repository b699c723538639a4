//! Checks of the declarations (dims, params, function signatures), each a small named rule.
//! They build the [`Env`] the expression lowering reads. Every failure is a spanned error in
//! the [`Ctxt`]; checking continues so the user sees all of them.

use crate::ast::*;
use crate::ctxt::Ctxt;
use crate::shape::{Dim, DimKind, Shape};
use std::collections::HashMap;
use syn::Ident;

/// A parameter after checking.
pub struct ParamInfo {
    pub name: Ident,
    pub shape: Shape,
    pub init: InitKind,
}

/// The initializers the DSL knows, with their arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum InitKind {
    Zeros,
    Ones,
    Constant(f64),
    Normal(f64, f64),
    Uniform(f64, f64),
    Glorot,
    GlorotNormal,
    He,
    HeUniform,
}

/// A function signature after checking.
pub struct FnSig {
    pub name: Ident,
    pub args: Vec<(Ident, Shape)>,
    pub ret: Shape,
}

/// A custom op after checking.
pub struct CustomSig {
    pub name: Ident,
    pub args: Vec<(Ident, Shape)>,
    pub ret: Shape,
    pub op: syn::Expr,
}

/// What the lowering of expressions needs: declared dims, params and signatures.
pub struct Env<'a> {
    pub model: &'a ModelDef,
    pub dims: HashMap<String, Dim>,
    /// Const generic dims, in declaration order (they become `const N: usize` parameters).
    pub generics: Vec<Ident>,
    pub params: Vec<ParamInfo>,
    pub sigs: Vec<FnSig>,
    pub customs: Vec<CustomSig>,
    /// Sub-model fields and the model each one is.
    pub subs: Vec<(Ident, Ident)>,
    /// Names whose declaration failed (already reported): their uses stay silent.
    pub poisoned: std::collections::HashSet<String>,
}

/// Names the generated code uses for its own generic parameters.
const RESERVED_DIMS: &[&str] = &["E", "D"];

/// Builds the environment, reporting every declaration error.
pub fn declarations<'a>(cx: &Ctxt, model: &'a ModelDef) -> Env<'a> {
    let mut env = Env {
        model,
        dims: HashMap::new(),
        generics: Vec::new(),
        params: Vec::new(),
        sigs: Vec::new(),
        poisoned: Default::default(),
        customs: Vec::new(),
        subs: model
            .subs
            .iter()
            .map(|s| (s.name.clone(), s.model.clone()))
            .collect(),
    };
    for d in &model.dims {
        check_dim_decl(cx, &mut env, d);
    }
    let mut seen_params: HashMap<String, &Ident> = HashMap::new();
    for p in &model.params {
        // A parameter name may appear once.
        if seen_params.insert(p.name.to_string(), &p.name).is_some() {
            cx.error(p.name.span(), format!("parameter `{}` is declared twice", p.name));
            continue;
        }
        let shape = resolve_shape(cx, &env, &p.shape);
        // Parameters are dfdx tensors with const shapes: no run-time dims.
        if let Some(shape) = &shape {
            for (d, e) in shape.0.iter().zip(&p.shape.dims) {
                if d.is_runtime() {
                    cx.error(
                        e.span(),
                        format!(
                            "parameter `{}` uses run-time dim `{d}`: parameters need static shapes \
                             (literals, named constants or const generics)",
                            p.name
                        ),
                    );
                }
            }
        }
        let init = check_init(cx, &p.init);
        match (shape, init) {
            (Some(shape), Some(init)) => env.params.push(ParamInfo {
                name: p.name.clone(),
                shape,
                init,
            }),
            // Already reported; uses of the name stay silent.
            _ => {
                env.poisoned.insert(p.name.to_string());
            }
        }
    }
    for x in &model.externs {
        match check_extern(cx, &env, x) {
            Some(c) => env.customs.push(c),
            None => {
                env.poisoned.insert(x.name.to_string());
            }
        }
    }
    let mut seen_fns: HashMap<String, ()> = HashMap::new();
    for f in &model.fns {
        // A function name may appear once.
        if seen_fns.insert(f.name.to_string(), ()).is_some() {
            cx.error(f.name.span(), format!("function `{}` is defined twice", f.name));
            continue;
        }
        match check_signature(cx, &env, f) {
            Some(sig) => env.sigs.push(sig),
            None => {
                env.poisoned.insert(f.name.to_string());
            }
        }
    }
    env
}

/// `B: batch`, `N: const`, `H = 32`: names unique, not reserved.
fn check_dim_decl(cx: &Ctxt, env: &mut Env, d: &DimDecl) {
    let name = d.name.to_string();
    if RESERVED_DIMS.contains(&name.as_str()) {
        cx.error(
            d.name.span(),
            format!("dim name `{name}` is reserved for the model's dtype/device parameters; pick another"),
        );
        // Still declared below, so its uses raise no follow-on errors.
    }
    if env.dims.contains_key(&name) {
        cx.error(d.name.span(), format!("dim `{name}` is declared twice"));
        return;
    }
    let kind = match &d.kind {
        DimDeclKind::Runtime => DimKind::Runtime(name.clone()),
        DimDeclKind::Generic => {
            env.generics.push(d.name.clone());
            DimKind::Generic(name.clone())
        }
        DimDeclKind::Value(v, _) => DimKind::Lit(*v),
    };
    env.dims.insert(
        name.clone(),
        Dim {
            kind,
            name: Some(name),
        },
    );
}

/// A written shape to a symbolic one: every name must be a declared dim.
pub fn resolve_shape(cx: &Ctxt, env: &Env, s: &ShapeExpr) -> Option<Shape> {
    let mut out = Vec::new();
    let mut ok = true;
    for d in &s.dims {
        match d {
            DimExpr::Lit(n, _) => out.push(Dim::lit(*n)),
            DimExpr::Name(id) => match env.dims.get(&id.to_string()) {
                Some(dim) => out.push(dim.clone()),
                None => {
                    cx.error(id.span(), format!("unknown dim `{id}`: declare it in `dims {{ … }}` (e.g. `{id}: batch` or `{id} = 16`)"));
                    ok = false;
                }
            },
        }
    }
    if out.len() > 6 {
        cx.error(
            s.span,
            format!(
                "tensors have at most 6 dims (dfdx's limit); this shape has {}",
                out.len()
            ),
        );
        ok = false;
    }
    ok.then_some(Shape(out))
}

/// Known initializer names with the right number of numeric arguments.
fn check_init(cx: &Ctxt, init: &InitExpr) -> Option<InitKind> {
    let name = init.name.to_string();
    let a = &init.args;
    // Arguments must be finite numbers (`1e400` parses as infinity).
    if let Some((v, span)) = a.iter().find(|(v, _)| !v.is_finite()) {
        cx.error(
            *span,
            format!("initializer `{name}`: argument {v} is not a finite number"),
        );
        return None;
    }
    let want = |n: usize| -> bool {
        if a.len() == n {
            true
        } else {
            cx.error(
                init.name.span(),
                format!("initializer `{name}` takes {n} argument(s), got {}", a.len()),
            );
            false
        }
    };
    Some(match name.as_str() {
        "zeros" => want(0).then_some(InitKind::Zeros)?,
        "ones" => want(0).then_some(InitKind::Ones)?,
        "constant" => want(1).then(|| InitKind::Constant(a[0].0))?,
        "normal" => want(2).then(|| InitKind::Normal(a[0].0, a[1].0))?,
        "uniform" => want(2).then(|| InitKind::Uniform(a[0].0, a[1].0))?,
        "glorot" | "xavier" | "glorot_uniform" | "xavier_uniform" => want(0).then_some(InitKind::Glorot)?,
        "glorot_normal" | "xavier_normal" => want(0).then_some(InitKind::GlorotNormal)?,
        "he" | "kaiming" | "he_normal" | "kaiming_normal" => want(0).then_some(InitKind::He)?,
        "he_uniform" | "kaiming_uniform" => want(0).then_some(InitKind::HeUniform)?,
        _ => {
            cx.error(
                init.name.span(),
                format!(
                    "unknown initializer `{name}`: use zeros, ones, constant(c), normal(mean, std), \
                     uniform(low, high), glorot/xavier, glorot_normal, he/kaiming or he_uniform"
                ),
            );
            return None;
        }
    })
}

/// Argument names unique; every run-time dim of the result is bound by some argument.
fn check_signature(cx: &Ctxt, env: &Env, f: &FnDef) -> Option<FnSig> {
    let mut args = Vec::new();
    let mut ok = true;
    for (name, s) in &f.args {
        if args.iter().any(|(n, _): &(Ident, Shape)| n == name) {
            cx.error(
                name.span(),
                format!("argument `{name}` appears twice in `{}`", f.name),
            );
            ok = false;
            continue;
        }
        if env.params.iter().any(|p| &p.name == name) {
            cx.error(
                name.span(),
                format!("argument `{name}` has the same name as a parameter; rename one"),
            );
            ok = false;
        }
        match resolve_shape(cx, env, s) {
            Some(shape) => args.push((name.clone(), shape)),
            None => ok = false,
        }
    }
    let ret = resolve_shape(cx, env, &f.ret);
    if let Some(ret) = &ret {
        for (d, e) in ret.0.iter().zip(&f.ret.dims) {
            if d.is_runtime() && !args.iter().any(|(_, s)| s.0.contains(d)) {
                cx.error(
                    e.span(),
                    format!("run-time dim `{d}` of the result of `{}` is not the size of any argument, so it is unknown when the function runs", f.name),
                );
                ok = false;
            }
        }
    }
    if let (Some(span), Some(ret)) = (f.wants_grad(), &ret) {
        // `#[grad]` asks for a gradient, which needs a scalar.
        if !ret.is_scalar() {
            cx.error(
                span,
                format!(
                    "`#[grad]` needs a scalar function, but `{}` returns {ret}; reduce it with `sum` or `mean` first",
                    f.name
                ),
            );
            ok = false;
        }
    }
    if ok {
        ret.map(|ret| FnSig {
            name: f.name.clone(),
            args,
            ret,
        })
    } else {
        None
    }
}

/// A custom op's shapes resolve, and run-time dims of its result are sizes of its arguments.
fn check_extern(cx: &Ctxt, env: &Env, x: &ExternDef) -> Option<CustomSig> {
    let mut args = Vec::new();
    let mut ok = true;
    for (name, s) in &x.args {
        match resolve_shape(cx, env, s) {
            Some(shape) => args.push((name.clone(), shape)),
            None => ok = false,
        }
    }
    let ret = resolve_shape(cx, env, &x.ret)?;
    for (d, e) in ret.0.iter().zip(&x.ret.dims) {
        if d.is_runtime() && !args.iter().any(|(_, s)| s.0.contains(d)) {
            cx.error(
                e.span(),
                format!(
                    "run-time dim `{d}` of the result of custom op `{}` is not the size of any argument",
                    x.name
                ),
            );
            ok = false;
        }
    }
    ok.then(|| CustomSig {
        name: x.name.clone(),
        args,
        ret,
        op: x.op.clone(),
    })
}
