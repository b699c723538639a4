//! The first-order update rules against an independent implementation: dfdx 0.13's own
//! optimizers (`dfdx::optim::{Sgd, Adam}`), stepping a tensor whose gradient comes from dfdx's
//! tape. Both sides start from the same parameters and follow their own trajectories for 25
//! steps, in f64; they must agree to round-off (1e-12). (dfdx's RMSprop is not an oracle for ours: it starts
//! its square average at 1 and puts ε inside the square root, TensorFlow-style; ours follows
//! PyTorch.)

mod train_fixture;

use shapegrad_runtime::dfdx::optim::{
    Adam as DAdam, AdamConfig, Momentum, Optimizer as DOptimizer, Sgd as DSgd, SgdConfig, WeightDecay as DWd,
};
// Our names (imported explicitly below) take precedence over the prelude's Adam/Sgd/Optimizer.
use shapegrad_runtime::dfdx::prelude::*;
use shapegrad_runtime::optim::{Adam, Optimizer, Sgd, WeightDecay};
use shapegrad_runtime::params::{set_flat, to_flat};
use shapegrad_runtime::Model;
use train_fixture::*;

const START: [f64; 10] = [0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 1.5, -2.5, 0.0, 0.7];
const TARGET: [f64; 10] = [1.0, 0.5, -0.5, 0.2, 0.0, -1.0, 2.0, 0.3, -0.7, 0.9];
const CURV: [f64; 10] = [0.5, 1.0, 2.0, 3.0, 0.25, 4.0, 1.5, 0.75, 2.5, 1.25];

/// Runs both optimizers for 25 steps on `Σ cᵢ (θᵢ − tᵢ)²`; returns the largest difference.
fn compare<O: Optimizer, DO: DOptimizer<Tensor<Rank1<10>, f64, Cpu>, Cpu, f64>>(
    mut ours: O,
    make_theirs: impl FnOnce(&Tensor<Rank1<10>, f64, Cpu>) -> DO,
) -> f64 {
    let dev = Cpu::default();
    let target: Tensor<Rank1<10>, f64, Cpu> = dev.tensor(TARGET);
    let curv: Tensor<Rank1<10>, f64, Cpu> = dev.tensor(CURV);
    let mut theta: Tensor<Rank1<10>, f64, Cpu> = dev.tensor(START);
    let mut theirs = make_theirs(&theta);
    let mut bag: Bag<f64, Cpu> = Bag::from_flat(&dev, &START);
    let mut worst: f64 = 0.0;
    for _ in 0..25 {
        // Theirs: gradient from dfdx's tape.
        let loss = ((theta.leaky_trace() - target.clone()).square() * curv.clone()).sum();
        let grads = loss.backward();
        theirs.update(&mut theta, &grads).unwrap();
        // Ours: the same gradient in closed form, 2c(θ − t), from our own parameters.
        let x = to_flat(&bag);
        let g: Vec<f64> = (0..10).map(|i| 2.0 * CURV[i] * (x[i] - TARGET[i])).collect();
        let mut gb = bag.zero_grads();
        set_flat(&mut gb, &g).unwrap();
        ours.step(&mut bag, &gb).unwrap();
        for (a, b) in to_flat(&bag).iter().zip(theta.array()) {
            worst = worst.max((a - b).abs() / (1.0 + a.abs()));
        }
    }
    worst
}

#[test]
fn sgd_variants_match_dfdx() {
    let cases: Vec<(&str, Sgd, SgdConfig)> = vec![
        (
            "plain",
            Sgd::new(0.05),
            SgdConfig {
                lr: 0.05,
                momentum: None,
                weight_decay: None,
            },
        ),
        (
            "momentum",
            Sgd::new(0.05).momentum(0.9),
            SgdConfig {
                lr: 0.05,
                momentum: Some(Momentum::Classic(0.9)),
                weight_decay: None,
            },
        ),
        (
            "nesterov + L2",
            Sgd::new(0.05).nesterov(0.8).weight_decay(WeightDecay::L2(0.1)),
            SgdConfig {
                lr: 0.05,
                momentum: Some(Momentum::Nesterov(0.8)),
                weight_decay: Some(DWd::L2(0.1)),
            },
        ),
        (
            "momentum + decoupled",
            Sgd::new(0.05)
                .momentum(0.5)
                .weight_decay(WeightDecay::Decoupled(0.2)),
            SgdConfig {
                lr: 0.05,
                momentum: Some(Momentum::Classic(0.5)),
                weight_decay: Some(DWd::Decoupled(0.2)),
            },
        ),
    ];
    for (name, ours, cfg) in cases {
        let d = compare(ours, |t| DSgd::new(t, cfg));
        println!("sgd {name}: max relative difference to dfdx over 25 steps {d:.2e}");
        assert!(d < 1e-12, "sgd {name}: {d}");
    }
}

#[test]
fn adam_and_adamw_match_dfdx() {
    let cases: Vec<(&str, Adam, AdamConfig)> = vec![
        (
            "adam",
            Adam::new(0.1),
            AdamConfig {
                lr: 0.1,
                betas: [0.9, 0.999],
                eps: 1e-8,
                weight_decay: None,
            },
        ),
        (
            "adam + L2",
            Adam::new(0.1)
                .betas(0.8, 0.99)
                .weight_decay(WeightDecay::L2(0.05)),
            AdamConfig {
                lr: 0.1,
                betas: [0.8, 0.99],
                eps: 1e-8,
                weight_decay: Some(DWd::L2(0.05)),
            },
        ),
        (
            "adamw",
            Adam::adamw(0.1, 0.3),
            AdamConfig {
                lr: 0.1,
                betas: [0.9, 0.999],
                eps: 1e-8,
                weight_decay: Some(DWd::Decoupled(0.3)),
            },
        ),
    ];
    for (name, ours, cfg) in cases {
        let d = compare(ours, |t| DAdam::new(t, cfg));
        println!("{name}: max relative difference to dfdx over 25 steps {d:.2e}");
        assert!(d < 1e-12, "{name}: {d}");
    }
}

/// RMSProp has no dfdx oracle (see the module docs): check two steps against PyTorch's
/// documented algorithm, worked by hand for a constant gradient g = 2.
#[test]
fn rmsprop_follows_pytorchs_algorithm() {
    use shapegrad_runtime::optim::RmsProp;
    let dev = Cpu::default();
    let (lr, a, mu) = (0.01, 0.9, 0.5);
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[1.0; BAG_P]);
    let g: Bag<f64, Cpu> = Bag::from_flat(&dev, &[2.0; BAG_P]);
    let mut opt = RmsProp::new(lr).alpha(a).eps(0.0).momentum(mu);
    opt.step(&mut m, &g).unwrap();
    // v₁ = (1−α)·4 = 0.4; b₁ = 2/√0.4; θ₁ = 1 − lr·b₁.
    let b1 = 2.0 / 0.4f64.sqrt();
    assert!(to_flat(&m).iter().all(|v| (v - (1.0 - lr * b1)).abs() < 1e-15));
    opt.step(&mut m, &g).unwrap();
    // v₂ = α·0.4 + (1−α)·4 = 0.76; b₂ = μb₁ + 2/√0.76; θ₂ = θ₁ − lr·b₂.
    let b2 = mu * b1 + 2.0 / 0.76f64.sqrt();
    assert!(to_flat(&m)
        .iter()
        .all(|v| (v - (1.0 - lr * b1 - lr * b2)).abs() < 1e-14));
}
