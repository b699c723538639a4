//! `scan`: a loop over an axis with a carried state (RNNs, unrolled dynamics, cellular
//! automata), and its VJP, backpropagation through time. The forward keeps every state
//! (memory linear in the length); the backward is one reverse loop that runs the body's
//! derived VJP per step. Both are loops in the generated code, so its size does not depend on
//! the sequence length, which may be a run-time dim.

use crate::diff;
use crate::emit::{self, EmitCx};
use crate::ir::{Graph, Node, NodeId, Op, ScanBody, ScanVjpBody};
use crate::shape::{Dim, Shape};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use std::rc::Rc;

/// `(.., __t..__t + 1, ..)` with the range at `axis`.
fn step_ranges(rank: usize, axis: usize, t: TokenStream) -> TokenStream {
    let r = (0..rank).map(|i| if i == axis { quote!(#t..#t + 1) } else { quote!(..) });
    quote!((#(#r,)*))
}

/// `__src` with axis 0 at position `axis` (stack puts the loop axis first).
fn axis0_to(axis: usize, rank: usize, cx: &EmitCx, src: TokenStream) -> TokenStream {
    if axis == 0 {
        return src;
    }
    let mut perm = Vec::with_capacity(rank);
    for i in 0..rank {
        perm.push(if i < axis {
            i + 1
        } else if i == axis {
            0
        } else {
            i
        });
    }
    let ax = cx.axes_ty(&perm);
    quote!((#src).permute::<_, #ax>())
}

fn reuse(cx: &EmitCx, v: TokenStream) -> TokenStream {
    let rt = &cx.rt;
    if cx.taped {
        quote!(#rt::dfdx::tensor::WithEmptyTape::with_empty_tape(&#v))
    } else {
        quote!(#v.clone())
    }
}

pub fn emit(node: &Node, args: &[TokenStream], cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    let shapes = &cx.shapes;
    match &node.op {
        Op::Scan(body) => {
            let (xs, h0) = (&args[0], &args[1]);
            let axis = body.axis;
            let body_cx = EmitCx {
                rt: rt.clone(),
                taped: cx.taped,
                inputs: vec![quote!(__h), quote!(__x_t)],
                params: cx.params.clone(),
                customs: cx.customs.clone(),
                shapes: cx.shapes.clone(),
            };
            let (stmts, outs) = emit::body(&body.graph, &[body.out], &body_cx);
            let out = &outs[0];
            let ranges = step_ranges(body.xs_shape.rank(), axis, quote!(__t));
            let x_shape = cx.shape_val(&body.x_shape);
            let dst = cx.shape_val(&node.shape);
            let xs_use = reuse(cx, quote!(__xs));
            let next_use = reuse(cx, quote!(__next));
            quote!({
                let __xs = #xs;
                let mut __h = #h0;
                let __n = #rt::ops::dims_of(&__xs)[#axis];
                let mut __states = ::std::vec::Vec::with_capacity(__n);
                for __t in 0..__n {
                    let __x_t = #xs_use.slice(#ranges).reshape_like(&#x_shape);
                    let __next = { #stmts #out };
                    __states.push(#next_use);
                    __h = __next;
                }
                let __stacked = #rt::dfdx::tensor_ops::TryStack::try_stack(__states).expect("device error in scan");
                // The last state and `xs` carry the histories that reach the loss through us.
                #rt::ops::merge_tapes(#rt::ops::merge_tapes(__stacked, __h), __xs).reshape_like(&#dst)
            })
        }
        Op::Last => {
            let a = &args[0];
            let rest = (1..node.shape.rank() + 1).map(|_| quote!(..));
            let dst = cx.shape_val(&node.shape);
            quote!({
                let __s = #a;
                let __n = #rt::ops::dims_of(&__s)[0];
                __s.slice((__n - 1..__n, #(#rest,)*)).reshape_like(&#dst)
            })
        }
        Op::PadLast => {
            let a = &args[0];
            let n = cx.dim_usize(&node.shape.0[0]);
            let inner = Shape(node.shape.0[1..].to_vec());
            let inner_dims: Vec<TokenStream> = inner.0.iter().map(|d| cx.dim_value(d)).collect();
            let dst = cx.shape_val(&node.shape);
            quote!({
                let __n: usize = #n;
                let __one = (#a).reshape_like(&(1usize, #(#inner_dims,)*));
                if __n == 1 {
                    __one.reshape_like(&#dst)
                } else {
                    let __z = __dev.zeros_like(&(__n - 1, #(#inner_dims,)*));
                    #rt::dfdx::tensor_ops::TryConcatAlong::try_concat_along((__z, __one), #shapes::Axis::<0>)
                        .expect("device error in scan")
                        .reshape_like(&#dst)
                }
            })
        }
        Op::ScanVjp(v) => {
            let body = &v.scan;
            let axis = body.axis;
            let (xs, h0, states, g) = (&args[0], &args[1], &args[2], &args[3]);
            let body_cx = EmitCx {
                rt: rt.clone(),
                taped: false,
                inputs: vec![quote!(__h), quote!(__x_t), quote!(__cot)],
                params: cx.params.clone(),
                customs: cx.customs.clone(),
                shapes: cx.shapes.clone(),
            };
            let (stmts, outs) = emit::body(&v.graph, &v.outputs, &body_cx);
            let h_shape = cx.shape_val(&body.h_shape);
            let x_shape = cx.shape_val(&body.x_shape);
            let xs_shape = cx.shape_val(&body.xs_shape);
            let h_rest: Vec<TokenStream> = (0..body.h_shape.rank()).map(|_| quote!(..)).collect();
            let ranges = step_ranges(body.xs_shape.rank(), axis, quote!(__t));
            let gp: Vec<_> = (0..v.param_shapes.len())
                .map(|k| format_ident!("__gp{}", k))
                .collect();
            let gp_step: Vec<_> = (0..v.param_shapes.len())
                .map(|k| format_ident!("__gp_step{}", k))
                .collect();
            let p_shapes: Vec<TokenStream> = v.param_shapes.iter().map(|s| cx.shape_val(s)).collect();
            let stacked = axis0_to(
                axis,
                body.xs_shape.rank(),
                cx,
                quote!(#rt::dfdx::tensor_ops::TryStack::try_stack(__gx_parts).expect("device error in scan")),
            );
            let _ = Literal::usize_unsuffixed(0);
            quote!({
                let __xs = #xs;
                let __h0 = #h0;
                let __states = #states;
                let __gs = #g;
                let __n = #rt::ops::dims_of(&__xs)[#axis];
                let mut __gh = __dev.zeros_like(&#h_shape);
                #( let mut #gp = __dev.zeros_like(&#p_shapes); )*
                let mut __gx_parts = ::std::vec::Vec::with_capacity(__n);
                for __t in (0..__n).rev() {
                    let __cot = __gh + __gs.clone().slice((__t..__t + 1, #(#h_rest,)*)).reshape_like(&#h_shape);
                    let __h = if __t == 0 {
                        __h0.clone()
                    } else {
                        __states.clone().slice((__t - 1..__t, #(#h_rest,)*)).reshape_like(&#h_shape)
                    };
                    let __x_t = __xs.clone().slice(#ranges).reshape_like(&#x_shape);
                    let (__g_h, __g_x, #(#gp_step,)*) = { #stmts (#(#outs,)*) };
                    __gh = __g_h;
                    __gx_parts.push(__g_x);
                    #( #gp = #gp + #gp_step; )*
                }
                __gx_parts.reverse();
                (#stacked.reshape_like(&#xs_shape), __gh, #(#gp,)*)
            })
        }
        _ => unreachable!("scan::emit called on {:?}", node.op),
    }
}

/// The body's VJP graph: cotangent of the state in, gradients of (state, slice, parameters)
/// out.
fn body_vjp(body: &Rc<ScanBody>) -> ScanVjpBody {
    let mut graph = body.graph.clone();
    let find = |g: &Graph, op: Op| g.nodes.iter().position(|n| n.op == op);
    let h = find(&graph, Op::Input(0)).expect("scan body has a state input");
    let x = find(&graph, Op::Input(1)).expect("scan body has a slice input");
    let cot = graph.push(
        Op::Input(2),
        vec![],
        body.h_shape.clone(),
        graph.nodes[body.out].span,
    );
    let mut wrt = vec![h, x];
    let mut param_shapes = Vec::new();
    for &p in &body.captured {
        let id = find(&graph, Op::Param(p)).expect("captured parameters appear in the body");
        param_shapes.push(graph.nodes[id].shape.clone());
        wrt.push(id);
    }
    let outputs = diff::vjp(&mut graph, body.out, cot, &wrt);
    ScanVjpBody {
        scan: body.clone(),
        graph,
        outputs,
        param_shapes,
    }
}

pub fn vjp(gr: &mut Graph, y: NodeId, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    match &node.op {
        Op::Scan(body) => {
            let v = Rc::new(body_vjp(body));
            let mut inputs = vec![node.inputs[0], node.inputs[1], y, g];
            inputs.extend(&node.inputs[2..]);
            let t = gr.push(Op::ScanVjp(v.clone()), inputs, Shape::scalar(), node.span);
            let mut out = vec![
                Some(gr.push(Op::Proj(0), vec![t], body.xs_shape.clone(), node.span)),
                Some(gr.push(Op::Proj(1), vec![t], body.h_shape.clone(), node.span)),
            ];
            for (k, s) in v.param_shapes.iter().enumerate() {
                out.push(Some(gr.push(Op::Proj(2 + k), vec![t], s.clone(), node.span)));
            }
            out
        }
        Op::Last => {
            let s = gr.shape(node.inputs[0]).clone();
            vec![Some(gr.push(Op::PadLast, vec![g], s, node.span))]
        }
        Op::PadLast => {
            let s = Shape(gr.shape(node.inputs[0]).0.clone());
            vec![Some(gr.push(Op::Last, vec![g], s, node.span))]
        }
        _ => vec![None; node.inputs.len()],
    }
}

/// The states of a scan with state shape `h` over `t` steps: `[t, …h]`.
pub fn states_shape(t: &Dim, h: &Shape) -> Shape {
    let mut s = vec![t.clone()];
    s.extend(h.0.iter().cloned());
    Shape(s)
}
