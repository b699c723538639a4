//! The claims of `examples/ising_boltzmann.rs`, on its reduced configuration (5 000 samples).

#[path = "../examples/ising_boltzmann.rs"]
#[allow(dead_code)]
mod app;

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
