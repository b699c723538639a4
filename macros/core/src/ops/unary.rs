//! Elementwise one-input ops: shape unchanged. One line each for forward and VJP.

use crate::emit::EmitCx;
use crate::ir::{Binary, Graph, Node, NodeId, Unary};
use proc_macro2::TokenStream;
use quote::quote;

/// The DSL name of each user-facing unary op.
pub fn from_name(name: &str) -> Option<Unary> {
    Some(match name {
        "exp" => Unary::Exp,
        "ln" | "log" => Unary::Ln,
        "sqrt" => Unary::Sqrt,
        "square" => Unary::Square,
        "abs" => Unary::Abs,
        "sin" => Unary::Sin,
        "cos" => Unary::Cos,
        "tanh" => Unary::Tanh,
        "sigmoid" => Unary::Sigmoid,
        "relu" => Unary::Relu,
        _ => return None,
    })
}

pub fn emit(u: Unary, a: &TokenStream, cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    match u {
        Unary::Neg => quote!((#a).negate()),
        Unary::Exp => quote!((#a).exp()),
        Unary::Ln => quote!((#a).ln()),
        Unary::Sqrt => quote!((#a).sqrt()),
        Unary::Square => quote!((#a).square()),
        Unary::Abs => quote!((#a).abs()),
        Unary::Sin => quote!((#a).sin()),
        Unary::Cos => quote!((#a).cos()),
        // dfdx's f32 tanh is libm's scalar `tanhf`; the runtime's kernel vectorizes on CPU.
        Unary::Tanh if !cx.taped => quote!(#rt::kernels::tanh(#a)),
        Unary::Tanh => quote!((#a).tanh()),
        Unary::Sigmoid => quote!((#a).sigmoid()),
        Unary::Relu => quote!((#a).relu()),
        Unary::Step => quote!(#rt::ops::step(#a)),
        Unary::Sign => quote!(#rt::ops::sign(#a)),
    }
}

/// `y = u(x)`; `g` is dL/dy.
pub fn vjp(gr: &mut Graph, u: Unary, y: NodeId, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let x = node.inputs[0];
    let gx = match u {
        Unary::Neg => gr.neg(g),
        Unary::Exp => gr.mul(g, y),
        Unary::Ln => gr.div(g, x),
        // d sqrt(x) = 1 / (2 sqrt(x))
        Unary::Sqrt => {
            let half_g = gr.scale_lit(g, 0.5);
            gr.div(half_g, y)
        }
        Unary::Square => {
            let two_x = gr.scale_lit(x, 2.0);
            gr.mul(g, two_x)
        }
        Unary::Abs => {
            let s = gr.unary(Unary::Sign, x);
            gr.mul(g, s)
        }
        Unary::Sin => {
            let c = gr.unary(Unary::Cos, x);
            gr.mul(g, c)
        }
        Unary::Cos => {
            let s = gr.unary(Unary::Sin, x);
            let gs = gr.mul(g, s);
            gr.neg(gs)
        }
        // d tanh = 1 - y², d sigmoid = y (1 - y): each one fused kernel on the saved output.
        Unary::Tanh => gr.binary(Binary::TanhVjp, y, g),
        Unary::Sigmoid => gr.binary(Binary::SigmoidVjp, y, g),
        Unary::Relu => {
            let s = gr.unary(Unary::Step, x);
            gr.mul(g, s)
        }
        Unary::Step | Unary::Sign => return vec![None],
    };
    vec![Some(gx)]
}
