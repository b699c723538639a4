//! `slice(x, axis = k, a..b)` and its adjoint `Pad` (embed into zeros). `select(x, axis = k, i)`
//! is a slice of length one followed by a reshape that drops the axis.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId, Op};
use crate::shape::{Dim, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// Shape rule: a literal dim at `axis` and `start < end <= dim`.
pub fn out_shape(x: &Shape, axis: usize, start: usize, end: usize) -> Result<Shape, String> {
    let d = &x.0[axis];
    let Some(n) = d.as_lit() else {
        return Err(format!(
            "slice needs a literal size along axis {axis}, but it is `{d}`"
        ));
    };
    if start >= end || end > n {
        return Err(format!(
            "slice {start}..{end} is out of range for axis {axis} of size {n}"
        ));
    }
    let mut out = x.clone();
    out.0[axis] = Dim::lit(end - start);
    Ok(out)
}

pub fn emit(node: &Node, args: &[TokenStream], cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    let shapes = &cx.shapes;
    let a = &args[0];
    let dst = cx.shape_val(&node.shape);
    match node.op {
        Op::Slice { axis, start, end } => {
            let ranges = (0..node.shape.rank()).map(|i| {
                if i == axis {
                    quote!(#start..#end)
                } else {
                    quote!(..)
                }
            });
            quote!((#a).slice((#(#ranges,)*)).reshape_like(&#dst))
        }
        Op::Pad { axis, start, len } => {
            // zeros[start] ++ g[len] ++ zeros[rest], joined along `axis` viewed as `usize`.
            let total = node.shape.0[axis].as_lit().unwrap_or(start + len);
            let rest = total - start - len;
            let view = |n: usize| {
                let mut s = node.shape.clone();
                s.0[axis] = Dim::lit(n);
                cx.shape_val_usize_at(&s, axis)
            };
            let ax = axis as isize;
            let cat = |x: TokenStream, y: TokenStream| quote!(#rt::dfdx::tensor_ops::TryConcatAlong::try_concat_along((#x, #y), #shapes::Axis::<#ax>).expect("device error in pad"));
            let g_view = view(len);
            let mut acc = quote!((#a).reshape_like(&#g_view));
            if start > 0 {
                let z = view(start);
                acc = cat(quote!(__dev.zeros_like(&#z)), acc);
            }
            if rest > 0 {
                let z = view(rest);
                acc = cat(acc, quote!(__dev.zeros_like(&#z)));
            }
            quote!((#acc).reshape_like(&#dst))
        }
        _ => unreachable!("slice::emit called on {:?}", node.op),
    }
}

pub fn vjp(gr: &mut Graph, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    match node.op {
        Op::Slice { axis, start, .. } => {
            let xs: Shape = gr.shape(node.inputs[0]).clone();
            vec![Some(gr.pad(g, axis, start, xs))]
        }
        Op::Pad { axis, start, len } => vec![Some(gr.slice(g, axis, start, start + len))],
        _ => unreachable!("slice::vjp called on {:?}", node.op),
    }
}
