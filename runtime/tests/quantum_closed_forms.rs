//! The simulator against closed forms and invariants.

use rand::{Rng, SeedableRng};
use shapegrad_runtime::quantum::{
    gradient, parallel_threshold, set_parallel_threshold, Angle, Circuit, Gate, GradMethod, Hamiltonian,
    PauliString, StateVector,
};

/// The issue's circuit: RY(0.1) q0, RX(0.7) q1, RZ(−0.3) q2, CNOT(0,1), CNOT(1,2), RY(1.3) q0,
/// placed on qubits `q` of an `n`-qubit register (so large registers exercise the parallel
/// kernels with the same closed forms).
fn issue_circuit(n: usize, q: [usize; 3]) -> Circuit {
    let mut c = Circuit::new(n).unwrap();
    c.ry(q[0], Angle::weight(0)).unwrap();
    c.rx(q[1], Angle::weight(1)).unwrap();
    c.rz(q[2], Angle::weight(2)).unwrap();
    c.cnot(q[0], q[1]).unwrap();
    c.cnot(q[1], q[2]).unwrap();
    c.ry(q[0], Angle::weight(3)).unwrap();
    c
}

#[test]
fn quantum_issue_closed_forms() {
    // The 16-qubit case runs the parallel kernels (the threshold is only ever lowered).
    set_parallel_threshold(parallel_threshold().min(12));
    let w = [0.1, 0.7, -0.3, 1.3];
    for (n, q) in [(3, [0, 1, 2]), (5, [4, 0, 2]), (16, [15, 3, 9])] {
        let c = issue_circuit(n, q);
        let s = c.run(&[], &w).unwrap();
        let obs = |t: &str| {
            let t = t
                .replace("{0}", &q[0].to_string())
                .replace("{1}", &q[1].to_string())
                .replace("{2}", &q[2].to_string());
            Hamiltonian::parse(&t).unwrap().expectation(&s)
        };
        let (c1, c7, c13) = (0.1f64.cos(), 0.7f64.cos(), 1.3f64.cos());
        assert!((obs("Z{0}") - c13 * c1).abs() < 1e-12, "n={n}");
        assert!((obs("Z{1}") - c1 * c7).abs() < 1e-12, "n={n}");
        assert!((obs("Z{0}Z{2}") - c13 * c7).abs() < 1e-12, "n={n}");
        assert!((s.norm_sqr() - 1.0).abs() < 1e-12);
        // d<Z0>/dw = (−sin 0.1 cos 1.3, 0, 0, −cos 0.1 sin 1.3), all three ways.
        let h = Hamiltonian::parse(&format!("Z{}", q[0])).unwrap();
        for m in [
            GradMethod::Adjoint,
            GradMethod::ParameterShift,
            GradMethod::FiniteDiff,
        ] {
            let g = gradient(&c, &[], &w, &h, m).unwrap();
            let want = [-(0.1f64).sin() * c13, 0.0, 0.0, -c1 * 1.3f64.sin()];
            for (a, b) in g.weights.iter().zip(want) {
                assert!((a - b).abs() < 1e-9, "{m:?} n={n}: {:?}", g.weights);
            }
        }
    }
}

#[test]
fn quantum_ghz_and_bell_states() {
    let mut c = Circuit::new(4).unwrap();
    c.h(0)
        .unwrap()
        .cnot(0, 1)
        .unwrap()
        .cnot(1, 2)
        .unwrap()
        .cnot(2, 3)
        .unwrap();
    let s = c.run(&[], &[]).unwrap();
    let p = s.probabilities();
    assert!((p[0] - 0.5).abs() < 1e-15 && (p[15] - 0.5).abs() < 1e-15);
    let h = Hamiltonian::parse("X0X1X2X3 + Z0Z3 + Z1").unwrap();
    assert!((h.expectation(&s) - 2.0).abs() < 1e-14);
    // Qubit k is bit k: X on qubit 2 of |0000> gives amplitude index 4.
    let mut c = Circuit::new(3).unwrap();
    c.x(2).unwrap();
    assert_eq!(c.run(&[], &[]).unwrap().amplitudes()[4].re, 1.0);
}

fn random_unitary1(rng: &mut impl Rng) -> [[shapegrad_runtime::quantum::C64; 2]; 2] {
    let m = Gate::U3.matrix(&[
        rng.gen_range(-3.0..3.0),
        rng.gen_range(-3.0..3.0),
        rng.gen_range(-3.0..3.0),
    ]);
    [[m[0][0], m[0][1]], [m[1][0], m[1][1]]]
}

/// 10^5 random gates of every kind on 12 qubits keep the norm within 1e-10.
#[test]
fn quantum_norm_is_preserved_by_1e5_random_gates() {
    let n = 12;
    let mut rng = rand::rngs::StdRng::seed_from_u64(2024);
    let mut c = Circuit::new(n).unwrap();
    let kinds = [
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
        Gate::Toffoli,
        Gate::CSWAP,
    ];
    for k in 0..100_000 {
        let gate = if k % 97 == 0 {
            Gate::Unitary1(Box::new(random_unitary1(&mut rng)))
        } else {
            kinds[rng.gen_range(0..kinds.len())].clone()
        };
        let mut qs: Vec<usize> = Vec::new();
        while qs.len() < gate.num_qubits() {
            let q = rng.gen_range(0..n);
            if !qs.contains(&q) {
                qs.push(q);
            }
        }
        let angles = (0..gate.num_angles())
            .map(|_| Angle::Const(rng.gen_range(-7.0..7.0)))
            .collect();
        c.add(gate, &qs, angles).unwrap();
    }
    let s = c.run(&[], &[]).unwrap();
    assert!((s.norm_sqr() - 1.0).abs() < 1e-10, "norm² = {}", s.norm_sqr());
    // And the state is genuinely scrambled (not stuck in a basis state).
    let pmax = s.probabilities().into_iter().fold(0.0, f64::max);
    assert!(pmax < 0.05, "{pmax}");
}

/// Arbitrary unitaries: a random two-qubit unitary built from gates equals the same product
/// applied as one `unitary2`.
#[test]
fn quantum_arbitrary_unitaries_compose() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let a = random_unitary1(&mut rng);
    let b = random_unitary1(&mut rng);
    // U = CNOT(0→1) · (b on q1 ⊗ a on q0), local index bit(q0) + 2 bit(q1).
    let zero = shapegrad_runtime::quantum::C64::new(0.0, 0.0);
    let mut kron = [[zero; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            kron[i][j] = a[i & 1][j & 1] * b[i >> 1][j >> 1];
        }
    }
    let cnot = |i: usize| if i & 1 == 1 { i ^ 2 } else { i };
    let mut u = [[zero; 4]; 4];
    for i in 0..4 {
        u[cnot(i)] = kron[i];
    }
    let mut c1 = Circuit::new(3).unwrap();
    c1.h(2)
        .unwrap()
        .ry(1, 0.4)
        .unwrap()
        .unitary1(2, a)
        .unwrap()
        .unitary1(0, b)
        .unwrap()
        .cnot(2, 0)
        .unwrap();
    let mut c2 = Circuit::new(3).unwrap();
    c2.h(2).unwrap().ry(1, 0.4).unwrap().unitary2(2, 0, u).unwrap();
    let (s1, s2) = (c1.run(&[], &[]).unwrap(), c2.run(&[], &[]).unwrap());
    for (x, y) in s1.amplitudes().iter().zip(s2.amplitudes()) {
        assert!((x - y).norm() < 1e-13);
    }
    assert!(PauliString::identity().expectation(&s1) > 0.999_999);
    assert!(StateVector::zero(31).is_err());
}
