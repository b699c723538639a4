//! A batched, differentiable quantum layer: the unit a DSL custom op wraps.
//!
//! Input `[batch, num_inputs]` angles (row-major), trainable weights `[num_weights]`, output
//! `[batch, num_outputs]` expectation values, one observable per output. Rows are independent
//! circuits, so both passes run rayon over the batch; inside a row the state kernels go
//! parallel only for large registers. The VJP takes the upstream gradient of the outputs and
//! returns the gradient of the inputs and of the weights (summed over the batch), by the
//! method chosen at construction.
//!
//! **Contract for the DSL custom op.** The op owns a `QuantumLayer` (it is `Send + Sync +
//! Clone`), copies its input tensor `[B, num_inputs]` and weight tensor `[num_weights]` out of
//! dfdx as row-major `f64` (the simulator works in double precision whatever the model's
//! dtype; the copy is negligible next to the simulation), calls [`QuantumLayer::forward`] for
//! the output `[B, num_outputs]`, and in the backward pass calls [`QuantumLayer::vjp`] with
//! the same inputs and weights and the output's upstream gradient. Nothing is cached between
//! the two calls, so the op needs no state of its own; the adjoint VJP costs about two
//! forward passes per row, parameter shift 2–4 per gate angle. Wrong lengths come back as
//! [`Error::Shape`] naming the tensor, never as a panic.

use super::grad::{vjp_unchecked, weighted_sum, GradMethod};
use super::{Circuit, Hamiltonian};
use crate::{Error, Result};
use rayon::prelude::*;

/// A parameterized circuit with one observable per output.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantumLayer {
    circuit: Circuit,
    observables: Vec<Hamiltonian>,
    method: GradMethod,
}

impl QuantumLayer {
    /// Checks that every observable fits the circuit's qubits and that there is at least one.
    pub fn new(circuit: Circuit, observables: Vec<Hamiltonian>, method: GradMethod) -> Result<QuantumLayer> {
        if observables.is_empty() {
            return Err(Error::Empty {
                context: "QuantumLayer::new".into(),
                tensor: "observables".into(),
                dim: "outputs".into(),
            });
        }
        for o in &observables {
            o.check_qubits(circuit.num_qubits())?;
        }
        Ok(QuantumLayer {
            circuit,
            observables,
            method,
        })
    }

    /// The circuit.
    pub fn circuit(&self) -> &Circuit {
        &self.circuit
    }
    /// The observables, one per output.
    pub fn observables(&self) -> &[Hamiltonian] {
        &self.observables
    }
    /// The gradient method used by [`QuantumLayer::vjp`].
    pub fn method(&self) -> GradMethod {
        self.method
    }
    /// Changes the gradient method.
    pub fn set_method(&mut self, method: GradMethod) {
        self.method = method;
    }
    pub fn num_inputs(&self) -> usize {
        self.circuit.num_inputs()
    }
    pub fn num_weights(&self) -> usize {
        self.circuit.num_weights()
    }
    pub fn num_outputs(&self) -> usize {
        self.observables.len()
    }

    fn check(&self, ctx: &str, inputs: &[f64], batch: usize, weights: &[f64]) -> Result<()> {
        let k = self.num_inputs();
        if inputs.len() != batch * k {
            return Err(Error::Shape {
                context: ctx.into(),
                tensor: "inputs".into(),
                expected: format!("[B = {batch}, {k}] ({} values)", batch * k),
                found: format!("{} values", inputs.len()),
            });
        }
        if weights.len() != self.num_weights() {
            return Err(Error::Shape {
                context: ctx.into(),
                tensor: "weights".into(),
                expected: format!("[{}]", self.num_weights()),
                found: format!("[{}]", weights.len()),
            });
        }
        Ok(())
    }

