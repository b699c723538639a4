//! Gradients of expectation values, three independent ways.
//!
//! All three compute a vector-Jacobian product: for observables `O_k` weighted by upstream
//! gradients `g_k`, the gradient of `F = Σ_k g_k <O_k>` with respect to the circuit's inputs
//! and weights. Because `F` is the expectation of the single Hermitian operator
//! `H = Σ_k g_k O_k`, a batch of outputs costs no more than one.
//!
//! - [`GradMethod::Adjoint`]: one forward run, then one backward sweep that un-computes the
//!   state gate by gate (`ψ_{k−1} = U_k† ψ_k`) while carrying `λ_k = U_{k+1}† ⋯ U_N† H ψ_N`;
//!   `∂F/∂θ_k = 2 Re <λ_k| ∂U_k/∂θ |ψ_{k−1}>`. Three state buffers, O(gates) kernel calls in
//!   total, independent of the number of parameters. For angles entering as `exp(−iθG)` with a
//!   (controlled) Pauli generator this is `2 Im <λ_k|G|ψ_k>`: one read-only pass, no copy.
//! - [`GradMethod::ParameterShift`]: per gate angle, two (four for controlled rotations) full
//!   circuit runs at shifted angles (rules derived in [`super::gates`]); what hardware can do.
//! - [`GradMethod::FiniteDiff`]: perturbs each input and weight directly (not the gate angles),
//!   so it checks the chain rule through shared angles as well; a fourth-order central stencil
//!   `[−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)]/(12h)` with `h = 1e-3`, whose truncation error
//!   `h⁴ f⁽⁵⁾/30 ≈ 1e-13` and rounding error `≈ 1e-15/h` both sit well below the 1e-8 the tests
//!   demand.
//!
//! The first two give derivatives per angle slot (one per gate angle), then apply the chain
//! rule through the [`Angle`](super::Angle) expressions: a parameter shared by several gates
//! sums their terms.

use super::observable::masked_pauli_inner;
use super::{Circuit, Hamiltonian, StateVector, C64};
use crate::{Error, Result};

/// How a quantum layer differentiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GradMethod {
    /// Adjoint differentiation: one forward and one backward sweep (the default: fastest).
    #[default]
    Adjoint,
    /// Parameter-shift rules: 2–4 circuit runs per gate angle (hardware-compatible).
    ParameterShift,
    /// Central finite differences on the parameters (a check, not for training).
    FiniteDiff,
}

impl std::str::FromStr for GradMethod {
    type Err = Error;
    fn from_str(s: &str) -> Result<GradMethod> {
        match s {
            "adjoint" => Ok(GradMethod::Adjoint),
            "parameter-shift" | "param-shift" | "ps" => Ok(GradMethod::ParameterShift),
            "finite-diff" | "fd" => Ok(GradMethod::FiniteDiff),
            _ => Err(Error::Other(format!(
                "unknown gradient method `{s}` (expected adjoint, parameter-shift or finite-diff)"
            ))),
        }
    }
}

/// Step of the finite-difference stencil (see the module docs for the error budget).
pub const FD_STEP: f64 = 1e-3;

/// An expectation value and its gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    pub value: f64,
    pub inputs: Vec<f64>,
    pub weights: Vec<f64>,
}

/// `<O_k>` for each observable after running the circuit.
pub fn expectations(
    circuit: &Circuit,
    inputs: &[f64],
    weights: &[f64],
    observables: &[Hamiltonian],
) -> Result<Vec<f64>> {
    for o in observables {
        o.check_qubits(circuit.num_qubits())?;
    }
    let state = circuit.run(inputs, weights)?;
    Ok(observables.iter().map(|o| o.expectation(&state)).collect())
}

/// The value and gradient of `<H>`.
pub fn gradient(
    circuit: &Circuit,
    inputs: &[f64],
    weights: &[f64],
    observable: &Hamiltonian,
    method: GradMethod,
) -> Result<Gradient> {
    let obs = std::slice::from_ref(observable);
    let value = expectations(circuit, inputs, weights, obs)?[0];
    let (gi, gw) = vjp(circuit, inputs, weights, obs, &[1.0], method)?;
    Ok(Gradient {
        value,
        inputs: gi,
        weights: gw,
    })
}

/// `Σ_k upstream[k] · ∇<observables[k]>` with respect to `(inputs, weights)`.
pub fn vjp(
    circuit: &Circuit,
    inputs: &[f64],
    weights: &[f64],
    observables: &[Hamiltonian],
    upstream: &[f64],
    method: GradMethod,
) -> Result<(Vec<f64>, Vec<f64>)> {
    circuit.check_params("quantum::vjp", inputs, weights)?;
    if upstream.len() != observables.len() {
        return Err(Error::Shape {
            context: "quantum::vjp".into(),
            tensor: "upstream".into(),
            expected: format!("[{}]", observables.len()),
            found: format!("[{}]", upstream.len()),
        });
    }
    for o in observables {
        o.check_qubits(circuit.num_qubits())?;
    }
    Ok(vjp_unchecked(
        circuit,
        inputs,
        weights,
        &weighted_sum(observables, upstream),
        method,
    ))
}

