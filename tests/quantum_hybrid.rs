//! A hybrid model, classical → quantum layer → classical, written in the DSL with the
//! quantum layer as a custom op: its derived gradient matches finite differences (with the
//! adjoint and the parameter-shift VJP), and it trains.

mod common;

use std::sync::LazyLock;

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;
use shapegrad::quantum::{Circuit, GradMethod, Hamiltonian, QuantumLayer, Rotation};

fn layer(method: GradMethod) -> QuantumLayer {
    let mut c = Circuit::new(2).unwrap();
    c.angle_embedding(Rotation::Y, &[0, 1], 0).unwrap();
    c.strongly_entangling_layers(&[0, 1], 2, None, 0).unwrap();
    QuantumLayer::new(
        c,
        vec![Hamiltonian::z(0).unwrap(), Hamiltonian::z(1).unwrap()],
        method,
    )
    .unwrap()
}

static ADJOINT: LazyLock<QuantumLayer> = LazyLock::new(|| layer(GradMethod::Adjoint));
static SHIFT: LazyLock<QuantumLayer> = LazyLock::new(|| layer(GradMethod::ParameterShift));

shapegrad::model! {
    /// 2 → 2 (tanh, scaled to angles) → 2-qubit circuit, ⟨Z0⟩, ⟨Z1⟩ → 1.
    struct Hybrid {
        dims { B: batch, Q = 2, P = 12 }
        params { w1: [2, Q] = glorot, b1: [Q] = zeros, qw: [P] = uniform(0.0, 3.0), w2: [Q, 1] = glorot, b2: [1] = zeros }
        extern fn quantum(angles: [B, Q], weights: [P]) -> [B, Q] = *ADJOINT;
        extern fn quantum_ps(angles: [B, Q], weights: [P]) -> [B, Q] = *SHIFT;
        fn forward(x: [B, 2]) -> [B, 1] { quantum(2.0 * tanh(x @ w1 + b1), qw) @ w2 + b2 }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(forward(x), y) }
        fn loss_ps(x: [B, 2], y: [B, 1]) -> [] { mse(quantum_ps(2.0 * tanh(x @ w1 + b1), qw) @ w2 + b2, y) }
    }
}

/// y = x0 · x1 on a grid: not linearly separable, so the circuit has to do work.
#[allow(clippy::type_complexity)]
fn data(
    dev: &Cpu,
) -> (
    Tensor<(usize, Const<2>), f64, Cpu>,
    Tensor<(usize, Const<1>), f64, Cpu>,
) {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for i in 0..6 {
        for j in 0..6 {
            let (a, b) = (i as f64 / 2.5 - 1.0, j as f64 / 2.5 - 1.0);
            xs.extend([a, b]);
            ys.push(a * b);
        }
    }
    let n = ys.len();
    (
        dev.tensor_from_vec(xs, (n, Const::<2>)),
        dev.tensor_from_vec(ys, (n, Const::<1>)),
    )
}

#[test]
fn hybrid_gradient_matches_finite_differences_with_both_vjps() {
    let dev = Cpu::default();
    let m: Hybrid<f64, Cpu> = Hybrid::new(&dev, 11);
    let (x, y) = data(&dev);
    let (l, g) = m.loss_and_grad(&x, &y).unwrap();
    let (l_ps, g_ps) = m.loss_ps_and_grad(&x, &y).unwrap();
    assert!((l - l_ps).abs() < 1e-12);
    let (d, d_ps) = (to_flat(&g), to_flat(&g_ps));
    let fd = common::fd_params(&m, 1e-5, |mm| mm.loss(&x, &y).unwrap());
    let mut worst: f64 = 0.0;
    for i in 0..fd.len() {
        worst = worst.max((fd[i] - d[i]).abs() / fd[i].abs().max(1.0));
        assert!(
            (d[i] - d_ps[i]).abs() < 1e-9,
            "adjoint vs parameter-shift at {i}: {} vs {}",
            d[i],
            d_ps[i]
        );
    }
    assert!(
        worst < 1e-6,
        "hybrid gradient vs finite differences: worst rel. err {worst:e}"
    );
}

#[test]
fn hybrid_model_trains() {
    let dev = Cpu::default();
    let mut m: Hybrid<f64, Cpu> = Hybrid::new(&dev, 3);
    let (x, y) = data(&dev);
    let first = m.loss(&x, &y).unwrap();
    let mut opt = Adam::new(0.05);
    for _ in 0..150 {
        let (_, g) = m.loss_and_grad(&x, &y).unwrap();
        opt.step(&mut m, &g).unwrap();
    }
    let last = m.loss(&x, &y).unwrap();
    println!("hybrid MSE {first:.4} -> {last:.4}");
    assert!(last < 0.25 * first, "hybrid training: MSE {first} -> {last}");
}
