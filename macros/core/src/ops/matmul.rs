//! `a @ b`: matrix products in the ranks dfdx supports. `[K] @ [K]` (a dot product) is lowered
//! to `sum(a * b)` before it reaches here.

use crate::emit::EmitCx;
use crate::ir::{Graph, Node, NodeId, Op};
use crate::shape::{Dim, Shape};
use proc_macro2::TokenStream;
use quote::quote;

/// Shape rule. `Err` carries the rule broken, for the checker to wrap with operand names.
pub fn out_shape(a: &Shape, b: &Shape) -> Result<Shape, String> {
    let inner = |ka: &Dim, kb: &Dim| -> Result<(), String> {
        if ka == kb {
            Ok(())
        } else {
            Err(format!("matmul needs the inner dims to agree ({ka} vs {kb})"))
        }
    };
    let d = |s: &Shape, i: usize| s.0[i].clone();
    match (a.rank(), b.rank()) {
        (1, 2) => inner(&d(a, 0), &d(b, 0)).map(|_| Shape(vec![d(b, 1)])),
        (2, 1) => inner(&d(a, 1), &d(b, 0)).map(|_| Shape(vec![d(a, 0)])),
        (2, 2) => inner(&d(a, 1), &d(b, 0)).map(|_| Shape(vec![d(a, 0), d(b, 1)])),
        (3, 2) => inner(&d(a, 2), &d(b, 0)).map(|_| Shape(vec![d(a, 0), d(a, 1), d(b, 1)])),
        (3, 3) => {
            if d(a, 0) != d(b, 0) {
                return Err(format!(
                    "batched matmul needs the batch dims to agree ({} vs {})",
                    d(a, 0),
                    d(b, 0)
                ));
            }
            inner(&d(a, 2), &d(b, 1)).map(|_| Shape(vec![d(a, 0), d(a, 1), d(b, 2)]))
        }
        (ra, rb) => Err(format!(
            "matmul supports [K] @ [K, N], [M, K] @ [K], [M, K] @ [K, N], [B, M, K] @ [K, N] and \
             [B, M, K] @ [B, K, N]; got rank {ra} @ rank {rb}"
        )),
    }
}

/// Matrix products go to the runtime's kernels (a faster CPU GEMM, dfdx's matmul elsewhere);
/// other ranks, and the taped oracle, use dfdx's matmul.
pub fn emit(node: &Node, a: &TokenStream, b: &TokenStream, cx: &EmitCx) -> TokenStream {
    let rt = &cx.rt;
    match node.op {
        Op::MatMulT { ta: false, tb: false } => quote!(#rt::kernels::matmul_nn(#a, #b)),
        Op::MatMulT { ta: true, tb: false } => quote!(#rt::kernels::matmul_tn(#a, #b)),
        Op::MatMulT { ta: false, tb: true } => quote!(#rt::kernels::matmul_nt(#a, #b)),
        Op::MatMulT { ta: true, tb: true } => quote!(#rt::kernels::matmul_tt(#a, #b)),
        // The output is a matrix only for matrix @ matrix.
        _ if !cx.taped && node.shape.rank() == 2 => quote!(#rt::kernels::matmul_nn(#a, #b)),
        _ => quote!((#a).matmul(#b)),
    }
}

/// `c = a @ b`; `g` is dL/dc.
pub fn vjp(gr: &mut Graph, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let (a, b) = (node.inputs[0], node.inputs[1]);
    let (sa, sb) = (gr.shape(a).clone(), gr.shape(b).clone());
    match (sa.rank(), sb.rank()) {
        // [K] @ [K, N] -> [N]: ga = b @ g, gb = a ⊗ g
        (1, 2) => {
            let ga = gr.matmul(b, g);
            let a_col = gr.reshape(a, Shape(vec![sa.0[0].clone(), Dim::lit(1)]));
            let g_row = gr.reshape(g, Shape(vec![Dim::lit(1), sb.0[1].clone()]));
            vec![Some(ga), Some(gr.matmul(a_col, g_row))]
        }
        // [M, K] @ [K] -> [M]: ga = g ⊗ b, gb = aᵀ @ g
        (2, 1) => {
            let g_col = gr.reshape(g, Shape(vec![sa.0[0].clone(), Dim::lit(1)]));
            let b_row = gr.reshape(b, Shape(vec![Dim::lit(1), sb.0[0].clone()]));
            let ga = gr.matmul(g_col, b_row);
            let at = gr.transpose(a);
            vec![Some(ga), Some(gr.matmul(at, g))]
        }
        // [M, K] @ [K, N]: ga = g @ bᵀ, gb = aᵀ @ g, transposes folded into the products
        (2, 2) => vec![
            Some(gr.matmul_t(g, b, false, true)),
            Some(gr.matmul_t(a, g, true, false)),
        ],
        (3, 3) => {
            let bt = gr.transpose(b);
            let at = gr.transpose(a);
            vec![Some(gr.matmul(g, bt)), Some(gr.matmul(at, g))]
        }
        // [B, M, K] @ [K, N]: ga = g @ bᵀ, gb = Σ_B aᵀ @ g (b is shared across the batch)
        (3, 2) => {
            let bt = gr.transpose(b);
            let at = gr.transpose(a);
            let per_batch = gr.matmul(at, g);
            vec![Some(gr.matmul(g, bt)), Some(gr.sum(per_batch, vec![0]))]
        }
        _ => vec![None, None],
    }
}

/// `c = op(a) @ op(b)`; `g` is dL/dc. With `a' = op(a)`, `b' = op(b)`: `da' = g b'ᵀ` and
/// `db' = a'ᵀ g`, transposed back where `a`, `b` were — each again one `MatMulT`.
pub fn vjp_t(gr: &mut Graph, ta: bool, tb: bool, node: &Node, g: NodeId) -> Vec<Option<NodeId>> {
    let (a, b) = (node.inputs[0], node.inputs[1]);
    let ga = if ta {
        gr.matmul_t(b, g, tb, true) // da = b' gᵀ
    } else {
        gr.matmul_t(g, b, false, !tb) // da = g b'ᵀ
    };
    let gb = if tb {
        gr.matmul_t(g, a, true, ta) // db = gᵀ a'
    } else {
        gr.matmul_t(a, g, !ta, false) // db = a'ᵀ g
    };
    vec![Some(ga), Some(gb)]
}
