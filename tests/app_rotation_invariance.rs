//! The claims of `examples/rotation_invariance.rs`, on its reduced configuration.

#[path = "../examples/rotation_invariance.rs"]
#[allow(dead_code)]
mod app;

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
