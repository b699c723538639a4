//! The claims of `examples/rotation_invariance.rs`, on its reduced configuration.

#[path = "../examples/rotation_invariance.rs"]
#[allow(dead_code)]
mod app;
mod common;

use common::{vals, worst_diff as worst};
use shapegrad::prelude::*;

#[test]
fn radial_model_is_invariant_and_generalises_to_unseen_angles() {
    let r = app::run(&app::Config::reduced()).unwrap();
    // The radial model's output does not change under rotation (f64 round-off only); the plain
    // MLP's does, by a lot.
    assert!(
        r.rotation_change.1 < 1e-5,
        "radial model changed by {} under rotation",
        r.rotation_change.1
    );
    assert!(
        r.rotation_change.0 > 1e-2,
        "plain MLP unexpectedly invariant: {}",
        r.rotation_change.0
    );
    // Both fit the training quadrant.
    assert!(
        r.train_mse.0 < 0.1 * r.test_var && r.train_mse.1 < 0.1 * r.test_var,
        "train MSE {:?}",
        r.train_mse
    );
    // On the three unseen quadrants the radial model is at least 10× better.
    let ratio = r.test_mse.0 / r.test_mse.1;
    assert!(
        ratio >= 10.0,
        "test MSE plain {} vs radial {}: ratio {ratio}",
        r.test_mse.0,
        r.test_mse.1
    );
}

/// The macro-derived gradients of both models against dfdx's tape.
#[test]
fn derived_gradients_match_the_tape() {
    let dev = Cpu::default();
    let x = dev.tensor_from_vec(vals(22, 1, -2.0, 2.0), (11usize, Const::<2>));
    let y = dev.tensor_from_vec(vals(11, 2, -1.0, 1.0), (11usize, Const::<1>));
    let p: app::PlainMlp<f64, Cpu> = app::PlainMlp::new(&dev, 4);
    let (l, g, (gx, _)) = p.loss_and_grad_inputs(&x, &y).unwrap();
    let (lt, gt, (gxt, _)) = p.loss_tape(&x, &y).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gx.as_vec(), &gxt.as_vec()) < 1e-12);
    let r: app::RadialNet<f64, Cpu> = app::RadialNet::new(&dev, 4);
    let (l, g, (gx, _)) = r.loss_and_grad_inputs(&x, &y).unwrap();
    let (lt, gt, (gxt, _)) = r.loss_tape(&x, &y).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gx.as_vec(), &gxt.as_vec()) < 1e-12);
}
