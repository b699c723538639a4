//! A VAE coarse-grains like the renormalization group.
//!
//! A free massive scalar field on a periodic 1-D lattice of N = 32 sites has the action
//! S[φ] = ½ Σ_x [(φ_{x+1} − φ_x)² + m² φ_x²], which is diagonal in Fourier space: mode k has
//! stiffness λ_k = 4 sin²(πk/N) + m², so its variance is 1/λ_k. Long wavelengths (small |k|)
//! fluctuate most; short ones are stiff. We sample configurations exactly (independent Gaussian
//! Fourier amplitudes) and train a VAE with a 4-dimensional latent, built from DSL sub-models: a
//! linear Gaussian encoder, an MLP decoder, the reparameterisation z = μ + σ·ε with noise ε that
//! the caller supplies, and the KL term. Forced to keep only four numbers, the encoder keeps the
//! longest wavelengths and integrates out the rest, as a momentum-shell RG step does: we measure
//! the power of the encoder's weights per Fourier mode |k|.
//!
//! `cargo run --release --example vae_rg` prints the per-mode power and writes SVG figures under
//! `results/vae_rg/`.

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

/// Lattice sites.
pub const N: usize = 32;
/// Latent dimension.
pub const LATENT: usize = 4;

shapegrad::model! {
    /// A linear Gaussian encoder: φ → (μ, log σ²).
    pub struct Encoder {
        dims { B: batch, N = 32, Z = 4 }
        params { wm: [N, Z] = glorot, bm: [Z] = zeros, wv: [N, Z] = normal(0.0, 0.01), bv: [Z] = constant(-2.0) }
        fn mean(x: [B, N]) -> [B, Z] { x @ wm + bm }
        fn logvar(x: [B, N]) -> [B, Z] { x @ wv + bv }
    }

    /// An MLP decoder: z → φ̂.
    pub struct Decoder {
        dims { B: batch, Z = 4, H = 64, N = 32 }
        params { w1: [Z, H] = glorot, b1: [H] = zeros, w2: [H, N] = glorot, b2: [N] = zeros }
        fn decode(z: [B, Z]) -> [B, N] { tanh(z @ w1 + b1) @ w2 + b2 }
    }

    /// The VAE: Gaussian likelihood with fixed variance σ² = 1/2 (so the reconstruction term is
    /// Σ_x (φ − φ̂)²), reparameterisation with caller-supplied ε, KL to N(0, I).
    pub struct Vae {
        dims { B: batch, N = 32, Z = 4 }
        params { enc: Encoder, dec: Decoder }
        fn reconstruct(x: [B, N]) -> [B, N] { dec.decode(enc.mean(x)) }
        fn loss(x: [B, N], eps: [B, Z]) -> [] {
            let mu = enc.mean(x);
            let lv = enc.logvar(x);
            let z = mu + exp(0.5 * lv) * eps;
            let recon = mean(sum(square(dec.decode(z) - x), axis = 1));
            let kl = mean(sum(0.5 * (exp(lv) + square(mu) - 1.0 - lv), axis = 1));
            recon + kl
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Field mass m.
    pub mass: f64,
    /// Training configurations.
    pub n_train: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam steps.
    pub steps: usize,
    /// Learning rate.
    pub lr: f64,
    /// Modes with |k| ≤ this count as "lowest".
    pub k_low: usize,
    /// Seed.
    pub seed: u64,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            mass: 0.5,
            n_train: 8192,
            batch: 128,
            steps: 6000,
            lr: 3e-3,
            k_low: 2,
            seed: 5,
        }
    }
    /// A quick configuration for the test.
    pub fn reduced() -> Self {
        Self {
            mass: 0.5,
            n_train: 2048,
            batch: 128,
            steps: 1500,
            lr: 5e-3,
            k_low: 2,
            seed: 5,
        }
    }
}

/// Everything the example measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Loss (negative ELBO up to a constant) every 50 steps: (step, value).
    pub losses: Vec<(usize, f64)>,
    /// Encoder mean-weight power per |k| = 0..N/2 (summed over latents and ±k), normalized.
    pub power: Vec<f64>,
    /// Fraction of the power on |k| ≤ k_low.
    pub low_fraction: f64,
    /// The same fraction at initialization.
    pub low_fraction_init: f64,
    /// Exact variance per |k| of one real mode, 1/λ_k.
    pub mode_variance: Vec<f64>,
    /// Test configurations and their reconstructions (first few).
    pub examples: Vec<(Vec<f64>, Vec<f64>)>,
    /// Mean squared reconstruction error per site, on test data.
    pub test_mse: f64,
    /// Mean squared error of the best rank-4 linear reconstruction (PCA with the exact
    /// covariance): the lower bound a 4-number code can reach linearly.
    pub pca_mse: f64,
}

