//! `permute(x, [axes])` and `transpose(x)` (last two axes).

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId};
use proc_macro2::TokenStream;
use quote::quote;

/// Shape rule: `perm` must be a permutation of `0..rank`.
pub fn check(rank: usize, perm: &[usize]) -> Result<(), String> {
    let mut seen = vec![false; rank];
    if perm.len() != rank {
        return Err(format!(
            "permute needs {rank} axes for a rank-{rank} tensor, got {}",
            perm.len()
        ));
    }
    for &p in perm {
        if p >= rank || seen[p] {
            return Err(format!(
                "permute needs each axis 0..{rank} exactly once, got {perm:?}"
            ));
        }
        seen[p] = true;
    }
    Ok(())
}

pub fn emit(node: &Node, perm: &[usize], a: &TokenStream, cx: &EmitCx) -> TokenStream {
    let dst = cx.shape_ty(&node.shape);
    let ax = cx.axes_ty(perm);
    if cx.taped {
        // dfdx's permute keeps the tensor id; `a @ aᵀ` on a tape would then see one id twice
        // and assert. A contiguous copy gets its own id (the oracle only, not the derived path).
        quote!((#a).permute::<#dst, #ax>().contiguous())
    } else {
        quote!((#a).permute::<#dst, #ax>())
    }
}

/// The inverse permutation.
pub fn vjp(gr: &mut Graph, perm: &[usize], g: NodeId) -> Vec<Option<NodeId>> {
    let mut inv = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    vec![Some(gr.permute(g, inv))]
}
