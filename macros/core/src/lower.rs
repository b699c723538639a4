//! Lowering: a function body to IR, inferring and checking every shape on the way. Composite
//! ops are rewritten into primitives here; calls to the model's other functions are inlined
//! (their run-time dims unified with the caller's). Errors go to the [`Ctxt`] spanned on the
//! token at fault; a failed subexpression yields `None`, which silences follow-on errors.

use crate::ast::*;
use crate::check::FnSig;
use crate::compose::ModelCtx;
use crate::ctxt::Ctxt;
use crate::ir::{Graph, NodeId, Op, Scalar, Unary};
use crate::ops::{broadcast, concat, matmul, permute, reshape, slice};
use crate::shape::{Dim, DimKind, Shape};
use proc_macro2::Span;
use std::collections::{HashMap, HashSet};

/// A function lowered to IR.
pub struct Lowered {
    pub graph: Graph,
    /// The result node.
    pub out: NodeId,
    /// The `Op::Input` node of each argument.
    pub inputs: Vec<NodeId>,
    /// The `Op::Param` node of each parameter the function reads.
    pub params: Vec<Option<NodeId>>,
}

#[derive(Clone, Copy, Debug)]
enum Val {
    T(NodeId),
    Num(f64),
}

struct Scope {
    vars: HashMap<String, Option<Val>>,
    /// The callee's run-time dim names mapped to the caller's dims (inlined calls).
    dims: HashMap<String, Dim>,
    /// Run-time dims whose value is known here (sizes of the arguments).
    bound: HashSet<DimKind>,
    fn_name: String,
}

struct Lowerer<'a> {
    /// The model whose code is being lowered (switches while inlining a sub-model's function).
    ctx: &'a ModelCtx<'a>,
    graph: Graph,
    params: Vec<Option<NodeId>>,
    stack: Vec<String>,
}

/// Lowers function `f` (with checked signature `sig`) of the model `ctx`, whose flattened
/// layout has `num_params` parameters.
pub fn lower_fn<'a>(
    cx: &Ctxt,
    ctx: &'a ModelCtx<'a>,
    num_params: usize,
    f: &FnDef,
    sig: &FnSig,
) -> Option<Lowered> {
    let mut lw = Lowerer {
        ctx,
        graph: Graph::default(),
        params: vec![None; num_params],
        stack: vec![format!("{}::{}", ctx.env.model.name, f.name)],
    };
    let mut scope = Scope {
        vars: HashMap::new(),
        dims: HashMap::new(),
        bound: HashSet::new(),
        fn_name: f.name.to_string(),
    };
    let mut inputs = Vec::new();
    for (i, (name, shape)) in sig.args.iter().enumerate() {
        let id = lw.graph.push(Op::Input(i), vec![], shape.clone(), name.span());
        inputs.push(id);
        scope.vars.insert(name.to_string(), Some(Val::T(id)));
        for d in &shape.0 {
            scope.bound.insert(d.kind.clone());
        }
    }
    let before = cx.count();
    let result = lw.block(cx, &f.body, &mut scope);
    let out = match result {
        Some(Val::T(id)) => id,
        Some(Val::Num(c)) => {
            if sig.ret.0.iter().any(Dim::is_runtime) || !sig.ret.is_scalar() {
                cx.error_range(
                    f.body.tail.start(),
                    f.body.tail.end(),
                    format!(
                        "`{}` is declared to return {} but its body is the number {c}",
                        f.name, sig.ret
                    ),
                );
                return None;
            }
            lw.graph.fill(sig.ret.clone(), c, f.body.tail.start())
        }
        None => return None,
    };
    // The declared result shape must be what the body computes.
    if lw.graph.shape(out) != &sig.ret {
        cx.error_range(
            f.body.tail.start(),
            f.body.tail.end(),
            format!(
                "`{}` is declared to return {} but its body computes {}",
                f.name,
                sig.ret,
                lw.graph.shape(out)
            ),
        );
        return None;
    }
    if cx.count() > before {
        return None;
    }
    Some(Lowered {
        graph: lw.graph,
        out,
        inputs,
        params: lw.params,
    })
}

/// Splits call arguments into positional ones, keyword ones and bare flags like `keepdim`.
struct CallArgs<'e> {
    pos: Vec<&'e Expr>,
    kw: Vec<(&'e syn::Ident, &'e Expr)>,
    flags: Vec<&'e syn::Ident>,
}

const FLAGS: &[&str] = &["keepdim"];

fn split_args(args: &[Arg]) -> CallArgs<'_> {
    let mut c = CallArgs {
        pos: vec![],
        kw: vec![],
        flags: vec![],
    };
    for a in args {
        match a {
            Arg::Pos(Expr::Var(id)) if FLAGS.contains(&id.to_string().as_str()) => c.flags.push(id),
            Arg::Pos(e) => c.pos.push(e),
            Arg::Kw { name, value } => c.kw.push((name, value)),
        }
    }
    c
}

impl<'e> CallArgs<'e> {
    fn kw(&self, name: &str) -> Option<&'e Expr> {
        self.kw.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }
    fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| *f == name)
    }
    /// Reports keyword arguments and flags the op does not take.
    fn only(&self, cx: &Ctxt, op: &str, kws: &[&str], flags: &[&str]) -> bool {
        let mut ok = true;
        for (n, _) in &self.kw {
            if !kws.contains(&n.to_string().as_str()) {
                let expected = if kws.is_empty() {
                    "none".to_string()
                } else {
                    kws.join(", ")
                };
                cx.error(
                    n.span(),
                    format!("`{op}` has no argument `{n}` (it takes: {expected})"),
                );
                ok = false;
            }
        }
        for f in &self.flags {
            if !flags.contains(&f.to_string().as_str()) {
                cx.error(f.span(), format!("`{op}` does not take the flag `{f}`"));
                ok = false;
            }
        }
        ok
    }
}

impl<'a> Lowerer<'a> {
    fn block(&mut self, cx: &Ctxt, b: &Block, scope: &mut Scope) -> Option<Val> {
        for s in &b.stmts {
            let v = self.expr(cx, &s.value, scope);
            scope.vars.insert(s.name.to_string(), v);
        }
        self.expr(cx, &b.tail, scope)
    }

