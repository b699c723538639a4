//! Reverse-mode differentiation by source transformation: a reverse sweep over the IR that
//! appends, for each node on a path between the requested leaves and the output, the nodes of
//! its VJP (from [`crate::ops::vjp`]). Gradients reaching a node along several uses are summed.
//! The result is more IR, so it can be differentiated again (Hessian-vector products).

use crate::ir::{Graph, NodeId, Op};

/// Appends the vector-Jacobian product of `out` with cotangent `seed` (same shape as `out`)
/// and returns, for each node in `wrt`, the node holding its gradient (zeros if none flows).
pub fn vjp(graph: &mut Graph, out: NodeId, seed: NodeId, wrt: &[NodeId]) -> Vec<NodeId> {
    let n = out + 1;
    // Which nodes depend on a requested leaf (stop_grad cuts the dependence)…
    let mut from_wrt = vec![false; n];
    for id in 0..n {
        let node = &graph.nodes[id];
        from_wrt[id] = wrt.contains(&id)
            || (!matches!(node.op, Op::StopGrad) && node.inputs.iter().any(|&i| from_wrt[i]));
    }
    // …and which the output depends on.
    let mut to_out = vec![false; n];
    to_out[out] = true;
    for id in (0..n).rev() {
        if to_out[id] {
            for &i in &graph.nodes[id].inputs {
                to_out[i] = true;
            }
        }
    }
    let mut adj: Vec<Option<NodeId>> = vec![None; n];
    adj[out] = Some(seed);
    for id in (0..n).rev() {
        let Some(g) = adj[id] else { continue };
        if !(from_wrt[id] && to_out[id]) || graph.nodes[id].inputs.is_empty() {
            continue;
        }
        let inputs = graph.nodes[id].inputs.clone();
        let grads = crate::ops::vjp(graph, id, g);
        for (input, gi) in inputs.into_iter().zip(grads) {
            let Some(gi) = gi else { continue };
            if !from_wrt[input] {
                continue;
            }
            adj[input] = Some(match adj[input] {
                None => gi,
                Some(prev) => graph.add(prev, gi),
            });
        }
    }
    wrt.iter()
        .map(|&w| match adj.get(w).copied().flatten() {
            Some(g) => g,
            None => {
                let shape = graph.nodes[w].shape.clone();
                let span = graph.nodes[w].span;
                graph.fill(shape, 0.0, span)
            }
        })
        .collect()
}

/// The gradient of scalar node `out` with respect to each node of `wrt`.
pub fn grad(graph: &mut Graph, out: NodeId, wrt: &[NodeId]) -> Vec<NodeId> {
    let span = graph.nodes[out].span;
    let shape = graph.nodes[out].shape.clone();
    let one = graph.fill(shape, 1.0, span);
    vjp(graph, out, one, wrt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Binary, Unary};
    use crate::shape::{Dim, Shape};
    use proc_macro2::Span;

    fn vec_shape() -> Shape {
        Shape(vec![Dim::lit(3)])
    }

    #[test]
    fn a_value_used_twice_gets_its_gradients_summed() {
        let mut g = Graph::default();
        let x = g.push(Op::Input(0), vec![], vec_shape(), Span::call_site());
        let y = g.binary(Binary::Mul, x, x);
        let s = g.sum(y, vec![0]);
        let before = g.nodes.len();
        let gx = grad(&mut g, s, &[x])[0];
        assert!(gx >= before);
        // d/dx sum(x*x) = g*x + g*x: the last op is the sum of the two uses.
        assert_eq!(g.nodes[gx].op, Op::Binary(Binary::Add));
    }

    #[test]
    fn a_constant_seed_folds_into_one_scale() {
        // mean(square(x)) over a run-time batch: seed 1, times 1/B, broadcast, times 2x.
        let batch = Dim {
            kind: crate::shape::DimKind::Runtime("B".into()),
            name: Some("B".into()),
        };
        let mut g = Graph::default();
        let x = g.push(
            Op::Input(0),
            vec![],
            Shape(vec![batch.clone()]),
            Span::call_site(),
        );
        let sq = g.unary(Unary::Square, x);
        let s = g.sum(sq, vec![0]);
        let inv_b = crate::ir::Scalar {
            c: 1.0,
            inv_dims: vec![batch.clone()],
        };
        let mean = g.scale(s, inv_b);
        let gx = grad(&mut g, mean, &[x])[0];
        // The gradient is x scaled once by 2/B: no fill, broadcast or multiply on its path.
        let node = &g.nodes[gx];
        assert_eq!(node.inputs, vec![x]);
        assert_eq!(
            node.op,
            Op::Scale(crate::ir::Scalar {
                c: 2.0,
                inv_dims: vec![batch]
            })
        );
    }

    #[test]
    fn stop_grad_cuts_and_unreached_leaves_get_zeros() {
        let mut g = Graph::default();
        let x = g.push(Op::Input(0), vec![], vec_shape(), Span::call_site());
        let w = g.push(Op::Param(0), vec![], vec_shape(), Span::call_site());
        let sx = g.stop_grad(x);
        let t = g.unary(Unary::Tanh, sx);
        let y = g.mul(t, w);
        let s = g.sum(y, vec![0]);
        let gs = grad(&mut g, s, &[x, w]);
        assert_eq!(g.nodes[gs[0]].op, Op::Fill(0.0));
        assert_ne!(g.nodes[gs[1]].op, Op::Fill(0.0));
    }
}
