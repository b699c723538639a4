//! `reshape(x, [dims])`: same elements, new shape. The numel check is symbolic: literal
//! products must match and the symbolic dims must be the same multiset.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId};
use crate::shape::Shape;
use proc_macro2::TokenStream;
use quote::quote;

/// Shape rule: element counts must agree.
pub fn check(from: &Shape, to: &Shape) -> Result<(), String> {
    if from.numel_parts() == to.numel_parts() {
        Ok(())
    } else {
        Err(format!(
            "reshape must keep the number of elements: {from} has a different count than {to}"
        ))
    }
}

pub fn emit(node: &Node, a: &TokenStream, cx: &EmitCx) -> TokenStream {
    let dst = cx.shape_val(&node.shape);
    if cx.taped {
        // A reshape keeps dfdx's tensor id; on a tape two reshapes of one tensor meeting in a
        // binary op would share it and trip dfdx's assertion. A recorded identity gives a new id
        // (the oracle path only).
        let rt = &cx.rt;
        quote!(((#a).reshape_like(&#dst) * #rt::ops::scalar::<E>(1.0)))
    } else {
        quote!((#a).reshape_like(&#dst))
    }
}

pub fn vjp(gr: &mut Graph, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let xs = gr.shape(node.inputs[0]).clone();
    vec![Some(gr.reshape(g, xs))]
}