    /// The node of the current model's parameter `i` (one node per parameter of the
    /// flattened layout, shared by every use).
    fn param(&mut self, i: usize) -> NodeId {
        let global = self.ctx.param_map[i];
        if let Some(id) = self.params[global] {
            return id;
        }
        let p = &self.ctx.env.params[i];
        let id = self
            .graph
            .push(Op::Param(global), vec![], p.shape.clone(), p.name.span());
        self.params[global] = Some(id);
        id
    }

    /// Lowers an operand that must be a tensor (numbers become constant scalars), with its shape.
    fn operand(&mut self, cx: &Ctxt, e: &Expr, scope: &mut Scope) -> Option<(NodeId, Shape)> {
        let v = self.expr(cx, e, scope)?;
        let x = self.tensor(v, e.start());
        Some((x, self.graph.shape(x).clone()))
    }

    /// A tensor operand: numbers become constant scalars.
    fn tensor(&mut self, v: Val, span: Span) -> NodeId {
        match v {
            Val::T(id) => id,
            Val::Num(c) => self.graph.fill(Shape::scalar(), c, span),
        }
    }

    fn expr(&mut self, cx: &Ctxt, e: &Expr, scope: &mut Scope) -> Option<Val> {
        let v = self.expr_inner(cx, e, scope)?;
        // A constant that folds to NaN or ±∞ (`ln(-1.0)`, `1e400`) is a mistake, not a model.
        if let Val::Num(c) = v {
            if !c.is_finite() {
                cx.error_range(
                    e.start(),
                    e.end(),
                    format!("the constant `{e}` evaluates to {c}, which is not a finite number"),
                );
                return None;
            }
        }
        Some(v)
    }

    fn expr_inner(&mut self, cx: &Ctxt, e: &Expr, scope: &mut Scope) -> Option<Val> {
        match e {
            Expr::Num { value, .. } => Some(Val::Num(*value)),
            Expr::Var(id) => self.var(cx, id, scope),
            Expr::Paren { inner, .. } => self.expr(cx, inner, scope),
            Expr::Neg { inner, .. } => match self.expr(cx, inner, scope)? {
                Val::Num(c) => Some(Val::Num(-c)),
                Val::T(x) => Some(Val::T(self.graph.neg(x))),
            },
            Expr::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => {
                let a = self.expr(cx, lhs, scope);
                let b = self.expr(cx, rhs, scope);
                self.binary(cx, *op, *op_span, lhs, rhs, a?, b?)
            }
            Expr::Call { name, args, .. } => self.call(cx, e, name, args, scope),
            Expr::MethodCall {
                recv, method, args, ..
            } => self.method_call(cx, e, recv, method, args, scope),
            Expr::List { open, .. } => {
                cx.error(*open, "a list like `[0, 1]` is only allowed as an argument of ops such as `permute` or `reshape`");
                None
            }
            Expr::Range { start, .. } => {
                cx.error(
                    start.start(),
                    "a range like `0..3` is only allowed as an argument of `slice`",
                );
                None
            }
        }
    }

    fn var(&mut self, cx: &Ctxt, id: &syn::Ident, scope: &Scope) -> Option<Val> {
        let name = id.to_string();
        if let Some(v) = scope.vars.get(&name) {
            return *v;
        }
        if let Some(i) = self.ctx.env.params.iter().position(|p| p.name == name) {
            return Some(Val::T(self.param(i)));
        }
        if self.ctx.env.poisoned.contains(&name) {
            return None;
        }
        if self.ctx.env.dims.contains_key(&name) {
            cx.error(
                id.span(),
                format!("`{name}` is a dim, not a tensor; dims appear only in shapes like `[{name}, 4]`"),
            );
            return None;
        }
        let mut known: Vec<String> = scope.vars.keys().cloned().collect();
        known.extend(self.ctx.env.params.iter().map(|p| p.name.to_string()));
        known.sort();
        cx.error(
            id.span(),
            format!(
                "unknown name `{name}` in `{}`: not an argument, a `let` or a parameter (known: {})",
                scope.fn_name,
                known.join(", ")
            ),
        );
        None
    }