/// `Σ_k g_k O_k` as one Hamiltonian (terms concatenated; zero weights dropped).
pub(crate) fn weighted_sum(observables: &[Hamiltonian], upstream: &[f64]) -> Hamiltonian {
    let terms = observables
        .iter()
        .zip(upstream)
        .filter(|(_, &g)| g != 0.0)
        .flat_map(|(o, &g)| o.terms().iter().map(move |(c, p)| (g * c, p.clone())))
        .collect();
    Hamiltonian::new(terms)
}

/// The VJP for already validated arguments; `h` is the weighted observable sum.
pub(crate) fn vjp_unchecked(
    circuit: &Circuit,
    inputs: &[f64],
    weights: &[f64],
    h: &Hamiltonian,
    method: GradMethod,
) -> (Vec<f64>, Vec<f64>) {
    if h.terms().is_empty() {
        return (vec![0.0; circuit.num_inputs()], vec![0.0; circuit.num_weights()]);
    }
    match method {
        GradMethod::Adjoint => {
            let slots = circuit.slots_unchecked(inputs, weights);
            let d = adjoint_slots(circuit, &slots, h);
            circuit.pull_back(inputs, weights, &d)
        }
        GradMethod::ParameterShift => {
            let slots = circuit.slots_unchecked(inputs, weights);
            let d = shift_slots(circuit, &slots, h);
            circuit.pull_back(inputs, weights, &d)
        }
        GradMethod::FiniteDiff => finite_diff(circuit, inputs, weights, h),
    }
}

/// Which slots depend on a parameter (constant angles need no derivative).
fn live_slots(circuit: &Circuit) -> Vec<bool> {
    circuit
        .ops()
        .iter()
        .flat_map(|op| op.angles.iter().map(|a| !a.is_constant()))
        .collect()
}

/// `∂<H>/∂slot` for every slot by the adjoint method.
pub(crate) fn adjoint_slots(circuit: &Circuit, slots: &[f64], h: &Hamiltonian) -> Vec<f64> {
    let n = circuit.num_qubits();
    let live = live_slots(circuit);
    let mut d = vec![0.0; slots.len()];
    // Each buffer is allocated once per sweep; the gates themselves allocate nothing.
    let mut psi = StateVector::zero(n).expect("circuit qubit count was validated");
    circuit.apply_slots(&mut psi, slots, true);
    let mut lambda =
        StateVector::from_amplitudes(vec![C64::new(0.0, 0.0); 1 << n]).expect("same size as psi");
    h.apply_add(1.0, &psi, lambda.amplitudes_mut());
    let mut mu = psi.clone();
    for (k, op) in circuit.ops().iter().enumerate().rev() {
        let angles = circuit.op_slots(k, slots);
        // Angles with a generator (dU = −iGU): ∂F/∂θ = 2 Im <λ_k|G|ψ_k>, read-only, taken
        // before ψ is un-computed.
        let mut generic = false;
        for j in 0..angles.len() {
            let s = circuit.slot_start(k) + j;
            if !live[s] {
                continue;
            }
            match op.gate.generator(j) {
                Some(g) => {
                    let (x, z, ctrl) = g.global_masks(&op.qubits);
                    d[s] = 2.0 * g.coeff * masked_pauli_inner(&lambda, &psi, x, z, ctrl).im;
                }
                None => generic = true,
            }
        }
        let inverse = op.gate.action(angles).dagger();
        inverse.apply(&mut psi, &op.qubits);
        // The rest (θ and λ of U3): ∂F/∂θ = 2 Re <λ_k| ∂U/∂θ |ψ_{k−1}> on a scratch copy.
        for j in 0..angles.len() {
            let s = circuit.slot_start(k) + j;
            if !generic || !live[s] || op.gate.generator(j).is_some() {
                continue;
            }
            mu.copy_from(&psi);
            op.gate.d_action(angles, j).apply(&mut mu, &op.qubits);
            d[s] = 2.0 * lambda.inner(&mu).re;
        }
        if k > 0 {
            inverse.apply(&mut lambda, &op.qubits);
        }
    }
    d
}

