//! Adjoint, parameter-shift and finite differences agree to 1e-8 on random circuits of 2–8
//! qubits containing every gate type, shared and nonlinear angles, inputs and weights, and
//! Hamiltonian observables.

use proptest::prelude::*;
use shapegrad_runtime::quantum::{
    gradient, parallel_threshold, set_parallel_threshold, vjp, Angle, Circuit, Func, Gate, GradMethod,
    Hamiltonian, Pauli, PauliString,
};

const NUM_WEIGHTS: usize = 5;
const NUM_INPUTS: usize = 2;

/// Every gate kind (3-qubit ones only when the register allows).
fn all_kinds(n: usize) -> Vec<Gate> {
    let mut v = vec![
        Gate::I,
        Gate::H,
        Gate::X,
        Gate::Y,
        Gate::Z,
        Gate::S,
        Gate::Sdg,
        Gate::T,
        Gate::Tdg,
        Gate::SX,
        Gate::SXdg,
        Gate::RX,
        Gate::RY,
        Gate::RZ,
        Gate::P,
        Gate::U2,
        Gate::U3,
        Gate::CNOT,
        Gate::CY,
        Gate::CZ,
        Gate::CH,
        Gate::SWAP,
        Gate::CRX,
        Gate::CRY,
        Gate::CRZ,
        Gate::CPhase,
        Gate::RXX,
        Gate::RYY,
        Gate::RZZ,
    ];
    if n >= 3 {
        v.push(Gate::Toffoli);
        v.push(Gate::CSWAP);
    }
    v
}

/// A deterministic stream of choices from proptest's seed vector.
struct Picks<'a> {
    data: &'a [u32],
    at: usize,
}
impl Picks<'_> {
    fn next(&mut self, m: usize) -> usize {
        let v = self.data[self.at % self.data.len()] as usize;
        self.at += 1;
        v % m
    }
    fn real(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next(10_000) as f64 / 10_000.0
    }
}

/// Angles: a weight (shared: only 5 exist), an input, an affine mix, or a nonlinear expression.
fn angle(p: &mut Picks) -> Angle {
    match p.next(5) {
        0 => Angle::weight(p.next(NUM_WEIGHTS)),
        1 => Angle::input(p.next(NUM_INPUTS)),
        2 => Angle::weight(p.next(NUM_WEIGHTS)).affine(p.real(-2.0, 2.0), p.real(-1.0, 1.0)),
        3 => Angle::weight(p.next(NUM_WEIGHTS)) * 0.7 - Angle::input(p.next(NUM_INPUTS)) + 0.2,
        _ => {
            Angle::Call(Func::Sin, Box::new(Angle::weight(p.next(NUM_WEIGHTS)))) * 1.5
                + Angle::weight(p.next(NUM_WEIGHTS)) * Angle::input(p.next(NUM_INPUTS))
        }
    }
}

fn build(n: usize, extra: usize, p: &mut Picks) -> Circuit {
    let mut c = Circuit::new(n).unwrap();
    // A non-trivial start state.
    for q in 0..n {
        c.h(q).unwrap();
    }
    let kinds = all_kinds(n);
    let mut order: Vec<Gate> = kinds.clone();
    for _ in 0..extra {
        order.push(kinds[p.next(kinds.len())].clone());
    }
    // Shuffle.
    for i in (1..order.len()).rev() {
        order.swap(i, p.next(i + 1));
    }
    for g in order {
        let mut qs: Vec<usize> = Vec::new();
        while qs.len() < g.num_qubits() {
            let q = p.next(n);
            if !qs.contains(&q) {
                qs.push(q);
            }
        }
        let angles = (0..g.num_angles()).map(|_| angle(p)).collect();
        c.add(g, &qs, angles).unwrap();
    }
    c.reserve_params(NUM_INPUTS, NUM_WEIGHTS);
    c
}

fn hamiltonian(n: usize, p: &mut Picks) -> Hamiltonian {
    let terms = (0..1 + p.next(4))
        .map(|_| {
            let mut f: Vec<(usize, Pauli)> = Vec::new();
            for q in 0..n {
                if p.next(3) == 0 {
                    f.push((q, [Pauli::X, Pauli::Y, Pauli::Z][p.next(3)]));
                }
            }
            if f.is_empty() {
                f.push((p.next(n), Pauli::Z));
            }
            (p.real(-1.5, 1.5), PauliString::new(&f).unwrap())
        })
        .collect();
    Hamiltonian::new(terms)
}

