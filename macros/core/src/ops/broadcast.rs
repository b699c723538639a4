//! Broadcasting, and the one place gradients are un-broadcast. The checker's rule for
//! elementwise ops (numpy's, aligned from the right) lives here too.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId};
use crate::shape::{Dim, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// How one operand reaches the common shape: drop its size-1 dims at `squeeze` (a reshape),
/// then insert `axes` of the output.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub squeezed: Shape,
    pub axes: Vec<usize>,
}

/// Numpy broadcasting, from the right: equal dims match, a missing or literal-1 dim stretches.
/// Returns the common shape and each side's plan, or the rule broken.
pub fn elementwise(a: &Shape, b: &Shape) -> Result<(Shape, Plan, Plan), String> {
    let r = a.rank().max(b.rank());
    let get = |s: &Shape, i: usize| -> Option<Dim> {
        let off = r - s.rank();
        if i < off {
            None
        } else {
            Some(s.0[i - off].clone())
        }
    };
    let mut out = Vec::with_capacity(r);
    let (mut pa, mut pb) = (
        Plan {
            squeezed: Shape::default(),
            axes: vec![],
        },
        Plan {
            squeezed: Shape::default(),
            axes: vec![],
        },
    );
    for i in 0..r {
        let (da, db) = (get(a, i), get(b, i));
        let one = |d: &Option<Dim>| d.as_ref().and_then(Dim::as_lit) == Some(1);
        match (&da, &db) {
            (Some(x), Some(y)) if x == y => {
                out.push(x.clone());
                pa.squeezed.0.push(x.clone());
                pb.squeezed.0.push(y.clone());
            }
            (Some(x), _) if !one(&da) && (db.is_none() || one(&db)) => {
                out.push(x.clone());
                pa.squeezed.0.push(x.clone());
                pb.axes.push(i);
            }
            (_, Some(y)) if !one(&db) && (da.is_none() || one(&da)) => {
                out.push(y.clone());
                pb.squeezed.0.push(y.clone());
                pa.axes.push(i);
            }
            (Some(x), None) => {
                out.push(x.clone());
                pa.squeezed.0.push(x.clone());
                pb.axes.push(i);
            }
            (None, Some(y)) => {
                out.push(y.clone());
                pb.squeezed.0.push(y.clone());
                pa.axes.push(i);
            }
            (Some(x), Some(y)) => {
                return Err(format!(
                    "elementwise ops need broadcast-compatible shapes (numpy rules, aligned from the right): \
                     dim {x} vs {y} at axis {i} of the result"
                ))
            }
            (None, None) => unreachable!("axis beyond both ranks"),
        }
    }
    Ok((Shape(out), pa, pb))
}

/// Applies a plan to node `x` (reshape away size-1 dims, then insert axes).
pub fn apply(gr: &mut Graph, x: NodeId, plan: &Plan, to: &Shape) -> NodeId {
    let sq = gr.reshape(x, plan.squeezed.clone());
    gr.broadcast(sq, to.clone(), plan.axes.clone())
}

pub fn emit(node: &Node, axes: &[usize], a: &TokenStream, cx: &EmitCx) -> TokenStream {
    let ax = cx.axes_ty(axes);
    let dst = cx.shape_val(&node.shape);
    if cx.taped {
        // Like reshape, a broadcast keeps the tensor id: give it its own on the tape.
        let rt = &cx.rt;
        quote!(((#a).broadcast_like::<_, #ax>(&#dst) * #rt::ops::scalar::<E>(1.0)))
    } else {
        quote!((#a).broadcast_like::<_, #ax>(&#dst))
    }
}

/// Un-broadcasting: the gradient of a broadcast is the sum over the axes it inserted.
pub fn vjp(gr: &mut Graph, axes: &[usize], g: NodeId) -> Vec<Option<NodeId>> {
    vec![Some(gr.sum(g, axes.to_vec()))]
}