    #[allow(clippy::too_many_arguments)]
    fn binary(
        &mut self,
        cx: &Ctxt,
        op: BinOp,
        op_span: Span,
        lhs: &Expr,
        rhs: &Expr,
        a: Val,
        b: Val,
    ) -> Option<Val> {
        let g = &mut self.graph;
        if op == BinOp::MatMul {
            let (Val::T(x), Val::T(y)) = (a, b) else {
                let which = if matches!(a, Val::Num(_)) { lhs } else { rhs };
                cx.error(
                    op_span,
                    format!("`@` needs tensors on both sides, but `{which}` is a number; use `*` to scale"),
                );
                return None;
            };
            let (sa, sb) = (g.shape(x).clone(), g.shape(y).clone());
            // [K] @ [K] is a dot product.
            if sa.rank() == 1 && sb.rank() == 1 {
                if sa != sb {
                    cx.error(
                        op_span,
                        format!("a dot product needs equal lengths: `{lhs}` is {sa}, `{rhs}` is {sb}"),
                    );
                    return None;
                }
                let p = g.mul(x, y);
                return Some(Val::T(g.sum(p, vec![0])));
            }
            return match matmul::out_shape(&sa, &sb) {
                Ok(_) => Some(Val::T(g.matmul(x, y))),
                Err(rule) => {
                    cx.error(op_span, format!("{rule}: `{lhs}` is {sa}, `{rhs}` is {sb}"));
                    None
                }
            };
        }
        Some(match (a, b) {
            (Val::Num(x), Val::Num(y)) => Val::Num(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                _ => x / y,
            }),
            (Val::T(x), Val::Num(c)) => Val::T(match op {
                BinOp::Add => g.add_scalar(x, c),
                BinOp::Sub => g.add_scalar(x, -c),
                BinOp::Mul => g.scale_lit(x, c),
                _ => {
                    if c == 0.0 {
                        cx.error_range(rhs.start(), rhs.end(), "division by the literal zero");
                        return None;
                    }
                    g.scale_lit(x, 1.0 / c)
                }
            }),
            (Val::Num(c), Val::T(y)) => Val::T(match op {
                BinOp::Add => g.add_scalar(y, c),
                BinOp::Sub => {
                    let n = g.neg(y);
                    g.add_scalar(n, c)
                }
                BinOp::Mul => g.scale_lit(y, c),
                _ => {
                    let r = g.pow_scalar(y, -1.0);
                    g.scale_lit(r, c)
                }
            }),
            (Val::T(x), Val::T(y)) => {
                let (sa, sb) = (g.shape(x).clone(), g.shape(y).clone());
                match broadcast::elementwise(&sa, &sb) {
                    Ok((out, pa, pb)) => {
                        let xb = broadcast::apply(g, x, &pa, &out);
                        let yb = broadcast::apply(g, y, &pb, &out);
                        let b = match op {
                            BinOp::Add => crate::ir::Binary::Add,
                            BinOp::Sub => crate::ir::Binary::Sub,
                            BinOp::Mul => crate::ir::Binary::Mul,
                            _ => crate::ir::Binary::Div,
                        };
                        Val::T(g.binary(b, xb, yb))
                    }
                    Err(rule) => {
                        cx.error(
                            op_span,
                            format!("`{}`: {rule}: `{lhs}` is {sa}, `{rhs}` is {sb}", op.symbol()),
                        );
                        return None;
                    }
                }
            }
        })
    }

    /// Resolves an axis argument (negative counts from the end).
    fn axis(&self, cx: &Ctxt, e: &Expr, x: &Expr, shape: &Shape) -> Option<usize> {
        let Some(a) = e.as_int() else {
            cx.error_range(
                e.start(),
                e.end(),
                format!("an axis must be an integer literal, got `{e}`"),
            );
            return None;
        };
        let r = shape.rank() as i64;
        let n = if a < 0 { a + r } else { a };
        if n < 0 || n >= r {
            cx.error_range(
                e.start(),
                e.end(),
                format!("axis {a} is out of range for `{x}` of shape {shape} (rank {r})"),
            );
            return None;
        }
        Some(n as usize)
    }

    /// Axes of a reduction: `axis = k`, `axis = [i, j]`, `axes = […]`, a second positional
    /// argument, or all axes when none is given.
    fn reduce_axes(&self, cx: &Ctxt, c: &CallArgs, x: &Expr, shape: &Shape) -> Option<Vec<usize>> {
        let spec = c.kw("axis").or(c.kw("axes")).or(c.pos.get(1).copied());
        let mut axes = match spec {
            None => (0..shape.rank()).collect(),
            Some(Expr::List { items, .. }) => {
                let mut v = Vec::new();
                for it in items {
                    v.push(self.axis(cx, it, x, shape)?);
                }
                v
            }
            Some(e) => vec![self.axis(cx, e, x, shape)?],
        };
        axes.sort_unstable();
        axes.dedup();
        Some(axes)
    }

    /// The shape of a reduction result with `keepdim`: size-1 dims at the reduced axes.
    fn keep(&mut self, y: NodeId, x_shape: &Shape, axes: &[usize]) -> NodeId {
        let kept = Shape(
            x_shape
                .0
                .iter()
                .enumerate()
                .map(|(i, d)| if axes.contains(&i) { Dim::lit(1) } else { d.clone() })
                .collect(),
        );
        self.graph.reshape(y, kept)
    }

    /// `1 / (product of the reduced dims)`, literal where possible.
    fn inv_count(shape: &Shape, axes: &[usize]) -> Scalar {
        let mut c = 1.0;
        let mut inv = Vec::new();
        for &a in axes {
            match shape.0[a].as_lit() {
                Some(n) => c /= n as f64,
                None => inv.push(shape.0[a].clone()),
            }
        }
        Scalar { c, inv_dims: inv }
    }

    fn want_args(cx: &Ctxt, name: &syn::Ident, c: &CallArgs, n: usize, what: &str) -> bool {
        if c.pos.len() != n {
            cx.error(
                name.span(),
                format!(
                    "`{name}` takes {what}, got {} positional argument(s)",
                    c.pos.len()
                ),
            );
            return false;
        }
        true
    }

    fn call(
        &mut self,
        cx: &Ctxt,
        whole: &Expr,
        name: &syn::Ident,
        args: &[Arg],
        scope: &mut Scope,
    ) -> Option<Val> {
        let fname = name.to_string();
        let ctx = self.ctx;
        if let Some(sig) = ctx.env.sigs.iter().find(|s| s.name == fname) {
            return self.inline(cx, whole, name, sig, args, scope, ctx);
        }
        if let Some(h) = self.ctx.env.model.helpers.iter().find(|h| h.name == fname) {
            return self.inline_helper(cx, name, h, args, scope);
        }
        if let Some(k) = self.ctx.env.customs.iter().position(|c| c.name == fname) {
            return self.custom(cx, name, k, args, scope);
        }
        if fname == "scan" || fname == "scan_all" {
            return self.scan(cx, name, args, scope, fname == "scan_all");
        }
        if self.ctx.env.poisoned.contains(&fname) {
            return None;
        }
        let c = split_args(args);
        // Evaluate the tensor operand(s) first, so errors inside them are reported.
        let first = c.pos.first().copied();
        let unary_like = |n: &str| -> bool {
            crate::ops::unary::from_name(n).is_some()
                || matches!(n, "softplus" | "gelu" | "stop_grad" | "transpose")
        };
        if let Some(u) = crate::ops::unary::from_name(&fname) {
            let ok = c.only(cx, &fname, &[], &[]) & Self::want_args(cx, name, &c, 1, "1 tensor argument");
            let x = self.expr(cx, first?, scope)?;
            if !ok {
                return None;
            }
            return Some(match x {
                Val::Num(v) => Val::Num(fold_unary(u, v)),
                Val::T(x) => Val::T(self.graph.unary(u, x)),
            });
        }
        if unary_like(&fname) {
            let ok = c.only(cx, &fname, &[], &[]) & Self::want_args(cx, name, &c, 1, "1 tensor argument");
            let xe = first?;
            let xv = self.expr(cx, xe, scope)?;
            if !ok {
                return None;
            }
            let x = self.tensor(xv, xe.start());
            let g = &mut self.graph;
            return Some(Val::T(match fname.as_str() {
                // softplus(x) = relu(x) + ln(1 + exp(-|x|)), stable for large |x|
                "softplus" => softplus(g, x),
                // gelu, tanh approximation: x/2 (1 + tanh(√(2/π)(x + 0.044715 x³)))
                "gelu" => {
                    let x3 = g.pow_scalar(x, 3.0);
                    let k = g.scale_lit(x3, 0.044715);
                    let inner = g.add(x, k);
                    let s = g.scale_lit(inner, (2.0 / std::f64::consts::PI).sqrt());
                    let t = g.unary(Unary::Tanh, s);
                    let one_t = g.add_scalar(t, 1.0);
                    let hx = g.scale_lit(x, 0.5);
                    g.mul(hx, one_t)
                }
                "stop_grad" => g.stop_grad(x),
                _ => {
                    // transpose: swap the last two axes
                    if g.shape(x).rank() < 2 {
                        cx.error(
                            name.span(),
                            format!("`transpose` needs rank ≥ 2, but `{xe}` is {}", g.shape(x)),
                        );
                        return None;
                    }
                    g.transpose(x)
                }
            }));
        }
        match fname.as_str() {
            "pow" => {
                let ok = c.only(cx, "pow", &[], &[])
                    & Self::want_args(cx, name, &c, 2, "a tensor and a number: `pow(x, 3.0)`");
                let xv = self.expr(cx, first?, scope)?;
                if !ok {
                    return None;
                }
                let Some(p) = c.pos[1].as_num().filter(|p| p.is_finite()) else {
                    cx.error_range(
                        c.pos[1].start(),
                        c.pos[1].end(),
                        "the exponent of `pow` must be a finite number literal",
                    );
                    return None;
                };
                Some(match xv {
                    Val::Num(v) => Val::Num(v.powf(p)),
                    Val::T(x) => Val::T(self.graph.pow_scalar(x, p)),
                })
            }
            "sum" | "mean" | "max" | "logsumexp" => {
                let ok = c.only(cx, &fname, &["axis", "axes"], &["keepdim"]);
                if c.pos.is_empty() || c.pos.len() > 2 {
                    cx.error(
                        name.span(),
                        format!("`{fname}` takes a tensor and optionally an axis: `{fname}(x, axis = 1)`"),
                    );
                    return None;
                }
                let xe = c.pos[0];
                let (x, xs) = self.operand(cx, xe, scope)?;
                let axes = self.reduce_axes(cx, &c, xe, &xs)?;
                if !ok {
                    return None;
                }
                let g = &mut self.graph;
                let y = match fname.as_str() {
                    "sum" => g.sum(x, axes.clone()),
                    "mean" => {
                        let s = g.sum(x, axes.clone());
                        g.scale(s, Self::inv_count(&xs, &axes))
                    }
                    "max" => g.max(x, axes.clone()),
                    _ => logsumexp(g, x, &axes),
                };
                Some(Val::T(if c.flag("keepdim") {
                    self.keep(y, &xs, &axes)
                } else {
                    y
                }))
            }
            "softmax" | "log_softmax" => {
                let ok = c.only(cx, &fname, &["axis"], &[]);
                if c.pos.is_empty() || c.pos.len() > 2 {
                    cx.error(
                        name.span(),
                        format!("`{fname}` takes a tensor and optionally an axis (default -1)"),
                    );
                    return None;
                }
                let xe = c.pos[0];
                let (x, xs) = self.operand(cx, xe, scope)?;
                if xs.is_scalar() {
                    cx.error(
                        name.span(),
                        format!("`{fname}` needs at least one axis, but `{xe}` is a scalar"),
                    );
                    return None;
                }
                let minus_one = Expr::Num {
                    value: -1.0,
                    is_int: true,
                    span: name.span(),
                };
                let axis_e = c.kw("axis").or(c.pos.get(1).copied());
                let a = match axis_e {
                    Some(e) => self.axis(cx, e, xe, &xs)?,
                    None => self.axis(
                        cx,
                        &Expr::Neg {
                            span: name.span(),
                            inner: Box::new(minus_one),
                        },
                        xe,
                        &xs,
                    )?,
                };
                if !ok {
                    return None;
                }
                let g = &mut self.graph;
                Some(Val::T(if fname == "softmax" {
                    softmax(g, x, a)
                } else {
                    log_softmax(g, x, a)
                }))
            }
            "mse" | "cross_entropy" | "bce_with_logits" => {
                let ok = c.only(cx, &fname, &[], &[])
                    & Self::want_args(cx, name, &c, 2, "2 tensors: prediction and target");
                let (ae, be) = (c.pos.first().copied()?, c.pos.get(1).copied()?);
                let (a, b) = (self.operand(cx, ae, scope), self.operand(cx, be, scope));
                let ((a, sa), (b, sb)) = (a?, b?);
                if !ok {
                    return None;
                }
                if sa != sb {
                    cx.error(
                        name.span(),
                        format!("`{fname}` needs equal shapes: `{ae}` is {sa}, `{be}` is {sb}"),
                    );
                    return None;
                }
                if fname == "cross_entropy" && sa.is_scalar() {
                    cx.error(name.span(), "`cross_entropy` needs a class axis (the last one)");
                    return None;
                }
                let g = &mut self.graph;
                Some(Val::T(match fname.as_str() {
                    "mse" => {
                        let d = g.sub(a, b);
                        let sq = g.unary(Unary::Square, d);
                        let all: Vec<usize> = (0..sa.rank()).collect();
                        let s = g.sum(sq, all.clone());
                        g.scale(s, Self::inv_count(&sa, &all))
                    }
                    // −mean over samples of Σ_classes target · log_softmax(logits)
                    "cross_entropy" => {
                        let last = sa.rank() - 1;
                        let ls = log_softmax(g, a, last);
                        let tl = g.mul(b, ls);
                        let per = g.sum(tl, vec![last]);
                        let rest: Vec<usize> = (0..last).collect();
                        let s = g.sum(per, rest.clone());
                        let m = g.scale(s, Self::inv_count(&sa, &rest));
                        g.neg(m)
                    }
                    // mean(softplus(x) − x·t): the stable form of binary cross-entropy on logits
                    _ => {
                        let sp = softplus(g, a);
                        let xt = g.mul(a, b);
                        let l = g.sub(sp, xt);
                        let all: Vec<usize> = (0..sa.rank()).collect();
                        let s = g.sum(l, all.clone());
                        g.scale(s, Self::inv_count(&sa, &all))
                    }
                }))
            }
            "reshape" | "broadcast" => {
                let ok = c.only(cx, &fname, &[], &[])
                    & Self::want_args(cx, name, &c, 2, "a tensor and a shape: `[B, 4]`");
                let xe = first?;
                let xv = self.expr(cx, xe, scope)?;
                if !ok {
                    return None;
                }
                let x = self.tensor(xv, xe.start());
                let target = self.shape_arg(cx, c.pos[1], scope)?;
                let xs = self.graph.shape(x).clone();
                if fname == "reshape" {
                    if let Err(rule) = reshape::check(&xs, &target) {
                        cx.error(name.span(), format!("{rule} (`{xe}`)"));
                        return None;
                    }
                    Some(Val::T(self.graph.reshape(x, target)))
                } else {
                    match broadcast::elementwise(&xs, &target) {
                        Ok((out, plan, _)) if out == target => {
                            Some(Val::T(broadcast::apply(&mut self.graph, x, &plan, &out)))
                        }
                        _ => {
                            cx.error(name.span(), format!("cannot broadcast `{xe}` of shape {xs} to {target} (numpy rules, aligned from the right)"));
                            None
                        }
                    }
                }
            }
            "permute" => {
                let ok = c.only(cx, "permute", &[], &[])
                    & Self::want_args(cx, name, &c, 2, "a tensor and a list of axes: `[1, 0]`");
                let xe = first?;
                let xv = self.expr(cx, xe, scope)?;
                if !ok {
                    return None;
                }
                let x = self.tensor(xv, xe.start());
                let Expr::List { items, open, close } = c.pos[1] else {
                    cx.error_range(
                        c.pos[1].start(),
                        c.pos[1].end(),
                        "`permute` needs a list of axes like `[1, 0]`",
                    );
                    return None;
                };
                let mut perm = Vec::new();
                for it in items {
                    match it.as_int() {
                        Some(v) if v >= 0 => perm.push(v as usize),
                        _ => {
                            cx.error_range(
                                it.start(),
                                it.end(),
                                "permutation entries must be non-negative integer literals",
                            );
                            return None;
                        }
                    }
                }
                let r = self.graph.shape(x).rank();
                if let Err(rule) = permute::check(r, &perm) {
                    cx.error_range(
                        *open,
                        *close,
                        format!("{rule} (`{xe}` is {})", self.graph.shape(x)),
                    );
                    return None;
                }
                Some(Val::T(self.graph.permute(x, perm)))
            }
            "concat" => {
                let ok = c.only(cx, "concat", &["axis"], &[])
                    & Self::want_args(cx, name, &c, 2, "2 tensors and an axis: `concat(a, b, axis = 1)`");
                let (ae, be) = (c.pos.first().copied()?, c.pos.get(1).copied()?);
                let (a, b) = (self.operand(cx, ae, scope), self.operand(cx, be, scope));
                let ((a, sa), (b, sb)) = (a?, b?);
                if !ok {
                    return None;
                }
                let Some(axis_e) = c.kw("axis") else {
                    cx.error(name.span(), "`concat` needs `axis = k`");
                    return None;
                };
                let axis = self.axis(cx, axis_e, ae, &sa)?;
                match concat::out_shape(&sa, &sb, axis) {
                    Ok(out) => {
                        let left = sa.0[axis].as_lit().unwrap_or(0);
                        Some(Val::T(self.graph.push(
                            Op::Concat { axis, left },
                            vec![a, b],
                            out,
                            name.span(),
                        )))
                    }
                    Err(rule) => {
                        cx.error(name.span(), format!("{rule}: `{ae}` is {sa}, `{be}` is {sb}"));
                        None
                    }
                }
            }
            "slice" | "select" => {
                let ok = c.only(cx, &fname, &["axis"], &[]);
                // slice(x, axis = k, a..b) or slice(x, k, a..b); select(x, axis = k, i)
                let (axis_e, idx_e) = match (c.kw("axis"), c.pos.len()) {
                    (Some(a), 2) => (a, c.pos[1]),
                    (None, 3) => (c.pos[1], c.pos[2]),
                    _ => {
                        let form = if fname == "slice" {
                            "slice(x, axis = 1, 0..3)"
                        } else {
                            "select(x, axis = 1, 2)"
                        };
                        cx.error(name.span(), format!("`{fname}` is written `{form}`"));
                        return None;
                    }
                };
                let xe = first?;
                let xv = self.expr(cx, xe, scope)?;
                if !ok {
                    return None;
                }
                let x = self.tensor(xv, xe.start());
                let xs = self.graph.shape(x).clone();
                let axis = self.axis(cx, axis_e, xe, &xs)?;
                let (start, end) = match (fname.as_str(), idx_e) {
                    ("slice", Expr::Range { start, end }) => match (start.as_int(), end.as_int()) {
                        (Some(s), Some(e)) if s >= 0 && e >= 0 => (s as usize, e as usize),
                        _ => {
                            cx.error_range(
                                idx_e.start(),
                                idx_e.end(),
                                "slice bounds must be non-negative integer literals",
                            );
                            return None;
                        }
                    },
                    ("select", e) => match e.as_int() {
                        Some(i) if i >= 0 => (i as usize, i as usize + 1),
                        _ => {
                            cx.error_range(
                                e.start(),
                                e.end(),
                                "`select` needs a non-negative integer literal index",
                            );
                            return None;
                        }
                    },
                    _ => {
                        cx.error_range(idx_e.start(), idx_e.end(), "`slice` needs a range like `0..3`");
                        return None;
                    }
                };
                if let Err(rule) = slice::out_shape(&xs, axis, start, end) {
                    cx.error_range(idx_e.start(), idx_e.end(), format!("{rule} (`{xe}` is {xs})"));
                    return None;
                }
                let s = self.graph.slice(x, axis, start, end);
                Some(Val::T(if fname == "select" {
                    self.graph.reshape(s, xs.without_axes(&[axis]))
                } else {
                    s
                }))
            }
            _ => {
                let mut known: Vec<String> = self.ctx.env.sigs.iter().map(|s| s.name.to_string()).collect();
                known.sort();
                cx.error(
                    name.span(),
                    format!(
                        "unknown function `{fname}`: not a model function ({}) nor a built-in op (see the op reference in the book)",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    ),
                );
                None
            }
        }
    }

    /// A shape written as a call argument: `[B, 4]`.
    fn shape_arg(&self, cx: &Ctxt, e: &Expr, scope: &Scope) -> Option<Shape> {
        let Expr::List { items, .. } = e else {
            cx.error_range(e.start(), e.end(), "expected a shape like `[B, 4]`");
            return None;
        };
        let mut dims = Vec::new();
        for it in items {
            match it {
                Expr::Num {
                    value, is_int: true, ..
                } => dims.push(Dim::lit(*value as usize)),
                Expr::Var(id) => {
                    let name = id.to_string();
                    let Some(d) = scope.dims.get(&name).or(self.ctx.env.dims.get(&name)) else {
                        cx.error(id.span(), format!("unknown dim `{name}`"));
                        return None;
                    };
                    if d.is_runtime() && !scope.bound.contains(&d.kind) {
                        cx.error(id.span(), format!("run-time dim `{name}` is not the size of any argument of `{}`, so its value is unknown here", scope.fn_name));
                        return None;
                    }
                    dims.push(d.clone());
                }
                other => {
                    cx.error_range(
                        other.start(),
                        other.end(),
                        "shape entries are integer literals or dim names",
                    );
                    return None;
                }
            }
        }
        Some(Shape(dims))
    }

    /// Inlines a call to another function of the model, unifying its run-time dims with the
    /// caller's shapes.
    #[allow(clippy::too_many_arguments)]
    fn inline(
        &mut self,
        cx: &Ctxt,
        whole: &Expr,
        name: &syn::Ident,
        sig: &FnSig,
        args: &[Arg],
        scope: &mut Scope,
        callee_ctx: &'a ModelCtx<'a>,
    ) -> Option<Val> {
        let fname = name.to_string();
        let key = format!("{}::{fname}", callee_ctx.env.model.name);
        if self.stack.contains(&key) {
            cx.error(name.span(), format!("recursive call to `{fname}`: calls are inlined at compile time, so a function cannot call itself"));
            return None;
        }
        let (inputs, dims) = self.typed_args(cx, &format!("`{fname}`"), name, &sig.args, args, scope)?;
        let mut callee = Scope {
            vars: HashMap::new(),
            dims,
            bound: scope.bound.clone(),
            fn_name: fname.clone(),
        };
        for ((pname, _), t) in sig.args.iter().zip(inputs) {
            callee.vars.insert(pname.to_string(), Some(Val::T(t)));
        }
        let def = callee_ctx.env.model.fns.iter().find(|f| f.name == fname)?;
        // Errors inside the callee are reported when it is lowered on its own.
        let quiet = Ctxt::new();
        self.stack.push(key);
        let caller_ctx = self.ctx;
        self.ctx = callee_ctx;
        let r = self.block(&quiet, &def.body, &mut callee);
        self.ctx = caller_ctx;
        self.stack.pop();
        if quiet.has_errors() {
            // A recursion error must still surface at this call site.
            for e in quiet.finish().err().into_iter() {
                if e.to_string().starts_with("recursive call") {
                    cx.error(whole.start(), e.to_string());
                }
            }
            return None;
        }
        r
    }
}

