//! The claims of `examples/gto_potential.rs`, on its reduced configuration.

#[path = "../examples/gto_potential.rs"]
#[allow(dead_code)]
mod app;
mod common;

use common::{vals, worst_diff as worst};
use shapegrad::prelude::*;

#[test]
fn gto_potentials_fit_energies_and_forces_are_covariant_and_md_conserves_energy() {
    let r = app::run(&app::Config::reduced()).unwrap();
    eprintln!(
        "diatomic {:?}\ntrimer {:?}\nMD drift {:e}",
        r.diatomic, r.trimer, r.md_drift
    );
    for (name, e, e_bound, f_bound) in [
        ("diatomic", &r.diatomic, 0.005, 0.03),
        ("trimer", &r.trimer, 0.005, 0.03),
    ] {
        // Energies and forces (−∇ₓE from the derived input gradients) against the analytic
        // potential, on unseen configurations.
        assert!(e.energy_rmse < e_bound, "{name}: energy RMSE {}", e.energy_rmse);
        assert!(
            e.force_rmse < f_bound,
            "{name}: force RMSE {} (force scale {})",
            e.force_rmse,
            e.force_scale
        );
        // Energy invariant, forces covariant under rotations.
        assert!(
            e.rot_energy <= 1e-5,
            "{name}: energy changed by {} under rotation",
            e.rot_energy
        );
        assert!(e.rot_force <= 1e-5, "{name}: |F(Rp) − R F(p)| = {}", e.rot_force);
    }
    // The learned exponents stay positive (softplus) and spread over scales.
    assert!(r.alphas.iter().all(|&a| a > 0.0));
    // Velocity Verlet with the learned forces conserves the learned total energy.
    assert!(r.md_drift < 1e-3, "relative energy drift {}", r.md_drift);
    // The MD actually moved: kinetic energy exchanged with potential energy.
    let ke: Vec<f64> = r.md.iter().map(|p| p.1).collect();
    let (lo, hi) = ke
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &k| (a.min(k), b.max(k)));
    assert!(hi - lo > 0.05, "kinetic energy range {lo}..{hi}");
}

/// The macro-derived gradients (parameters and forces) of both models against dfdx's tape, and
/// the derived forces against central differences of the model's own energy.
#[test]
fn derived_gradients_match_the_tape_and_finite_differences() {
    let dev = Cpu::default();
    let e = dev.tensor_from_vec(vals(5, 9, -1.0, 1.0), (5usize, Const::<1>));
    let di: app::Diatomic<f64, Cpu> = app::Diatomic::new(&dev, 1);
    let p6 = dev.tensor_from_vec(vals(30, 1, -1.0, 1.0), (5usize, Const::<6>));
    let (l, g, (gp, _)) = di.loss_and_grad_inputs(&p6, &e).unwrap();
    let (lt, gt, (gpt, _)) = di.loss_tape(&p6, &e).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gp.as_vec(), &gpt.as_vec()) < 1e-12);

    let tri: app::Trimer<f64, Cpu> = app::Trimer::new(&dev, 1);
    let raw = vals(45, 2, -1.0, 1.0);
    let p9 = dev.tensor_from_vec(raw.clone(), (5usize, Const::<9>));
    let (l, g, (gp, _)) = tri.loss_and_grad_inputs(&p9, &e).unwrap();
    let (lt, gt, (gpt, _)) = tri.loss_tape(&p9, &e).unwrap();
    assert!(worst(&[l], &[lt]) < 1e-12);
    assert!(worst(&to_flat(&g), &to_flat(&gt)) < 1e-12);
    assert!(worst(&gp.as_vec(), &gpt.as_vec()) < 1e-12);

    // Forces: the input gradient of `total` against central differences of `total`.
    let (_, _, (grad,)) = tri.total_and_grad_inputs(&p9).unwrap();
    let grad = grad.as_vec();
    let h = 1e-6;
    for i in 0..raw.len() {
        let mut plus = raw.clone();
        let mut minus = raw.clone();
        plus[i] += h;
        minus[i] -= h;
        let ep = tri
            .total(&dev.tensor_from_vec(plus, (5usize, Const::<9>)))
            .unwrap();
        let em = tri
            .total(&dev.tensor_from_vec(minus, (5usize, Const::<9>)))
            .unwrap();
        let fd = (ep - em) / (2.0 * h);
        assert!(
            (fd - grad[i]).abs() < 1e-7 * grad[i].abs().max(1.0),
            "entry {i}: {fd} vs {}",
            grad[i]
        );
    }
}