fn assert_close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() < 1e-8, "{what}[{i}]: {x} vs {y}\n{a:?}\n{b:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn quantum_three_gradients_agree(
        n in 2usize..=8,
        extra in 0usize..12,
        seeds in proptest::collection::vec(any::<u32>(), 64),
        w in proptest::collection::vec(-3.0f64..3.0, NUM_WEIGHTS),
        x in proptest::collection::vec(-2.0f64..2.0, NUM_INPUTS),
    ) {
        let mut p = Picks { data: &seeds, at: 0 };
        let c = build(n, extra, &mut p);
        let h = hamiltonian(n, &mut p);
        let adj = gradient(&c, &x, &w, &h, GradMethod::Adjoint).unwrap();
        let ps = gradient(&c, &x, &w, &h, GradMethod::ParameterShift).unwrap();
        let fd = gradient(&c, &x, &w, &h, GradMethod::FiniteDiff).unwrap();
        assert_eq!(adj.value, ps.value);
        assert_close(&adj.weights, &ps.weights, "weights adjoint vs shift");
        assert_close(&adj.weights, &fd.weights, "weights adjoint vs fd");
        assert_close(&adj.inputs, &ps.inputs, "inputs adjoint vs shift");
        assert_close(&adj.inputs, &fd.inputs, "inputs adjoint vs fd");
    }
}

/// A VJP over several observables equals the weighted sum of single-observable gradients.
#[test]
fn quantum_vjp_is_linear_in_upstream() {
    let seeds: Vec<u32> = (0..64u32).map(|i| i.wrapping_mul(2654435761)).collect();
    let mut p = Picks { data: &seeds, at: 0 };
    let c = build(5, 8, &mut p);
    let obs = vec![
        hamiltonian(5, &mut p),
        hamiltonian(5, &mut p),
        Hamiltonian::z(4).unwrap(),
    ];
    let (w, x) = ([0.3, -1.2, 0.8, 2.0, -0.1], [0.5, -0.7]);
    let g = [0.7, -1.3, 0.25];
    for m in [
        GradMethod::Adjoint,
        GradMethod::ParameterShift,
        GradMethod::FiniteDiff,
    ] {
        let (gi, gw) = vjp(&c, &x, &w, &obs, &g, m).unwrap();
        let (mut wi, mut ww) = (vec![0.0; 2], vec![0.0; 5]);
        for (o, gk) in obs.iter().zip(g) {
            let single = gradient(&c, &x, &w, o, GradMethod::Adjoint).unwrap();
            wi.iter_mut().zip(&single.inputs).for_each(|(a, b)| *a += gk * b);
            ww.iter_mut().zip(&single.weights).for_each(|(a, b)| *a += gk * b);
        }
        assert_close(&gi, &wi, "inputs");
        assert_close(&gw, &ww, "weights");
    }
}

/// Strongly entangling layers on 14 qubits, with the parallel kernels.
#[test]
fn quantum_gradients_agree_on_parallel_kernels() {
    // Only ever lowered (tests run concurrently), so 14 qubits take the parallel kernels.
    set_parallel_threshold(parallel_threshold().min(12));
    let n = 14;
    let mut c = Circuit::new(n).unwrap();
    let wires: Vec<usize> = (0..n).collect();
    c.strongly_entangling_layers(&wires, 1, None, 0).unwrap();
    c.crx(13, 0, Angle::weight(3))
        .unwrap()
        .rzz(12, 1, Angle::weight(0) * 2.0)
        .unwrap();
    let w: Vec<f64> = (0..c.num_weights()).map(|i| (i as f64 * 0.37).sin()).collect();
    let h = Hamiltonian::parse("Z0Z13 - 0.5*X7 + 0.25*Y12X1").unwrap();
    let adj = gradient(&c, &[], &w, &h, GradMethod::Adjoint).unwrap();
    let ps = gradient(&c, &[], &w, &h, GradMethod::ParameterShift).unwrap();
    assert_close(&adj.weights, &ps.weights, "n=14");
}
