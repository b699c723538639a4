//! The claims of `examples/gto_potential.rs`, on its reduced configuration.

#[path = "../examples/gto_potential.rs"]
#[allow(dead_code)]
mod app;

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
