//! gradcheck against a fixture whose gradient is known in closed form, and against a gradient
//! that is wrong in one entry.

mod train_fixture;

use shapegrad_runtime::dfdx::tensor::Cpu;
use shapegrad_runtime::gradcheck::{gradcheck, GradcheckConfig};
use shapegrad_runtime::params::{set_flat, to_flat};
use shapegrad_runtime::Model;
use train_fixture::*;

/// `L(θ) = Σ cᵢ sin θᵢ + (Σ θᵢ)² / 2`, `∂L/∂θᵢ = cᵢ cos θᵢ + Σ θ`.
fn loss(x: &[f64]) -> f64 {
    let s: f64 = x.iter().sum();
    x.iter()
        .enumerate()
        .map(|(i, v)| (1.0 + i as f64) * v.sin())
        .sum::<f64>()
        + 0.5 * s * s
}
fn grad(x: &[f64]) -> Vec<f64> {
    let s: f64 = x.iter().sum();
    x.iter()
        .enumerate()
        .map(|(i, v)| (1.0 + i as f64) * v.cos() + s)
        .collect()
}

fn start() -> Vec<f64> {
    (0..BAG_P).map(|i| (i as f64 * 1.3).cos() * 2.0).collect()
}

#[test]
fn a_correct_gradient_passes_with_small_error() {
    let dev = Cpu::default();
    let m: Bag<f64, Cpu> = Bag::from_flat(&dev, &start());
    let mut g = m.zero_grads();
    set_flat(&mut g, &grad(&start())).unwrap();
    let r = gradcheck(
        &m,
        &g,
        |m: &Bag<f64, Cpu>| Ok(loss(&to_flat(m))),
        &GradcheckConfig::default(),
    )
    .unwrap();
    println!("{r}");
    assert!(r.passed(), "{r}");
    assert_eq!(r.checked, BAG_P);
    assert!(r.worst.as_ref().unwrap().rel_err < 1e-7, "{r}");
    assert_eq!(to_flat(&m), start(), "the model is not changed");
}

#[test]
fn a_wrong_entry_fails_and_is_named() {
    let dev = Cpu::default();
    let m: Bag<f64, Cpu> = Bag::from_flat(&dev, &start());
    let mut wrong = grad(&start());
    wrong[1 + 4] *= 1.01; // head.w[4] (row 1, col 1), 1% off
    let mut g = m.zero_grads();
    set_flat(&mut g, &wrong).unwrap();
    let r = gradcheck(
        &m,
        &g,
        |m: &Bag<f64, Cpu>| Ok(loss(&to_flat(m))),
        &GradcheckConfig::default(),
    )
    .unwrap();
    println!("{r}");
    assert!(!r.passed());
    assert_eq!(r.failures, 1);
    let w = r.worst.clone().unwrap();
    assert_eq!((w.name.as_str(), w.index, w.flat_index), ("head.w", 4, 5));
    assert!((w.rel_err - 0.01 / 1.01).abs() < 1e-4, "{}", w.rel_err);
    let e = r.into_result().unwrap_err().to_string();
    assert!(e.contains("`head.w`[4]"), "{e}");
}

#[test]
fn f32_models_and_subsampling() {
    let dev = Cpu::default();
    let m: Bag<f32, Cpu> = Bag::from_flat(&dev, &start());
    let x = to_flat(&m);
    let mut g = m.zero_grads();
    set_flat(&mut g, &grad(&x)).unwrap();
    // f32 losses are noisy: a larger step and looser tolerance.
    let cfg = GradcheckConfig {
        eps: 1e-2,
        rtol: 1e-2,
        atol: 1e-3,
        max_entries: Some(4),
        seed: 9,
    };
    let r = gradcheck(
        &m,
        &g,
        |m: &Bag<f32, Cpu>| Ok(loss(&to_flat(m)) as f32 as f64),
        &cfg,
    )
    .unwrap();
    println!("{r}");
    assert!(r.passed(), "{r}");
    assert_eq!(r.checked, 4);
}
