//! Ops with a compile-time scalar: `x * s`, `x + c`, `x ^ c`. Literals in user code become
//! these instead of constant tensors.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId, Op};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit(node: &Node, a: &TokenStream, cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    match &node.op {
        Op::Scale(s) => {
            let s = cx.scalar_expr(s);
            quote!((#a) * #rt::ops::scalar::<E>(#s))
        }
        Op::AddScalar(c) => {
            let c = crate::emit::f64_tokens(*c);
            quote!((#a) + #rt::ops::scalar::<E>(#c))
        }
        Op::PowScalar(c) => {
            let c = crate::emit::f64_tokens(*c);
            quote!((#a).powf(#c))
        }
        _ => unreachable!("scalar::emit called on {:?}", node.op),
    }
}

pub fn vjp(gr: &mut Graph, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let x = node.inputs[0];
    let gx = match &node.op {
        Op::Scale(s) => gr.scale(g, s.clone()),
        Op::AddScalar(_) => g,
        // d x^c = c x^(c-1)
        Op::PowScalar(c) => {
            let c = *c;
            let d = if c - 1.0 == 1.0 {
                x
            } else if c - 1.0 == 0.0 {
                return vec![Some(gr.scale_lit(g, c))];
            } else {
                gr.pow_scalar(x, c - 1.0)
            };
            let gd = gr.mul(g, d);
            gr.scale_lit(gd, c)
        }
        _ => unreachable!("scalar::vjp called on {:?}", node.op),
    };
    vec![Some(gx)]
}
