//! The claims of `examples/symmetry_breaking.rs`, on its reduced configuration (11×11 grid).

#[path = "../examples/symmetry_breaking.rs"]
#[allow(dead_code)]
mod app;
mod common;

use common::{vals, worst_diff as worst};
use shapegrad::prelude::*;

#[test]
fn twins_stay_bitwise_equal_until_a_tiny_perturbation_grows_exponentially() {
    let r = app::run(&app::Config::reduced()).unwrap();
    // Without a perturbation the twins are identical bit for bit at every step.
    assert!(
        r.twins_bitwise_equal,
        "twins diverged: max |Δ| = {:e}",
        r.unperturbed_max_delta
    );
    assert_eq!(r.unperturbed_max_delta, 0.0);
    // The symmetric solution is a saddle: a negative antisymmetric curvature.
    assert!(
        r.hessian_min_eig < 0.0,
        "antisymmetric Hessian eigenvalue {}",
        r.hessian_min_eig
    );
    // With 1e-10 on one weight, ln|Δ| grows linearly (exponential growth) over a long window,
    // at a rate close to the one the saddle's curvature predicts.
    let (a, b) = r.fit_window;
    assert!(b > a + 50, "growth window {a}..{b} too short");
    assert!(
        r.fit_r2 > 0.99,
        "ln|Δ| is not linear in the step: R² = {}",
        r.fit_r2
    );
    assert!(r.growth_rate > 0.0);
    let rel = (r.growth_rate - r.predicted_rate).abs() / r.predicted_rate;
    assert!(
        rel < 0.25,
        "growth rate {} vs predicted {}",
        r.growth_rate,
        r.predicted_rate
    );
    // Perturbed at the symmetric solution itself, the linearisation holds from the first step:
    // the rate is ln(1 − η μ) with μ the most negative antisymmetric Hessian eigenvalue.
    assert!(r.saddle_r2 > 0.999, "R² at the saddle {}", r.saddle_r2);
    let rel = (r.saddle_rate - r.predicted_rate).abs() / r.predicted_rate;
    assert!(
        rel < 0.01,
        "saddle growth rate {} vs predicted {}",
        r.saddle_rate,
        r.predicted_rate
    );
    // The twins specialise and the loss drops far below the symmetric solution's.
    assert!(
        r.final_loss_perturbed < 0.01 * r.final_loss_symmetric,
        "perturbed loss {} vs symmetric {}",
        r.final_loss_perturbed,
        r.final_loss_symmetric
    );
    let d: f64 = (0..4)
        .map(|k| (r.final_twins[0][k] - r.final_twins[1][k]).abs())
        .fold(0.0, f64::max);
    assert!(d > 0.5, "twins did not specialise: max difference {d}");
}

/// The macro-derived gradients of this model against dfdx's tape.
#[test]
fn derived_gradients_match_the_tape() {
    let dev = Cpu::default();
    let m: app::Twins<f64, Cpu> = app::Twins::new(&dev, 5);
    let x = dev.tensor_from_vec(vals(14, 1, -2.0, 2.0), (7usize, Const::<2>));
    let y = dev.tensor_from_vec(vals(7, 2, -2.0, 2.0), (7usize, Const::<1>));
    let (l, g, (gx, gy)) = m.loss_and_grad_inputs(&x, &y).unwrap();
    let (lt, gt, (gxt, gyt)) = m.loss_tape(&x, &y).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gx.as_vec(), &gxt.as_vec()) < 1e-12);
    assert!(worst(&gy.as_vec(), &gyt.as_vec()) < 1e-12);
}
