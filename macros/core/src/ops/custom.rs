//! Custom ops: the forward and VJP are the user's Rust code (`runtime::custom::CustomOp`);
//! this file emits the calls and splits the VJP's tuple of gradients with `Proj` nodes.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId, Op};
use crate::shape::Shape;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

pub fn emit(node: &Node, args: &[TokenStream], cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    match &node.op {
        Op::Custom(k) => {
            let (op, name) = &cx.customs[*k];
            let shape = cx.shape_val(&node.shape);
            let _ = name;
            quote!({
                let __ins = ::std::vec![#( #rt::custom::host(&(#args)) ),*];
                #rt::custom::forward(&(#op), &__dev, &__ins, #shape)?
            })
        }
        Op::CustomVjp { op, in_shapes } => {
            let (opx, name) = &cx.customs[*op];
            let n = in_shapes.len();
            let ins = &args[..n];
            let (y, g) = (&args[n], &args[n + 1]);
            let grads = in_shapes.iter().enumerate().map(|(k, s)| {
                let sv = cx.shape_val(s);
                quote!(#rt::custom::grad_tensor(&__dev, &mut __gs, #k, #sv, #name)?)
            });
            quote!({
                let __ins = ::std::vec![#( #rt::custom::host(&(#ins)) ),*];
                let mut __gs = #rt::custom::vjp(&(#opx), &__ins, &(#y), &(#g))?;
                (#(#grads,)*)
            })
        }
        Op::Proj(k) => {
            let a = &args[0];
            let k = Literal::usize_unsuffixed(*k);
            quote!((#a).#k)
        }
        _ => unreachable!("custom::emit called on {:?}", node.op),
    }
}

/// The VJP of a custom op is one call of its Rust VJP, split into per-input gradients. The VJP
/// itself is not differentiated again (functions using custom ops get no `_hvp`).
pub fn vjp(gr: &mut Graph, y: NodeId, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    match &node.op {
        Op::Custom(k) => {
            let in_shapes: Vec<Shape> = node.inputs.iter().map(|&i| gr.shape(i).clone()).collect();
            let mut inputs = node.inputs.clone();
            inputs.extend([y, g]);
            let t = gr.push(
                Op::CustomVjp {
                    op: *k,
                    in_shapes: in_shapes.clone(),
                },
                inputs,
                Shape::scalar(),
                node.span,
            );
            in_shapes
                .into_iter()
                .enumerate()
                .map(|(i, s)| Some(gr.push(Op::Proj(i), vec![t], s, node.span)))
                .collect()
        }
        _ => vec![None; node.inputs.len()],
    }
}