impl<'a> Lowerer<'a> {
    /// The node of parameter `global` of the flattened layout, created on first use.
    fn param_global(&mut self, global: usize, shape: Shape, span: Span) -> NodeId {
        if let Some(id) = self.params[global] {
            return id;
        }
        let id = self.graph.push(Op::Param(global), vec![], shape, span);
        self.params[global] = Some(id);
        id
    }

    /// `scan(step, xs, h0, axis = k)`: the final state of `h ← step(h, x_t)` over axis k of
    /// `xs`; `scan_all` returns every state, with the scanned axis at position k.
    fn scan(
        &mut self,
        cx: &Ctxt,
        name: &syn::Ident,
        args: &[Arg],
        scope: &mut Scope,
        all: bool,
    ) -> Option<Val> {
        let fname = name.to_string();
        let c = split_args(args);
        let ok = c.only(cx, &fname, &["axis"], &[]);
        if c.pos.len() != 3 {
            cx.error(name.span(), format!("`{fname}` is written `{fname}(step, xs, h0, axis = 1)`, with `step(h, x)` a function of the model"));
            return None;
        }
        let ctx = self.ctx;
        let Expr::Var(step) = c.pos[0] else {
            cx.error_range(
                c.pos[0].start(),
                c.pos[0].end(),
                format!("the first argument of `{fname}` names the step function, e.g. `cell`"),
            );
            return None;
        };
        let Some(sig) = ctx.env.sigs.iter().find(|s| s.name == *step) else {
            if !ctx.env.poisoned.contains(&step.to_string()) {
                cx.error(step.span(), format!("`{step}` is not a function of this model (the step of a scan is `fn {step}(h: [..], x: [..]) -> [..]`)"));
            }
            return None;
        };
        if sig.args.len() != 2 {
            cx.error(
                step.span(),
                format!(
                    "the step function `{step}` must take two arguments, the state and one slice, not {}",
                    sig.args.len()
                ),
            );
            return None;
        }
        let (xe, he) = (c.pos[1], c.pos[2]);
        let xv = self.expr(cx, xe, scope);
        let hv = self.expr(cx, he, scope);
        let (xv, hv) = (xv?, hv?);
        if !ok {
            return None;
        }
        let (xs, h0) = (self.tensor(xv, xe.start()), self.tensor(hv, he.start()));
        let (xs_s, h_s) = (self.graph.shape(xs).clone(), self.graph.shape(h0).clone());
        let Some(axis_e) = c.kw("axis") else {
            cx.error(
                name.span(),
                format!("`{fname}` needs the axis to scan over: `axis = 1`"),
            );
            return None;
        };
        let axis = self.axis(cx, axis_e, xe, &xs_s)?;
        let x_s = xs_s.without_axes(&[axis]);
        let mut dims = HashMap::new();
        let (hn, hdecl) = &sig.args[0];
        let (xn, xdecl) = &sig.args[1];
        if !unify(hdecl, &h_s, &mut dims) {
            cx.error_range(he.start(), he.end(), format!("scan state shape mismatch: `{step}`'s state `{hn}` is {hdecl}, but the initial state `{he}` is {h_s}"));
            return None;
        }
        if !unify(xdecl, &x_s, &mut dims) {
            cx.error_range(xe.start(), xe.end(), format!("scan slice shape mismatch: `{step}` takes `{xn}`: {xdecl}, but a slice of `{xe}` ({xs_s}) along axis {axis} is {x_s}"));
            return None;
        }
        // The body, lowered into its own graph: Input(0) = h, Input(1) = x_t.
        let mut child = Lowerer {
            ctx,
            graph: Graph::default(),
            params: vec![None; self.params.len()],
            stack: self.stack.clone(),
        };
        let key = format!("{}::{step}", ctx.env.model.name);
        if child.stack.contains(&key) {
            cx.error(step.span(), format!("recursive call to `{step}`: calls are inlined at compile time, so a function cannot call itself"));
            return None;
        }
        child.stack.push(key);
        let h_in = child.graph.push(Op::Input(0), vec![], h_s.clone(), he.start());
        let x_in = child.graph.push(Op::Input(1), vec![], x_s.clone(), xe.start());
        let mut body_scope = Scope {
            vars: HashMap::new(),
            dims,
            bound: scope.bound.clone(),
            fn_name: step.to_string(),
        };
        body_scope.vars.insert(hn.to_string(), Some(Val::T(h_in)));
        body_scope.vars.insert(xn.to_string(), Some(Val::T(x_in)));
        let def = ctx.env.model.fns.iter().find(|f| f.name == *step)?;
        let quiet = Ctxt::new();
        let r = child.block(&quiet, &def.body, &mut body_scope);
        if quiet.has_errors() {
            // Reported where `step` is lowered on its own.
            return None;
        }
        let out = match r? {
            Val::T(id) => id,
            Val::Num(v) => child.graph.fill(h_s.clone(), v, step.span()),
        };
        if child.graph.shape(out) != &h_s {
            cx.error(
                step.span(),
                format!(
                    "scan state shape mismatch: `{step}` returns {}, but the state it carries is {h_s}",
                    child.graph.shape(out)
                ),
            );
            return None;
        }
        let captured: Vec<usize> = child
            .params
            .iter()
            .enumerate()
            .filter_map(|(g, n)| n.map(|_| g))
            .collect();
        let mut inputs = vec![xs, h0];
        for &g in &captured {
            let node = child.params[g].expect("captured parameters have nodes");
            let shape = child.graph.shape(node).clone();
            inputs.push(self.param_global(g, shape, step.span()));
        }
        let t = xs_s.0[axis].clone();
        let states_shape = crate::ops::scan::states_shape(&t, &h_s);
        let body = crate::ir::ScanBody {
            graph: child.graph,
            out,
            axis,
            captured,
            h_shape: h_s.clone(),
            x_shape: x_s,
            xs_shape: xs_s,
        };
        let states = self.graph.push(
            Op::Scan(std::rc::Rc::new(body)),
            inputs,
            states_shape,
            name.span(),
        );
        if !all {
            return Some(Val::T(self.graph.push(Op::Last, vec![states], h_s, name.span())));
        }
        // Put the scanned axis at position `axis` of the result.
        if axis > h_s.rank() {
            cx.error(
                name.span(),
                format!(
                    "`scan_all` puts the scanned axis at position {axis}, but the state has only {} dims",
                    h_s.rank()
                ),
            );
            return None;
        }
        let perm: Vec<usize> = (0..=h_s.rank())
            .map(|i| {
                if i < axis {
                    i + 1
                } else if i == axis {
                    0
                } else {
                    i
                }
            })
            .collect();
        Some(Val::T(self.graph.permute(states, perm)))
    }

