//! The claims of `examples/ising_boltzmann.rs`, on its reduced configuration (5 000 samples).

#[path = "../examples/ising_boltzmann.rs"]
#[allow(dead_code)]
mod app;
mod common;

use common::{vals, worst_diff as worst};
use shapegrad::prelude::*;

#[test]
fn ising_energy_is_the_boltzmann_energy_and_ml_recovers_the_couplings() {
    let r = app::run(&app::Config::reduced()).unwrap();
    // E_BM(s; W = J, b = h) = E_Ising(s) for every one of the 2^N states (to round-off).
    assert!(
        r.energy_map_max_err < 1e-12,
        "energy map error {}",
        r.energy_map_max_err
    );
    // Maximum likelihood: the fit is at least as likely as the true parameters on the same data.
    let learned = *r.nll_curve.last().unwrap();
    assert!(
        learned <= r.nll_true + 1e-9,
        "learned NLL {learned} vs true {}",
        r.nll_true
    );
    // Couplings recovered to within the sampling error of 5 000 samples (expected RMS ≈ 2.5/√M).
    assert!(r.j_rms_err < 0.06, "RMS coupling error {}", r.j_rms_err);
    assert!(r.j_max_err < 0.15, "max coupling error {}", r.j_max_err);
    assert!(r.h_rms_err < 0.06, "RMS field error {}", r.h_rms_err);
    // More data, smaller error: 100× the samples should cut the error several-fold (≈ 10×).
    let (small, large) = (r.scaling[0].1, r.scaling[1].1);
    assert!(
        large < small / 4.0,
        "error {small} at 500 samples vs {large} at 50 000"
    );
}

/// The macro-derived gradients of this model (parameters and both inputs) against dfdx's tape.
#[test]
fn derived_gradients_match_the_tape() {
    let dev = Cpu::default();
    let mut m: app::Boltzmann<f64, Cpu> = app::Boltzmann::new(&dev, 0);
    let n = num_params(&m);
    set_flat(&mut m, &vals(n, 1, -0.5, 0.5)).unwrap();
    let s = 37;
    let states: Vec<f64> = vals(s * app::N, 2, -1.0, 1.0)
        .into_iter()
        .map(f64::signum)
        .collect();
    let states = dev.tensor_from_vec(states, (s, Const::<{ app::N }>));
    let freq = dev.tensor_from_vec(vals(s, 3, 0.0, 0.1), (s,));
    let (l, g, (gs, gf)) = m.nll_and_grad_inputs(&states, &freq).unwrap();
    let (lt, gt, (gst, gft)) = m.nll_tape(&states, &freq).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gs.as_vec(), &gst.as_vec()) < 1e-12);
    assert!(worst(&gf.as_vec(), &gft.as_vec()) < 1e-12);
}
