//! Leaves and zero-derivative ops: inputs, parameters, constants, `stop_grad`, and the
//! equality mask used by `max`'s VJP.

use crate::emit::EmitCx;
use crate::ir::{Node, NodeId, Op};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit(node: &Node, args: &[TokenStream], cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    match &node.op {
        // Inputs and parameters are bound by the emitter before the body.
        Op::Input(i) => cx.input_expr(*i),
        Op::Param(i) => cx.param_expr(*i),
        Op::Fill(c) => {
            let shape = cx.shape_val(&node.shape);
            let c = crate::emit::f64_tokens(*c);
            let t = quote!(#rt::ops::fill::<_, E, D>(&__dev, #shape, #c));
            if cx.taped {
                quote!(#rt::ops::traced(#t))
            } else {
                t
            }
        }
        Op::StopGrad => {
            let a = &args[0];
            quote!(#rt::ops::StopGradient::stop_grad(#a))
        }
        Op::EqMask => {
            let (a, b) = (&args[0], &args[1]);
            quote!(#rt::ops::eq_mask(#a, #b))
        }
        _ => unreachable!("leaf::emit called on {:?}", node.op),
    }
}

/// Leaves have no inputs; the others pass no gradient.
pub fn vjp(node: &Node) -> Vec<Option<NodeId>> {
    vec![None; node.inputs.len()]
}
