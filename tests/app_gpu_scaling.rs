//! The scaling example's claims on a reduced CPU sweep: the derived backward pass costs a small
//! constant multiple of the forward pass at every size, and time grows about linearly with the
//! parameter count. Bounds are wide on purpose (the machine is shared and noisy); the precise
//! numbers live in the example's output and the book.

#[path = "../examples/gpu_scaling.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn loglog_slope_recovers_a_power_law() {
    let pts: Vec<(f64, f64)> = [1.0, 10.0, 100.0]
        .iter()
        .map(|&x: &f64| (x, 3.0 * x.powf(1.5)))
        .collect();
    assert!((app::loglog_slope(&pts) - 1.5).abs() < 1e-12);
}

#[test]
fn backward_is_a_constant_multiple_of_forward_and_time_is_linear_in_p() {
    let cfg = app::Config::reduced();
    let r = app::run(&cfg).unwrap();
    let cpu = &r.sweeps[0];
    for p in &cpu.points {
        eprintln!(
            "W {} P {} fwd {:.0} bwd {:.0} step {:.0} µs",
            p.width, p.params, p.forward_us, p.backward_us, p.step_us
        );
    }
    eprintln!(
        "exponents: step {:.2} fwd {:.2} bwd {:.2}",
        cpu.step_exponent, cpu.forward_exponent, cpu.backward_exponent
    );
    assert_eq!(cpu.points.len(), cfg.widths.len());
    for p in &cpu.points {
        assert_eq!(p.params, 3 * p.width * p.width + 3 * p.width);
        let ratio = p.backward_us / p.forward_us;
        assert!(
            (0.5..6.0).contains(&ratio),
            "W = {}: backward/forward = {ratio}",
            p.width
        );
        assert!(p.step_us >= 0.5 * p.grad_us, "W = {}", p.width);
    }
    // P grows 16× over the sweep; time should grow ~16×, not ~4× (√P) or ~64× (P^1.5).
    assert!(
        (0.7..1.35).contains(&cpu.step_exponent),
        "step time ∝ P^{:.2}",
        cpu.step_exponent
    );
}
