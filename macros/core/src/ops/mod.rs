//! The primitive ops. Each file holds, for its ops, the shape rule the checker applies to user
//! code, the forward emission (dfdx calls), and the VJP rule (new IR nodes). Composite ops
//! (`mean`, `softmax`, `mse`, …) are rewritten into these by [`crate::lower`] and have no rule of
//! their own.

pub mod binary;
pub mod broadcast;
pub mod concat;
pub mod custom;
pub mod leaf;
pub mod matmul;
pub mod permute;
pub mod reduce;
pub mod reshape;
pub mod scalar;
pub mod scan;
pub mod slice;
pub mod unary;

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId, Op};
use proc_macro2::TokenStream;

/// The dfdx expression computing `node` from its operands' expressions `args`.
pub fn emit(node: &Node, args: &[TokenStream], cx: &EmitCx) -> TokenStream {
    match &node.op {
        Op::Input(_) | Op::Param(_) | Op::Fill(_) | Op::StopGrad | Op::EqMask => leaf::emit(node, args, cx),
        Op::Unary(u) => unary::emit(*u, &args[0], cx),
        Op::Scale(_) | Op::AddScalar(_) | Op::PowScalar(_) => scalar::emit(node, &args[0], cx),
        Op::Binary(b) => binary::emit(*b, &args[0], &args[1], cx),
        Op::MatMul | Op::MatMulT { .. } => matmul::emit(node, &args[0], &args[1], cx),
        Op::Sum(_) | Op::Max(_) => reduce::emit(node, &args[0], cx),
        Op::Broadcast(axes) => broadcast::emit(node, axes, &args[0], cx),
        Op::Reshape => reshape::emit(node, &args[0], cx),
        Op::Permute(perm) => permute::emit(node, perm, &args[0], cx),
        Op::Concat { axis, left } => concat::emit(node, *axis, *left, args, cx),
        Op::Slice { .. } | Op::Pad { .. } => slice::emit(node, args, cx),
        Op::Custom(_) | Op::CustomVjp { .. } | Op::Proj(_) => custom::emit(node, args, cx),
        Op::Scan(_) | Op::Last | Op::PadLast | Op::ScanVjp(_) => scan::emit(node, args, cx),
    }
}

/// Vector-Jacobian product: given the gradient `g` of node `id`, the gradients of its inputs
/// (`None` where no gradient flows).
pub fn vjp(graph: &mut Graph, id: NodeId, g: NodeId) -> Vec<Option<NodeId>> {
    let node = graph.nodes[id].clone();
    match &node.op {
        Op::Input(_) | Op::Param(_) | Op::Fill(_) | Op::StopGrad | Op::EqMask => leaf::vjp(&node),
        Op::Unary(u) => unary::vjp(graph, *u, id, &node, g),
        Op::Scale(_) | Op::AddScalar(_) | Op::PowScalar(_) => scalar::vjp(graph, &node, g),
        Op::Binary(b) => binary::vjp(graph, *b, id, &node, g),
        Op::MatMul => matmul::vjp(graph, &node, g),
        Op::MatMulT { ta, tb } => matmul::vjp_t(graph, *ta, *tb, &node, g),
        Op::Sum(_) | Op::Max(_) => reduce::vjp(graph, id, &node, g),
        Op::Broadcast(axes) => broadcast::vjp(graph, axes, g),
        Op::Reshape => reshape::vjp(graph, &node, g),
        Op::Permute(perm) => permute::vjp(graph, perm, g),
        Op::Concat { axis, left } => concat::vjp(graph, *axis, *left, &node, g),
        Op::Slice { .. } | Op::Pad { .. } => slice::vjp(graph, &node, g),
        Op::Custom(_) | Op::CustomVjp { .. } | Op::Proj(_) => custom::vjp(graph, id, &node, g),
        Op::Scan(_) | Op::Last | Op::PadLast | Op::ScanVjp(_) => scan::vjp(graph, id, &node, g),
    }
}
