//! Elementwise two-input ops on equal shapes. Broadcasting is not done here: the lowering
//! inserts explicit `Broadcast` nodes, whose VJP is the one place gradients are un-broadcast.

use crate::emit::EmitCx;
use crate::ir::{Binary, Graph, Node, NodeId};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit(b: Binary, x: &TokenStream, y: &TokenStream, cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    match b {
        Binary::Add => quote!((#x) + (#y)),
        Binary::Sub => quote!((#x) - (#y)),
        Binary::Mul => quote!((#x) * (#y)),
        Binary::Div => quote!((#x) / (#y)),
        // Fused kernels on untraced tensors. They occur only in derived gradients, and the
        // dfdx-tape oracle records forward graphs only, so no taped code reaches them.
        Binary::TanhVjp => quote!(#rt::kernels::tanh_vjp(#x, #y)),
        Binary::SigmoidVjp => quote!(#rt::kernels::sigmoid_vjp(#x, #y)),
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
        // z = g (1 - y²): dz/dg is the same kernel, dz/dy = -2 g y.
        Binary::TanhVjp => {
            let gg = gr.binary(Binary::TanhVjp, x, g);
            let xy = gr.mul(x, y);
            let gxy = gr.mul(g, xy);
            vec![Some(gr.scale_lit(gxy, -2.0)), Some(gg)]
        }
        // z = g y (1 - y): dz/dg is the same kernel, dz/dy = g (1 - 2y).
        Binary::SigmoidVjp => {
            let gg = gr.binary(Binary::SigmoidVjp, x, g);
            let two_x = gr.scale_lit(x, -2.0);
            let d = gr.add_scalar(two_x, 1.0);
            let gy = gr.mul(g, y);
            vec![Some(gr.mul(gy, d)), Some(gg)]
        }
    }
}
