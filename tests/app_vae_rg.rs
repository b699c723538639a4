//! The VAE-RG example's claims on a reduced run: the sampler reproduces the exact mode
//! variances 1/λ_k, and the trained VAE's encoder puts more than 90% of its weight power on the
//! lowest-|k| Fourier modes (|k| ≤ 2), up from about 5/32 at initialization.

#[path = "../examples/vae_rg.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn exact_sampler_has_the_free_field_spectrum() {
    let m = 0.5;
    let mut normal = app::normals(11);
    let n = 20_000;
    let nf = app::N as f64;
    // Empirical ⟨|φ̃_k|²⟩/N, with φ̃_k = Σ_x φ_x e^{−2πikx/N}, equals 1/λ_k.
    let ks = [0usize, 1, 5, 16];
    let mut acc = [0.0f64; 4];
    for _ in 0..n {
        let phi = app::sample_field(m, &mut normal);
        for (a, &k) in acc.iter_mut().zip(&ks) {
            let (mut re, mut im) = (0.0, 0.0);
            for (x, p) in phi.iter().enumerate() {
                let t = 2.0 * std::f64::consts::PI * (k * x) as f64 / nf;
                re += p * t.cos();
                im -= p * t.sin();
            }
            *a += (re * re + im * im) / nf;
        }
    }
    for (a, &k) in acc.iter().zip(&ks) {
        let got = a / n as f64;
        let want = 1.0 / app::stiffness(k, m);
        assert!((got / want - 1.0).abs() < 0.05, "mode {k}: {got} vs {want}");
    }
}

#[test]
fn encoder_keeps_the_long_wavelengths() {
    let rep = app::run(&app::Config::reduced()).unwrap();
    println!(
        "power {:?}\nlow fraction {} (init {}), test mse {} (PCA {})",
        rep.power, rep.low_fraction, rep.low_fraction_init, rep.test_mse, rep.pca_mse
    );
    assert!(
        rep.low_fraction_init < 0.5,
        "init fraction {}",
        rep.low_fraction_init
    );
    assert!(
        rep.low_fraction > 0.9,
        "fraction on |k| <= 2: {}",
        rep.low_fraction
    );
    assert!(rep.losses.last().unwrap().1 < rep.losses[0].1);
}
