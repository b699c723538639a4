//! Elementwise two-input ops on equal shapes. Broadcasting is not done here: the lowering
//! inserts explicit `Broadcast` nodes, whose VJP is the one place gradients are un-broadcast.

use crate::ir::{Binary, Graph, Node, NodeId};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit(b: Binary, x: &TokenStream, y: &TokenStream) -> TokenStream {
    match b {
        Binary::Add => quote!((#x) + (#y)),
        Binary::Sub => quote!((#x) - (#y)),
        Binary::Mul => quote!((#x) * (#y)),
        Binary::Div => quote!((#x) / (#y)),
    }
}

/// `z = x ∘ y`; `g` is dL/dz.
pub fn vjp(gr: &mut Graph, b: Binary, z: NodeId, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let (x, y) = (node.inputs[0], node.inputs[1]);
    match b {
        Binary::Add => vec![Some(g), Some(g)],
        Binary::Sub => vec![Some(g), Some(gr.neg(g))],
        Binary::Mul => vec![Some(gr.mul(g, y)), Some(gr.mul(g, x))],
        // dz/dx = 1/y, dz/dy = -x/y² = -z/y
        Binary::Div => {
            let gx = gr.div(g, y);
            let gz = gr.mul(g, z);
            let gz_y = gr.div(gz, y);
            vec![Some(gx), Some(gr.neg(gz_y))]
        }
    }
}
