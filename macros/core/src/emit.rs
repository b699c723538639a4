//! Emission: IR to dfdx code with `quote!`. One straight-line `let` per live node; a value
//! used again later is cloned (an `Arc` bump), its last use moves it so dfdx can reuse the
//! buffer. The same statements serve the untraced path and the dfdx-tape oracle: only the
//! leaves differ (`traced(…)`) and reuse takes an empty tape instead of a clone.

use crate::ir::{Graph, NodeId, Scalar};
use crate::shape::{Dim, DimKind, Shape};
use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

/// What the emitter needs to know about the surrounding function.
pub struct EmitCx {
    /// Path of the runtime as generated code sees it (`::shapegrad::__private`).
    pub rt: TokenStream,
    /// Whether values carry a dfdx `OwnedTape` (the oracle path).
    pub taped: bool,
    /// Expression producing each function input as an owned tensor.
    pub inputs: Vec<TokenStream>,
    /// Expression producing each parameter as an owned tensor.
    pub params: Vec<TokenStream>,
    /// Each custom op: the Rust expression implementing it, and its DSL name.
    pub customs: Vec<(TokenStream, String)>,
    /// Path of dfdx's `shapes` module. Function bodies alias it (`__S`) to keep the expansion
    /// small: every shape type and value names it.
    pub shapes: TokenStream,
}