    /// Positional arguments of a call to something with a typed signature (a model function or a
    /// custom op): arity checked, each argument's shape unified with its declared shape (the
    /// callee's run-time dims bound to the caller's). `what` names the callee in messages.
    fn typed_args(
        &mut self,
        cx: &Ctxt,
        what: &str,
        name: &syn::Ident,
        params: &[(syn::Ident, Shape)],
        args: &[Arg],
        scope: &mut Scope,
    ) -> Option<(Vec<NodeId>, HashMap<String, Dim>)> {
        let c = split_args(args);
        if !c.kw.is_empty() || !c.flags.is_empty() || c.pos.len() != params.len() {
            let sig: Vec<String> = params.iter().map(|(n, s)| format!("{n}: {s}")).collect();
            cx.error(
                name.span(),
                format!(
                    "{what} takes {} argument(s) ({}), got {}",
                    params.len(),
                    sig.join(", "),
                    args.len()
                ),
            );
            return None;
        }
        let mut dims = HashMap::new();
        let mut inputs = Vec::new();
        let mut ok = true;
        for ((pname, pshape), ae) in params.iter().zip(&c.pos) {
            let Some(v) = self.expr(cx, ae, scope) else {
                ok = false;
                continue;
            };
            let t = self.tensor(v, ae.start());
            let actual = self.graph.shape(t).clone();
            if !unify(pshape, &actual, &mut dims) {
                cx.error_range(
                    ae.start(),
                    ae.end(),
                    format!("argument `{pname}` of {what} must be {pshape}, but `{ae}` is {actual}"),
                );
                ok = false;
                continue;
            }
            inputs.push(t);
        }
        ok.then_some((inputs, dims))
    }