    /// Input row `b` (an empty slice when the layer has no inputs).
    fn row<'a>(&self, inputs: &'a [f64], b: usize) -> &'a [f64] {
        let k = self.num_inputs();
        &inputs[b * k..(b + 1) * k]
    }

    /// inputs row-major `[batch, num_inputs]` → outputs `[batch, num_outputs]`; rayon over the
    /// batch.
    pub fn forward(&self, inputs: &[f64], batch: usize, weights: &[f64]) -> Result<Vec<f64>> {
        self.check("QuantumLayer::forward", inputs, batch, weights)?;
        let m = self.num_outputs();
        let mut out = vec![0.0; batch * m];
        out.par_chunks_mut(m.max(1))
            .enumerate()
            .try_for_each(|(b, o)| -> Result<()> {
                let state = self.circuit.run(self.row(inputs, b), weights)?;
                for (v, obs) in o.iter_mut().zip(&self.observables) {
                    *v = obs.expectation(&state);
                }
                Ok(())
            })?;
        Ok(out)
    }

    /// Like [`QuantumLayer::forward`], but each output is estimated from `shots` measurements
    /// per Pauli term (as hardware would report it), seeded per row with `seed + row` so a
    /// batch is reproducible whatever the thread schedule. Returns the estimates and their
    /// standard errors, both `[batch, num_outputs]`.
    pub fn forward_shots(
        &self,
        inputs: &[f64],
        batch: usize,
        weights: &[f64],
        shots: usize,
        seed: u64,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        self.check("QuantumLayer::forward_shots", inputs, batch, weights)?;
        let m = self.num_outputs();
        let rows: Vec<Vec<(f64, f64)>> = (0..batch)
            .into_par_iter()
            .map(|b| -> Result<Vec<(f64, f64)>> {
                let state = self.circuit.run(self.row(inputs, b), weights)?;
                self.observables
                    .iter()
                    .enumerate()
                    .map(|(k, o)| {
                        // Distinct streams per row and output.
                        let s = seed
                            .wrapping_add((b * m + k) as u64)
                            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
                        o.estimate(&state, shots, s).map(|e| (e.mean, e.std_err))
                    })
                    .collect()
            })
            .collect::<Result<_>>()?;
        Ok(rows.into_iter().flatten().unzip())
    }

    /// upstream `[batch, num_outputs]` → (grad_inputs `[batch, num_inputs]`, grad_weights
    /// `[num_weights]` summed over the batch).
    pub fn vjp(
        &self,
        inputs: &[f64],
        batch: usize,
        weights: &[f64],
        upstream: &[f64],
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        self.check("QuantumLayer::vjp", inputs, batch, weights)?;
        let m = self.num_outputs();
        if upstream.len() != batch * m {
            return Err(Error::Shape {
                context: "QuantumLayer::vjp".into(),
                tensor: "upstream".into(),
                expected: format!("[B = {batch}, {m}] ({} values)", batch * m),
                found: format!("{} values", upstream.len()),
            });
        }
        let rows: Vec<(Vec<f64>, Vec<f64>)> = (0..batch)
            .into_par_iter()
            .map(|b| {
                let h = weighted_sum(&self.observables, &upstream[b * m..(b + 1) * m]);
                vjp_unchecked(&self.circuit, self.row(inputs, b), weights, &h, self.method)
            })
            .collect();
        let mut grad_inputs = Vec::with_capacity(batch * self.num_inputs());
        let mut grad_weights = vec![0.0; self.num_weights()];
        for (gi, gw) in rows {
            grad_inputs.extend_from_slice(&gi);
            for (a, b) in grad_weights.iter_mut().zip(&gw) {
                *a += b;
            }
        }
        Ok((grad_inputs, grad_weights))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantum::Rotation;

    fn layer(method: GradMethod) -> QuantumLayer {
        let mut c = Circuit::new(3).unwrap();
        c.angle_embedding(Rotation::Y, &[0, 1, 2], 0).unwrap();
        c.strongly_entangling_layers(&[0, 1, 2], 2, None, 0).unwrap();
        let obs = vec![
            Hamiltonian::z(0).unwrap(),
            Hamiltonian::parse("0.5*X1Z2 - Y0").unwrap(),
        ];
        QuantumLayer::new(c, obs, method).unwrap()
    }

    #[test]
    fn shapes_are_checked_not_panicked() {
        let l = layer(GradMethod::Adjoint);
        assert_eq!((l.num_inputs(), l.num_weights(), l.num_outputs()), (3, 18, 2));
        let w = vec![0.1; 18];
        assert!(matches!(l.forward(&[0.0; 5], 2, &w), Err(Error::Shape { .. })));
        assert!(matches!(
            l.forward(&[0.0; 6], 2, &w[..3]),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            l.vjp(&[0.0; 6], 2, &w, &[1.0; 3]),
            Err(Error::Shape { .. })
        ));
        assert_eq!(l.forward(&[], 0, &w).unwrap(), Vec::<f64>::new());
        assert!(QuantumLayer::new(Circuit::new(2).unwrap(), vec![], GradMethod::Adjoint).is_err());
        assert!(QuantumLayer::new(
            Circuit::new(2).unwrap(),
            vec![Hamiltonian::z(2).unwrap()],
            GradMethod::Adjoint
        )
        .is_err());
    }

    /// The batched VJP equals the per-row sums and agrees across methods.
    #[test]
    fn batched_vjp_agrees_across_methods() {
        let batch = 4;
        let x: Vec<f64> = (0..batch * 3).map(|i| (i as f64 * 0.37).sin()).collect();
        let w: Vec<f64> = (0..18).map(|i| (i as f64 * 0.71).cos()).collect();
        let up: Vec<f64> = (0..batch * 2).map(|i| 0.3 * i as f64 - 1.0).collect();
        let a = layer(GradMethod::Adjoint).vjp(&x, batch, &w, &up).unwrap();
        for m in [GradMethod::ParameterShift, GradMethod::FiniteDiff] {
            let b = layer(m).vjp(&x, batch, &w, &up).unwrap();
            for (p, q) in a.0.iter().chain(&a.1).zip(b.0.iter().chain(&b.1)) {
                assert!((p - q).abs() < 1e-8, "{m:?}: {p} vs {q}");
            }
        }
        // Weight gradient = Σ_rows of single-row VJPs.
        let l = layer(GradMethod::Adjoint);
        let mut sum = [0.0; 18];
        for b in 0..batch {
            let (_, gw) = l.vjp(&x[b * 3..b * 3 + 3], 1, &w, &up[b * 2..b * 2 + 2]).unwrap();
            sum.iter_mut().zip(gw).for_each(|(s, g)| *s += g);
        }
        for (s, g) in sum.iter().zip(&a.1) {
            assert!((s - g).abs() < 1e-12);
        }
        let out = l.forward(&x, batch, &w).unwrap();
        assert_eq!(out.len(), batch * 2);
        assert!(out.iter().all(|v| v.abs() <= 1.5 + 1e-12));
        // Shot estimates: reproducible, within a few standard errors of the exact values.
        let (est, err) = l.forward_shots(&x, batch, &w, 4000, 11).unwrap();
        assert_eq!(l.forward_shots(&x, batch, &w, 4000, 11).unwrap().0, est);
        for ((e, s), v) in est.iter().zip(&err).zip(&out) {
            assert!(*s > 0.0 && (e - v).abs() < 5.0 * s + 1e-12, "{e} ± {s} vs {v}");
        }
    }
}
