//! `concat(a, b, axis = k)`. dfdx on stable Rust cannot add two `Const` dims at the type
//! level, so the emission views the joined axis as `usize` and reshapes the result back.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId};
use crate::shape::{Dim, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// Shape rule: all dims but `axis` equal; `axis` literal on both sides.
pub fn out_shape(a: &Shape, b: &Shape, axis: usize) -> Result<Shape, String> {
    if a.rank() != b.rank() {
        return Err(format!(
            "concat needs equal ranks, got {} and {}",
            a.rank(),
            b.rank()
        ));
    }
    for i in 0..a.rank() {
        if i != axis && a.0[i] != b.0[i] {
            return Err(format!(
                "concat needs all dims but axis {axis} to agree ({} vs {} at axis {i})",
                a.0[i], b.0[i]
            ));
        }
    }
    match (a.0[axis].as_lit(), b.0[axis].as_lit()) {
        (Some(x), Some(y)) => {
            let mut out = a.clone();
            out.0[axis] = Dim::lit(x + y);
            Ok(out)
        }
        _ => Err(format!(
            "concat along axis {axis} needs literal sizes there ({} and {})",
            a.0[axis], b.0[axis]
        )),
    }
}

pub fn emit(node: &Node, axis: usize, left: usize, args: &[TokenStream], cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    let shapes = &cx.shapes;
    let (a, b) = (&args[0], &args[1]);
    let total = node.shape.0[axis].as_lit().unwrap_or(left);
    let view = |part: usize| {
        let mut s = node.shape.clone();
        s.0[axis] = Dim::lit(part);
        cx.shape_val_usize_at(&s, axis)
    };
    let (va, vb) = (view(left), view(total - left));
    let dst = cx.shape_val(&node.shape);
    let ax = axis as isize;
    quote!({
        let __a = (#a).reshape_like(&#va);
        let __b = (#b).reshape_like(&#vb);
        #rt::dfdx::tensor_ops::TryConcatAlong::try_concat_along((__a, __b), #shapes::Axis::<#ax>)
            .expect("device error in concat")
            .reshape_like(&#dst)
    })
}

/// The gradient of a concatenation is the two slices of `g`.
pub fn vjp(gr: &mut Graph, axis: usize, left: usize, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let total = node.shape.0[axis].as_lit().unwrap_or(left);
    vec![
        Some(gr.slice(g, axis, 0, left)),
        Some(gr.slice(g, axis, left, total)),
    ]
}