    /// `enc.forward(x)`: a function of a sub-model, inlined with the sub-model's parameters.
    fn method_call(
        &mut self,
        cx: &Ctxt,
        whole: &Expr,
        recv: &syn::Ident,
        method: &syn::Ident,
        args: &[Arg],
        scope: &mut Scope,
    ) -> Option<Val> {
        let ctx = self.ctx;
        let Some((_, sub)) = ctx.subs.iter().find(|(f, _)| recv == f) else {
            if ctx.env.poisoned.contains(&recv.to_string()) {
                return None;
            }
            let subs: Vec<String> = ctx
                .subs
                .iter()
                .map(|(f, s)| format!("{f}: {}", s.env.model.name))
                .collect();
            cx.error(
                recv.span(),
                format!(
                    "`{recv}` is not a sub-model of `{}` (sub-models: {}); declare one in `params` as `{recv}: OtherModel`",
                    ctx.env.model.name,
                    if subs.is_empty() { "none".to_string() } else { subs.join(", ") }
                ),
            );
            return None;
        };
        let Some(sig) = sub.env.sigs.iter().find(|s| s.name == *method) else {
            let fns: Vec<String> = sub.env.sigs.iter().map(|s| s.name.to_string()).collect();
            cx.error(
                method.span(),
                format!(
                    "sub-model `{recv}` ({}) has no function `{method}` (it has: {})",
                    sub.env.model.name,
                    fns.join(", ")
                ),
            );
            return None;
        };
        self.inline(cx, whole, method, sig, args, scope, sub)
    }