fn rng(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

/// Standard normal numbers (Box–Muller).
pub fn normals(seed: u64) -> impl FnMut() -> f64 {
    let mut u = rng(seed);
    move || (-2.0 * u().ln()).sqrt() * (2.0 * std::f64::consts::PI * u()).cos()
}

/// λ_k = 4 sin²(πk/N) + m².
pub fn stiffness(k: usize, m: f64) -> f64 {
    4.0 * (std::f64::consts::PI * k as f64 / N as f64).sin().powi(2) + m * m
}

/// One exact sample: φ = Σ_k ξ_k/√λ_k e_k over the real orthonormal Fourier basis
/// (e_0 = 1/√N, √(2/N) cos and sin for 0 < k < N/2, (−1)^x/√N at k = N/2), ξ_k ~ N(0, 1).
pub fn sample_field(m: f64, normal: &mut impl FnMut() -> f64) -> Vec<f64> {
    let nf = N as f64;
    let mut phi = vec![0.0; N];
    let a0 = normal() / stiffness(0, m).sqrt() / nf.sqrt();
    let an = normal() / stiffness(N / 2, m).sqrt() / nf.sqrt();
    for (x, p) in phi.iter_mut().enumerate() {
        *p = a0 + if x % 2 == 0 { an } else { -an };
    }
    for k in 1..N / 2 {
        let s = (2.0 / nf).sqrt() / stiffness(k, m).sqrt();
        let (a, b) = (normal() * s, normal() * s);
        for (x, p) in phi.iter_mut().enumerate() {
            let t = 2.0 * std::f64::consts::PI * (k * x) as f64 / nf;
            *p += a * t.cos() + b * t.sin();
        }
    }
    phi
}

/// Power per |k| = 0..N/2 of the columns of a `[N, Z]` weight matrix (row-major):
/// |Σ_x w_x e^{−2πikx/N}|², summed over columns and over ±k.
pub fn mode_power(w: &[f64], cols: usize) -> Vec<f64> {
    let nf = N as f64;
    let mut p = vec![0.0; N / 2 + 1];
    for j in 0..cols {
        for k in 0..N {
            let (mut re, mut im) = (0.0, 0.0);
            for x in 0..N {
                let t = 2.0 * std::f64::consts::PI * (k * x) as f64 / nf;
                re += w[x * cols + j] * t.cos();
                im -= w[x * cols + j] * t.sin();
            }
            p[k.min(N - k)] += re * re + im * im;
        }
    }
    p
}

fn low_fraction(p: &[f64], k_low: usize) -> f64 {
    p[..=k_low].iter().sum::<f64>() / p.iter().sum::<f64>()
}

type Xs = Tensor<(usize, Const<32>), f64, Cpu>;

fn rows(dev: &Cpu, data: &[Vec<f64>]) -> Xs {
    let flat: Vec<f64> = data.iter().flatten().copied().collect();
    dev.tensor_from_vec(flat, (data.len(), Const::<32>))
}

/// Samples the field, trains the VAE, measures the encoder's spectrum.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let mut normal = normals(cfg.seed);
    let train: Vec<Vec<f64>> = (0..cfg.n_train)
        .map(|_| sample_field(cfg.mass, &mut normal))
        .collect();
    let test: Vec<Vec<f64>> = (0..512).map(|_| sample_field(cfg.mass, &mut normal)).collect();
    let mut vae: Vae<f64, Cpu> = Vae::new(&dev, cfg.seed);
    let low_fraction_init = low_fraction(&mode_power(&vae.enc.wm.as_vec(), LATENT), cfg.k_low);
    let mut opt = Adam::new(cfg.lr);
    let mut losses = Vec::new();
    let mut order: Vec<usize> = (0..cfg.n_train).collect();
    let mut u = rng(cfg.seed + 1);
    let mut pos = cfg.n_train;
    for step in 0..cfg.steps {
        if pos + cfg.batch > cfg.n_train {
            // Reshuffle (Fisher–Yates) at each epoch.
            for i in (1..order.len()).rev() {
                let j = ((u() * (i + 1) as f64) as usize).min(i);
                order.swap(i, j);
            }
            pos = 0;
        }
        let batch: Vec<Vec<f64>> = order[pos..pos + cfg.batch]
            .iter()
            .map(|&i| train[i].clone())
            .collect();
        pos += cfg.batch;
        let x = rows(&dev, &batch);
        let eps: Vec<f64> = (0..cfg.batch * LATENT).map(|_| normal()).collect();
        let eps = dev.tensor_from_vec(eps, (cfg.batch, Const::<4>));
        let (l, g) = vae.loss_and_grad(&x, &eps)?;
        if step % 50 == 0 {
            losses.push((step, l));
        }
        opt.step(&mut vae, &g)?;
    }
    let power = {
        let p = mode_power(&vae.enc.wm.as_vec(), LATENT);
        let total: f64 = p.iter().sum();
        p.iter().map(|v| v / total).collect::<Vec<_>>()
    };
    let xt = rows(&dev, &test);
    let rec = vae.reconstruct(&xt)?.as_vec();
    let flat: Vec<f64> = test.iter().flatten().copied().collect();
    let test_mse = flat.iter().zip(&rec).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / flat.len() as f64;
    let examples = (0..3)
        .map(|i| (test[i].clone(), rec[i * N..(i + 1) * N].to_vec()))
        .collect();
    // Exact variances of the N real modes, largest first; PCA keeps the top LATENT.
    let mut variances: Vec<f64> = (0..N)
        .map(|i| {
            let k = i.div_ceil(2);
            1.0 / stiffness(k, cfg.mass)
        })
        .collect();
    variances.sort_by(|a, b| b.total_cmp(a));
    let pca_mse = variances[LATENT..].iter().sum::<f64>() / N as f64;
    Ok(Report {
        losses,
        low_fraction: low_fraction(&power, cfg.k_low),
        power,
        low_fraction_init,
        mode_variance: (0..=N / 2).map(|k| 1.0 / stiffness(k, cfg.mass)).collect(),
        examples,
        test_mse,
        pca_mse,
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let rep = run(&cfg)?;
    let dir = plot::results_dir("results", "vae_rg")?;
    println!(
        "free scalar field, N = {N}, m = {}, latent {LATENT}: loss {:.4} -> {:.4}",
        cfg.mass,
        rep.losses[0].1,
        rep.losses.last().unwrap().1
    );
    println!("{:>4} {:>12} {:>14}", "|k|", "1/λ_k", "encoder power");
    for (k, (v, p)) in rep.mode_variance.iter().zip(&rep.power).enumerate() {
        println!("{k:>4} {v:>12.4} {p:>14.6}");
    }
    println!(
        "fraction of encoder weight power on |k| ≤ {}: {:.4} (at initialization {:.4})",
        cfg.k_low, rep.low_fraction, rep.low_fraction_init
    );
    println!(
        "test reconstruction MSE per site {:.4}; rank-{LATENT} PCA bound {:.4}",
        rep.test_mse, rep.pca_mse
    );
    plot::line(
        &dir,
        "encoder_power",
        &Figure::new("encoder weight power per Fourier mode |k|")
            .labels("|k|", "fraction of power")
            .log_y(true),
        &[
            Series::new(
                "encoder power",
                rep.power
                    .iter()
                    .enumerate()
                    .map(|(k, &p)| (k as f64, p.max(1e-12)))
                    .collect(),
            ),
            Series::new("field variance 1/λ_k (normalized)", {
                let t: f64 = rep.mode_variance.iter().sum();
                rep.mode_variance
                    .iter()
                    .enumerate()
                    .map(|(k, &v)| (k as f64, v / t))
                    .collect()
            }),
        ],
    )?;
    let mut series = Vec::new();
    for (i, (x, r)) in rep.examples.iter().enumerate() {
        series.push(Series::from_ys(format!("sample {i}"), x));
        series.push(Series::from_ys(format!("reconstruction {i}"), r));
    }
    plot::line(
        &dir,
        "reconstructions",
        &Figure::new("test configurations and their reconstructions from 4 latents").labels("site x", "φ(x)"),
        &series,
    )?;
    plot::line(
        &dir,
        "loss",
        &Figure::new("VAE loss (reconstruction + KL)").labels("step", "loss"),
        &[Series::new(
            "loss",
            rep.losses.iter().map(|&(s, l)| (s as f64, l)).collect(),
        )],
    )?;
    println!("figures in {}", dir.display());
    Ok(())
}