/// `∂<H>/∂slot` for every slot by parameter-shift rules.
pub(crate) fn shift_slots(circuit: &Circuit, slots: &[f64], h: &Hamiltonian) -> Vec<f64> {
    let live = live_slots(circuit);
    let mut d = vec![0.0; slots.len()];
    let mut state = StateVector::zero(circuit.num_qubits()).expect("validated");
    let mut shifted = slots.to_vec();
    for (k, op) in circuit.ops().iter().enumerate() {
        for j in 0..op.angles.len() {
            let s = circuit.slot_start(k) + j;
            if !live[s] {
                continue;
            }
            let mut acc = 0.0;
            for &(coeff, shift) in op.gate.shift_rule(j) {
                shifted[s] = slots[s] + shift;
                state.reset();
                circuit.apply_slots(&mut state, &shifted, true);
                acc += coeff * h.expectation(&state);
            }
            shifted[s] = slots[s];
            d[s] = acc;
        }
    }
    d
}

/// Fourth-order central differences on every input and weight.
fn finite_diff(circuit: &Circuit, inputs: &[f64], weights: &[f64], h: &Hamiltonian) -> (Vec<f64>, Vec<f64>) {
    let mut state = StateVector::zero(circuit.num_qubits()).expect("validated");
    let mut f = |x: &[f64], w: &[f64]| {
        let slots = circuit.slots_unchecked(x, w);
        state.reset();
        circuit.apply_slots(&mut state, &slots, true);
        h.expectation(&state)
    };
    let stencil = [(-2.0, 1.0), (-1.0, -8.0), (1.0, 8.0), (2.0, -1.0)];
    let mut x = inputs.to_vec();
    let mut w = weights.to_vec();
    let mut gi = vec![0.0; inputs.len()];
    for i in 0..x.len() {
        gi[i] = stencil
            .iter()
            .map(|&(k, c)| {
                x[i] = inputs[i] + k * FD_STEP;
                c * f(&x, &w)
            })
            .sum::<f64>()
            / (12.0 * FD_STEP);
        x[i] = inputs[i];
    }
    let mut gw = vec![0.0; weights.len()];
    for i in 0..w.len() {
        gw[i] = stencil
            .iter()
            .map(|&(k, c)| {
                w[i] = weights[i] + k * FD_STEP;
                c * f(&x, &w)
            })
            .sum::<f64>()
            / (12.0 * FD_STEP);
        w[i] = weights[i];
    }
    (gi, gw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantum::{Angle, Gate};

    /// The four-term rule is needed for controlled rotations: the two-term rule is off there,
    /// while the four-term rule matches the adjoint.
    #[test]
    fn controlled_rotations_need_the_four_term_rule() {
        let mut c = Circuit::new(2).unwrap();
        c.h(0)
            .unwrap()
            .ry(1, 0.4)
            .unwrap()
            .crx(0, 1, Angle::weight(0))
            .unwrap();
        // The frequency-1/2 terms come from interference between the control branches, so the
        // observable must act on the control too.
        let h = Hamiltonian::parse("X0Z1 + 0.3*Y0X1 + Z1").unwrap();
        let w = [0.83];
        let adj = gradient(&c, &[], &w, &h, GradMethod::Adjoint).unwrap().weights[0];
        let ps = gradient(&c, &[], &w, &h, GradMethod::ParameterShift)
            .unwrap()
            .weights[0];
        assert!((adj - ps).abs() < 1e-12, "{adj} {ps}");
        let f = |t: f64| expectations(&c, &[], &[t], std::slice::from_ref(&h)).unwrap()[0];
        let pi2 = std::f64::consts::FRAC_PI_2;
        let two_term = (f(w[0] + pi2) - f(w[0] - pi2)) / 2.0;
        assert!(
            (two_term - adj).abs() > 1e-3,
            "two-term rule should fail: {two_term} {adj}"
        );
        assert_eq!(Gate::CRX.shift_rule(0).len(), 4);
    }

    #[test]
    fn vjp_checks_lengths() {
        let mut c = Circuit::new(2).unwrap();
        c.rx(0, Angle::weight(0)).unwrap();
        let o = [Hamiltonian::z(0).unwrap()];
        assert!(matches!(
            vjp(&c, &[], &[0.1], &o, &[1.0, 2.0], GradMethod::Adjoint),
            Err(Error::Shape { .. })
        ));
        assert!(matches!(
            vjp(&c, &[1.0], &[0.1], &o, &[1.0], GradMethod::Adjoint),
            Err(Error::Shape { .. })
        ));
        let far = [Hamiltonian::z(5).unwrap()];
        assert!(vjp(&c, &[], &[0.1], &far, &[1.0], GradMethod::Adjoint).is_err());
        assert!("nope".parse::<GradMethod>().is_err());
        assert_eq!(
            "parameter-shift".parse::<GradMethod>().unwrap(),
            GradMethod::ParameterShift
        );
    }
}