    /// A call of a custom op: arguments checked against its declared shapes (run-time dims
    /// unified with the caller's), result of the declared shape.
    fn custom(
        &mut self,
        cx: &Ctxt,
        name: &syn::Ident,
        k: usize,
        args: &[Arg],
        scope: &mut Scope,
    ) -> Option<Val> {
        let sig = &self.ctx.env.customs[k];
        let fname = name.to_string();
        let (inputs, dims) =
            self.typed_args(cx, &format!("custom op `{fname}`"), name, &sig.args, args, scope)?;
        let out = Shape(
            sig.ret
                .0
                .iter()
                .map(|d| match &d.kind {
                    DimKind::Runtime(r) => dims.get(r).cloned().unwrap_or_else(|| d.clone()),
                    _ => d.clone(),
                })
                .collect(),
        );
        Some(Val::T(self.graph.push(
            Op::Custom(self.ctx.custom_map[k]),
            inputs,
            out,
            name.span(),
        )))
    }

    /// Inlines a shape-polymorphic helper: its arguments take the caller's values (numbers or
    /// tensors of any shape); errors inside it are reported where they occur.
    fn inline_helper(
        &mut self,
        cx: &Ctxt,
        name: &syn::Ident,
        h: &HelperDef,
        args: &[Arg],
        scope: &mut Scope,
    ) -> Option<Val> {
        let fname = name.to_string();
        if self.stack.contains(&fname) {
            cx.error(name.span(), format!("recursive call to `{fname}`: calls are inlined at compile time, so a function cannot call itself"));
            return None;
        }
        let c = split_args(args);
        if !c.kw.is_empty() || !c.flags.is_empty() || c.pos.len() != h.args.len() {
            cx.error(
                name.span(),
                format!(
                    "`{fname}` takes {} argument(s) ({}), got {}",
                    h.args.len(),
                    h.args
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    args.len()
                ),
            );
            return None;
        }
        let mut callee = Scope {
            vars: HashMap::new(),
            dims: scope.dims.clone(),
            bound: scope.bound.clone(),
            fn_name: fname.clone(),
        };
        let mut ok = true;
        for (a, e) in h.args.iter().zip(&c.pos) {
            let v = self.expr(cx, e, scope);
            ok &= v.is_some();
            callee.vars.insert(a.to_string(), v);
        }
        if !ok {
            return None;
        }
        self.stack.push(fname);
        let r = self.block(cx, &h.body, &mut callee);
        self.stack.pop();
        r
    }
}

