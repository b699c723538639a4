//! Reductions over axes: `sum` and `max` (primitives); `mean` and `logsumexp` are composites.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId, Op};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit(node: &Node, a: &TokenStream, cx: &EmitCx) -> TokenStream {
    let dst = cx.shape_ty(&node.shape);
    match &node.op {
        Op::Sum(axes) => {
            let ax = cx.axes_ty(axes);
            quote!((#a).sum::<#dst, #ax>())
        }
        Op::Max(axes) => {
            let ax = cx.axes_ty(axes);
            quote!((#a).max::<#dst, #ax>())
        }
        _ => unreachable!("reduce::emit called on {:?}", node.op),
    }
}

/// `y = reduce(x)`: sum's VJP broadcasts `g` back; max's routes it to the maxima.
pub fn vjp(gr: &mut Graph, y: NodeId, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let x = node.inputs[0];
    let xs = gr.shape(x).clone();
    match &node.op {
        Op::Sum(axes) => vec![Some(gr.broadcast(g, xs, axes.clone()))],
        Op::Max(axes) => {
            let gb = gr.broadcast(g, xs.clone(), axes.clone());
            let yb = gr.broadcast(y, xs, axes.clone());
            let mask = gr.eq_mask(x, yb);
            vec![Some(gr.mul(gb, mask))]
        }
        _ => unreachable!("reduce::vjp called on {:?}", node.op),
    }
}