/// An `f64` literal that never panics: `proc_macro2` refuses non-finite literals, so those
/// become `f64::NAN` / `f64::INFINITY` paths (the checker reports them before emission; this
/// is the safety net).
pub fn f64_tokens(x: f64) -> TokenStream {
    if x.is_nan() {
        quote!(::core::f64::NAN)
    } else if x == f64::INFINITY {
        quote!(::core::f64::INFINITY)
    } else if x == f64::NEG_INFINITY {
        quote!(::core::f64::NEG_INFINITY)
    } else {
        let l = Literal::f64_suffixed(x);
        quote!(#l)
    }
}

pub fn dim_local(name: &str) -> Ident {
    format_ident!("__dim_{}", name)
}

impl EmitCx {
    pub fn input_expr(&self, i: usize) -> TokenStream {
        self.inputs[i].clone()
    }
    pub fn param_expr(&self, i: usize) -> TokenStream {
        self.params[i].clone()
    }

    fn dim_ty(&self, d: &Dim) -> TokenStream {
        let shapes = &self.shapes;
        match &d.kind {
            DimKind::Lit(n) => {
                let n = Literal::usize_unsuffixed(*n);
                quote!(#shapes::Const<#n>)
            }
            DimKind::Generic(g) => {
                let g = Ident::new(g, Span::call_site());
                quote!(#shapes::Const<#g>)
            }
            DimKind::Runtime(_) => quote!(usize),
        }
    }

    fn dim_val(&self, d: &Dim) -> TokenStream {
        let shapes = &self.shapes;
        match &d.kind {
            DimKind::Lit(n) => {
                let n = Literal::usize_unsuffixed(*n);
                quote!(#shapes::Const::<#n>)
            }
            DimKind::Generic(g) => {
                let g = Ident::new(g, Span::call_site());
                quote!(#shapes::Const::<#g>)
            }
            DimKind::Runtime(r) => {
                let v = dim_local(r);
                quote!(#v)
            }
        }
    }

    /// A dim as a value of its dfdx type (`Const::<4>` or the run-time `usize`).
    pub fn dim_value(&self, d: &Dim) -> TokenStream {
        self.dim_val(d)
    }

    /// A dim as a plain `usize` expression.
    pub fn dim_usize(&self, d: &Dim) -> TokenStream {
        match &d.kind {
            DimKind::Lit(n) => {
                let n = Literal::usize_suffixed(*n);
                quote!(#n)
            }
            DimKind::Generic(g) => {
                let g = Ident::new(g, Span::call_site());
                quote!(#g)
            }
            DimKind::Runtime(r) => {
                let v = dim_local(r);
                quote!(#v)
            }
        }
    }

    /// The dfdx shape type, e.g. `(usize, Const<32>)`.
    pub fn shape_ty(&self, s: &Shape) -> TokenStream {
        let dims = s.0.iter().map(|d| self.dim_ty(d));
        quote!((#(#dims,)*))
    }

    /// The dfdx shape value, e.g. `(__dim_B, Const::<32>)`.
    pub fn shape_val(&self, s: &Shape) -> TokenStream {
        let dims = s.0.iter().map(|d| self.dim_val(d));
        quote!((#(#dims,)*))
    }

    /// Like [`EmitCx::shape_val`] but with the dim at `axis` as a plain `usize` (for concat).
    pub fn shape_val_usize_at(&self, s: &Shape, axis: usize) -> TokenStream {
        let dims = s.0.iter().enumerate().map(|(i, d)| {
            if i == axis {
                let n = Literal::usize_suffixed(d.as_lit().unwrap_or(0));
                quote!(#n)
            } else {
                self.dim_val(d)
            }
        });
        quote!((#(#dims,)*))
    }

    /// `Axis<1>`, `Axes2<0, 1>`, …
    pub fn axes_ty(&self, axes: &[usize]) -> TokenStream {
        let shapes = &self.shapes;
        let lits = axes.iter().map(|&a| Literal::isize_unsuffixed(a as isize));
        let name = match axes.len() {
            1 => format_ident!("Axis"),
            n => format_ident!("Axes{}", n),
        };
        quote!(#shapes::#name<#(#lits),*>)
    }

    /// An `f64` expression for a scalar that may divide by run-time dims.
    pub fn scalar_expr(&self, s: &Scalar) -> TokenStream {
        let c = f64_tokens(s.c);
        let dims = s.inv_dims.iter().map(|d| match &d.kind {
            DimKind::Lit(n) => {
                let n = *n as f64;
                quote!(#n)
            }
            DimKind::Generic(g) => {
                let g = Ident::new(g, Span::call_site());
                quote!((#g as f64))
            }
            DimKind::Runtime(r) => {
                let v = dim_local(r);
                quote!((#v as f64))
            }
        });
        quote!((#c #(/ #dims)*))
    }
}

/// Nodes needed for `outputs`.
pub fn live_nodes(graph: &Graph, outputs: &[NodeId]) -> Vec<bool> {
    let mut live = vec![false; graph.nodes.len()];
    for &o in outputs {
        live[o] = true;
    }
    for id in (0..graph.nodes.len()).rev() {
        if live[id] {
            for &i in &graph.nodes[id].inputs {
                live[i] = true;
            }
        }
    }
    live
}

/// Straight-line statements computing `outputs`, and an expression for each output.
pub fn body(graph: &Graph, outputs: &[NodeId], cx: &EmitCx) -> (TokenStream, Vec<TokenStream>) {
    let live = live_nodes(graph, outputs);
    let mut uses = vec![0usize; graph.nodes.len()];
    for (id, node) in graph.nodes.iter().enumerate() {
        if live[id] {
            for &i in &node.inputs {
                uses[i] += 1;
            }
        }
    }
    for &o in outputs {
        uses[o] += 1;
    }
    let rt = &cx.rt;
    let taped = cx.taped;
    let take = |i: NodeId, uses: &mut Vec<usize>| -> TokenStream {
        let v = format_ident!("__v{}", i);
        uses[i] -= 1;
        if uses[i] > 0 {
            if taped {
                quote!(#rt::dfdx::tensor::WithEmptyTape::with_empty_tape(&#v))
            } else {
                quote!(#v.clone())
            }
        } else {
            quote!(#v)
        }
    };
    let mut stmts = TokenStream::new();
    for (id, node) in graph.nodes.iter().enumerate() {
        if !live[id] {
            continue;
        }
        let mut args: Vec<TokenStream> = node.inputs.iter().map(|&i| take(i, &mut uses)).collect();
        if taped {
            // dfdx's tape keys gradients by tensor id and asserts that a binary op's operands
            // differ (`x * x`); a recorded identity gives the repeated operand its own id.
            for (k, arg) in args.iter_mut().enumerate().skip(1) {
                if node.inputs[..k].contains(&node.inputs[k]) {
                    *arg = quote!((#arg * #rt::ops::scalar::<E>(1.0)));
                }
            }
        }
        let e = crate::ops::emit(node, &args, cx);
        let v = format_ident!("__v{}", id);
        stmts.extend(quote!(let #v = #e;));
    }
    let outs = outputs.iter().map(|&o| take(o, &mut uses)).collect();
    (stmts, outs)
}
