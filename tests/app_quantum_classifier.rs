//! The quantum example's claims on a reduced run: the hybrid classical → quantum → classical
//! DSL model classifies two rings with ≥ 90% test accuracy; adjoint, parameter-shift and
//! finite-difference gradients agree throughout training; the VQE reaches the exact ground
//! energy of the n = 6 transverse-field Ising chain within 1e-3.

#[path = "../examples/quantum_classifier.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn hybrid_classifier_and_vqe_claims() {
    let rep = app::run(&app::Config::reduced()).unwrap();
    println!(
        "accuracy {}; checks {:?}; exact {:?}; vqe {}; cost {:?} {:?}",
        rep.test_accuracy, rep.grad_checks, rep.exact_energy, rep.vqe_energy, rep.cost, rep.cost_exponents
    );
    assert!(rep.test_accuracy >= 0.9, "test accuracy {}", rep.test_accuracy);
    assert!(rep.grad_checks.len() >= 3);
    for &(step, shift, fd) in &rep.grad_checks {
        assert!(shift < 1e-9, "step {step}: adjoint vs parameter shift {shift:e}");
        assert!(fd < 1e-7, "step {step}: adjoint vs finite differences {fd:e}");
    }
    assert!(
        rep.vqe_grad_check.0 < 1e-9 && rep.vqe_grad_check.1 < 1e-7,
        "{:?}",
        rep.vqe_grad_check
    );
    let (e0, residual) = rep.exact_energy;
    assert!(residual < 1e-8, "exact diagonalization residual {residual:e}");
    assert!(
        rep.vqe_energy >= e0 - 1e-9,
        "variational bound: {} < {e0}",
        rep.vqe_energy
    );
    assert!(rep.vqe_energy - e0 < 1e-3, "VQE {} vs exact {e0}", rep.vqe_energy);
}

#[test]
fn exact_diagonalization_of_a_two_site_chain_is_the_closed_form() {
    // H = −Z0Z1 − h(X0 + X1) has the eigenvalues {−sqrt(1 + 4h²), −1, 1, sqrt(1 + 4h²)}.
    let h = 0.7;
    let ham = shapegrad::quantum::Hamiltonian::parse(&app::tfim_text(2, 1.0, h)).unwrap();
    let m = app::dense_matrix(&ham, 2).unwrap();
    let (e, res) = app::ground_energy(&m, 4, 5000);
    assert!((e + (1.0f64 + 4.0 * h * h).sqrt()).abs() < 1e-10, "{e}");
    assert!(res < 1e-8);
}
