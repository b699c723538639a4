//! The claims of `examples/phase_transition.rs`, on its reduced configuration (40 λ values).

#[path = "../examples/phase_transition.rs"]
#[allow(dead_code)]
mod app;
mod common;

use common::{vals, worst_diff as worst};
use shapegrad::prelude::*;

#[test]
fn susceptibility_peaks_at_the_top_singular_value_of_the_correlation() {
    let cfg = app::Config::reduced();
    assert!(cfg.lam_count >= 40);
    let r = app::run(&cfg).unwrap();
    // The analytic λ_c is the data's top singular value (close to the teacher's 2.0).
    assert!((r.lambda_c - 2.0).abs() < 0.3, "λ_c = {}", r.lambda_c);
    // The measured χ peak is within 5% of it.
    assert!(
        r.linear_rel_err < 0.05,
        "linear peak {} vs λ_c {}",
        r.linear_fine.peak,
        r.lambda_c
    );
    // Ordered below λ_c, disordered (m → 0) above it, for both networks.
    for (name, s) in [("linear", &r.linear), ("tanh", &r.tanh)] {
        let below =
            s.m.iter()
                .filter(|(l, _)| *l < 0.6 * r.lambda_c)
                .map(|p| p.1)
                .fold(f64::INFINITY, f64::min);
        let above =
            s.m.iter()
                .filter(|(l, _)| *l > 1.1 * r.lambda_c)
                .map(|p| p.1)
                .fold(0.0, f64::max);
        assert!(below > 0.05, "{name}: m below the transition only {below}");
        assert!(above < 1e-6, "{name}: m above the transition still {above}");
    }
    // The tanh network shows the same transition (same linearisation at the origin).
    assert!(
        r.tanh_rel_err < 0.1,
        "tanh peak {} vs λ_c {}",
        r.tanh_fine.peak,
        r.lambda_c
    );
    // Mean-field exponent β = 1/2.
    assert!((r.beta - 0.5).abs() < 0.15, "β = {}", r.beta);
}

/// The macro-derived gradients of both networks (parameters, data and λ) against dfdx's tape.
#[test]
fn derived_gradients_match_the_tape() {
    let dev = Cpu::default();
    let x = dev.tensor_from_vec(vals(9 * app::DI, 1, -2.0, 2.0), (9usize, Const::<{ app::DI }>));
    let y = dev.tensor_from_vec(vals(9 * app::M, 2, -2.0, 2.0), (9usize, Const::<{ app::M }>));
    let lam = dev.tensor(0.7);
    let lin: app::LinearNet<f64, Cpu> = app::LinearNet::new(&dev, 3);
    let (l, g, (gx, gy, gl)) = lin.loss_and_grad_inputs(&x, &y, &lam).unwrap();
    let (lt, gt, (gxt, gyt, glt)) = lin.loss_tape(&x, &y, &lam).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gx.as_vec(), &gxt.as_vec()) < 1e-12);
    assert!(worst(&gy.as_vec(), &gyt.as_vec()) < 1e-12);
    assert!(worst(&[gl.array()], &[glt.array()]) < 1e-12);
    let th: app::TanhNet<f64, Cpu> = app::TanhNet::new(&dev, 3);
    let (l, g, (gx, _, _)) = th.loss_and_grad_inputs(&x, &y, &lam).unwrap();
    let (lt, gt, (gxt, _, _)) = th.loss_tape(&x, &y, &lam).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gx.as_vec(), &gxt.as_vec()) < 1e-12);
}