/// Binds the callee's run-time dims to the caller's; static dims must match.
fn unify(decl: &Shape, actual: &Shape, subst: &mut HashMap<String, Dim>) -> bool {
    if decl.rank() != actual.rank() {
        return false;
    }
    for (d, a) in decl.0.iter().zip(&actual.0) {
        match &d.kind {
            DimKind::Runtime(r) => match subst.get(r) {
                Some(prev) if prev != a => return false,
                Some(_) => {}
                None => {
                    subst.insert(r.clone(), a.clone());
                }
            },
            _ if d == a => {}
            _ => return false,
        }
    }
    true
}

fn fold_unary(u: Unary, v: f64) -> f64 {
    match u {
        Unary::Neg => -v,
        Unary::Exp => v.exp(),
        Unary::Ln => v.ln(),
        Unary::Sqrt => v.sqrt(),
        Unary::Square => v * v,
        Unary::Abs => v.abs(),
        Unary::Sin => v.sin(),
        Unary::Cos => v.cos(),
        Unary::Tanh => v.tanh(),
        Unary::Sigmoid => 1.0 / (1.0 + (-v).exp()),
        Unary::Relu => v.max(0.0),
        Unary::Step => f64::from(v > 0.0),
        Unary::Sign => v.signum() * f64::from(v != 0.0),
    }
}

fn softplus(g: &mut Graph, x: NodeId) -> NodeId {
    let r = g.unary(Unary::Relu, x);
    let a = g.unary(Unary::Abs, x);
    let na = g.neg(a);
    let e = g.unary(Unary::Exp, na);
    let one_e = g.add_scalar(e, 1.0);
    let l = g.unary(Unary::Ln, one_e);
    g.add(r, l)
}

/// `m + ln Σ exp(x − m)` with `m = max(x)` held constant (the result does not depend on it).
fn logsumexp(g: &mut Graph, x: NodeId, axes: &[usize]) -> NodeId {
    let xs = g.shape(x).clone();
    let m = g.max(x, axes.to_vec());
    let m = g.stop_grad(m);
    let mb = g.broadcast(m, xs, axes.to_vec());
    let d = g.sub(x, mb);
    let e = g.unary(Unary::Exp, d);
    let s = g.sum(e, axes.to_vec());
    let l = g.unary(Unary::Ln, s);
    g.add(l, m)
}

fn softmax(g: &mut Graph, x: NodeId, axis: usize) -> NodeId {
    let xs = g.shape(x).clone();
    let m = g.max(x, vec![axis]);
    let m = g.stop_grad(m);
    let mb = g.broadcast(m, xs.clone(), vec![axis]);
    let d = g.sub(x, mb);
    let e = g.unary(Unary::Exp, d);
    let s = g.sum(e, vec![axis]);
    let sb = g.broadcast(s, xs, vec![axis]);
    g.div(e, sb)
}

fn log_softmax(g: &mut Graph, x: NodeId, axis: usize) -> NodeId {
    let xs = g.shape(x).clone();
    let l = logsumexp(g, x, &[axis]);
    let lb = g.broadcast(l, xs, vec![axis]);
    g.sub(x, lb)
}
