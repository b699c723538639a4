//! The scaling example on a reduced CPU sweep: it measures forward, backward and full-step time
//! at every size and fits the exponents. Timings are not asserted (DESIGN.md: no timed
//! assertions; the machine is shared and noisy): the test checks the sweep runs the same code
//! path, measures what it claims to and fits finite exponents; the claims themselves (backward /
//! forward a small constant, time ∝ P) are read off the example's output and the book chapter.

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
        for t in [p.forward_us, p.backward_us, p.step_us, p.grad_us] {
            assert!(t.is_finite() && t > 0.0, "W = {}: a timing of {t} µs", p.width);
        }
    }
    for e in [cpu.step_exponent, cpu.forward_exponent, cpu.backward_exponent] {
        assert!(e.is_finite(), "a fitted exponent is {e}");
    }
}
