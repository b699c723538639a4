//! An Ising spin glass's energy is a Boltzmann machine's energy.
//!
//! Draws a Sherrington–Kirkpatrick instance (N = 10 spins, J_ij ~ N(0, 1/N), small fields h),
//! samples spin configurations from its Boltzmann distribution at T = 1 by exact enumeration of
//! the 2^N states, and fits a fully visible Boltzmann machine written in the DSL by maximum
//! likelihood. The log partition function is exact: all 2^N states go into the model as one
//! `[S, N]` input and `logsumexp` over their negative energies gives ln Z.
//!
//! `cargo run --release --example ising_boltzmann` writes `results/ising_boltzmann/`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shapegrad::optim::{Lbfgs, LbfgsConfig, ModelObjective};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

/// Number of spins (a compile-time dimension of the model).
pub const N: usize = 10;

shapegrad::model! {
    /// A fully visible Boltzmann machine over N = 10 spins s ∈ {−1, +1}^N.
    pub struct Boltzmann {
        dims { S: batch, N = 10 }
        params { w: [N, N] = zeros, b: [N] = zeros }
        /// E(s) = −½ sᵀ W s − b·s, one energy per row of `s`.
        fn energy(s: [S, N]) -> [S] {
            -0.5 * sum((s @ w) * s, axis = 1) - s @ b
        }
        /// Exact negative log-likelihood per sample: ⟨E⟩_data + ln Z. The data enter as their
        /// empirical frequencies `freq` over all 2^N `states`; ln Z is a logsumexp over the same
        /// states, so both terms are exact.
        fn nll(states: [S, N], freq: [S]) -> [] {
            sum(freq * energy(states)) + logsumexp(-energy(states))
        }
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of the SK instance.
    pub instance_seed: u64,
    /// Seed of the Boltzmann samples.
    pub sample_seed: u64,
    /// Number of samples drawn at T = 1.
    pub samples: usize,
    /// Standard deviation of the fields h_i.
    pub field_std: f64,
    /// L-BFGS iteration limit.
    pub max_iter: usize,
    /// Sample sizes of the error-versus-samples sweep.
    pub sweep: Vec<usize>,
}

impl Config {
    /// The example's configuration: 20 000 samples.
    pub fn full() -> Self {
        Self {
            instance_seed: 7,
            sample_seed: 11,
            samples: 20_000,
            field_std: 0.1,
            max_iter: 500,
            sweep: vec![500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000],
        }
    }
    /// The test's configuration: 5 000 samples.
    pub fn reduced() -> Self {
        Self {
            samples: 5_000,
            sweep: vec![500, 50_000],
            ..Self::full()
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// max over all 2^N states of |E_BM(s; W = J, b = h) − E_Ising(s)|.
    pub energy_map_max_err: f64,
    /// True couplings J_ij, i < j (row-major upper triangle).
    pub j_true: Vec<f64>,
    /// Learned couplings (W + Wᵀ)/2, i < j.
    pub j_learned: Vec<f64>,
    /// True fields and learned biases.
    pub h_true: Vec<f64>,
    /// Learned biases.
    pub h_learned: Vec<f64>,
    /// max |J_learned − J|.
    pub j_max_err: f64,
    /// RMS of J_learned − J over the N(N−1)/2 couplings.
    pub j_rms_err: f64,
    /// RMS of h_learned − h.
    pub h_rms_err: f64,
    /// NLL per sample after each L-BFGS iteration.
    pub nll_curve: Vec<f64>,
    /// NLL of the data under the true (J, h): the learned model must do at least as well.
    pub nll_true: f64,
    /// Entropy of the true distribution (the NLL an infinite sample would approach).
    pub entropy_true: f64,
    /// L-BFGS iterations and whether it converged.
    pub iterations: usize,
    /// Final ‖∇NLL‖∞.
    pub grad_norm: f64,
    /// (samples, RMS coupling error) over [`Config::sweep`].
    pub scaling: Vec<(usize, f64)>,
}

/// Standard normal by Box–Muller.
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Spin `i` of state index `k`: bit i of k, 0 → −1, 1 → +1.
fn spin(k: usize, i: usize) -> f64 {
    if (k >> i) & 1 == 1 {
        1.0
    } else {
        -1.0
    }
}

/// E(s) = −Σ_{i<j} J_ij s_i s_j − Σ_i h_i s_i, with J stored as a full symmetric matrix.
pub fn ising_energy(j: &[f64], h: &[f64], s: &[f64]) -> f64 {
    let mut e = 0.0;
    for a in 0..N {
        for c in a + 1..N {
            e -= j[a * N + c] * s[a] * s[c];
        }
        e -= h[a] * s[a];
    }
    e
}

/// Runs the experiment.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let s_count = 1usize << N;

    // --- The SK instance -----------------------------------------------------------------
    let mut rng = StdRng::seed_from_u64(cfg.instance_seed);
    let mut j = vec![0.0; N * N];
    for a in 0..N {
        for c in a + 1..N {
            let v = normal(&mut rng) / (N as f64).sqrt();
            j[a * N + c] = v;
            j[c * N + a] = v;
        }
    }
    let h: Vec<f64> = (0..N).map(|_| cfg.field_std * normal(&mut rng)).collect();

    // --- All 2^N states and their exact Boltzmann probabilities at T = 1 ----------------------
    let states: Vec<f64> = (0..s_count)
        .flat_map(|k| (0..N).map(move |i| spin(k, i)))
        .collect();
    let e_ising: Vec<f64> = states.chunks(N).map(|s| ising_energy(&j, &h, s)).collect();
    let e_min = e_ising.iter().cloned().fold(f64::INFINITY, f64::min);
    let weights: Vec<f64> = e_ising.iter().map(|e| (-(e - e_min)).exp()).collect();
    let z: f64 = weights.iter().sum();
    let p: Vec<f64> = weights.iter().map(|w| w / z).collect();
    let entropy_true = -p.iter().filter(|&&q| q > 0.0).map(|q| q * q.ln()).sum::<f64>();

    let states_t = dev.tensor_from_vec(states.clone(), (s_count, Const::<N>));

    // --- Claim 1: the energy map is exact -----------------------------------------------------
    let mut exact: Boltzmann<f64, Cpu> = Boltzmann::new(&dev, 0);
    exact.w = dev.tensor_from_vec(j.clone(), (Const::<N>, Const::<N>));
    exact.b = dev.tensor_from_vec(h.clone(), (Const::<N>,));
    let e_bm = exact.energy(&states_t)?.as_vec();
    let energy_map_max_err = e_bm
        .iter()
        .zip(&e_ising)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);

    // --- Samples, and maximum likelihood on them -------------------------------------------
    let fit = fit_samples(
        &dev,
        &exact,
        &states_t,
        &p,
        cfg.samples,
        cfg.sample_seed,
        cfg.max_iter,
    )?;
    let nll_true = fit.nll_true;
    let nll_curve = fit.nll_curve.clone();
    let model = fit.model;
    let report = fit.report;

    // --- How the coupling error shrinks with the number of samples (≈ 1/√M) ------------------
    let mut scaling = Vec::new();
    for &m in &cfg.sweep {
        let f = fit_samples(
            &dev,
            &exact,
            &states_t,
            &p,
            m,
            cfg.sample_seed + m as u64,
            cfg.max_iter,
        )?;
        scaling.push((m, coupling_errors(&f.model, &j).1));
    }

    let (j_true, j_learned) = upper_pairs(&j, &model);
    let (j_max_err, j_rms_err) = coupling_errors(&model, &j);
    let h_learned = model.b.as_vec();
    let h_rms_err = (h_learned
        .iter()
        .zip(&h)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        / N as f64)
        .sqrt();

    Ok(Report {
        energy_map_max_err,
        j_true,
        j_learned,
        h_true: h,
        h_learned,
        j_max_err,
        j_rms_err,
        h_rms_err,
        nll_curve,
        nll_true,
        entropy_true,
        iterations: report.iterations,
        grad_norm: report.grad_norm,
        scaling,
    })
}

/// A fitted machine and its training record.
struct Fit {
    model: Boltzmann<f64, Cpu>,
    nll_curve: Vec<f64>,
    nll_true: f64,
    report: shapegrad::optim::MinimizeReport,
}

/// Draws `samples` states from `p` (inverse CDF over the enumerated distribution) and fits a
/// Boltzmann machine to them by exact maximum likelihood (L-BFGS, derived gradients).
fn fit_samples(
    dev: &Cpu,
    exact: &Boltzmann<f64, Cpu>,
    states_t: &Tensor<(usize, Const<N>), f64, Cpu>,
    p: &[f64],
    samples: usize,
    seed: u64,
    max_iter: usize,
) -> shapegrad::Result<Fit> {
    let s_count = p.len();
    let mut cdf = Vec::with_capacity(s_count);
    let mut acc = 0.0;
    for q in p {
        acc += q;
        cdf.push(acc);
    }
    let mut srng = StdRng::seed_from_u64(seed);
    let mut counts = vec![0usize; s_count];
    for _ in 0..samples {
        let u: f64 = srng.gen::<f64>() * acc;
        let k = cdf.partition_point(|&c| c < u).min(s_count - 1);
        counts[k] += 1;
    }
    let freq: Vec<f64> = counts.iter().map(|&c| c as f64 / samples as f64).collect();
    let freq_t = dev.tensor_from_vec(freq, (s_count,));
    let nll_true = exact.nll(states_t, &freq_t)?;

    let mut model: Boltzmann<f64, Cpu> = Boltzmann::new(dev, 1);
    let lbfgs = Lbfgs::new(LbfgsConfig {
        max_iter,
        gtol: 1e-10,
        ..Default::default()
    });
    let mut nll_curve = Vec::new();
    let report = {
        let mut obj = ModelObjective::new(&mut model, |m: &Boltzmann<f64, Cpu>| {
            m.nll_and_grad(states_t, &freq_t)
        });
        let x0 = obj.x0();
        let r = lbfgs.minimize_with(&mut obj, &x0, |it| {
            nll_curve.push(it.f);
            true
        })?;
        obj.finish(&r.x)?;
        r
    };
    Ok(Fit {
        model,
        nll_curve,
        nll_true,
        report,
    })
}

/// The true couplings and the learned (W + Wᵀ)/2, over i < j.
fn upper_pairs(j: &[f64], model: &Boltzmann<f64, Cpu>) -> (Vec<f64>, Vec<f64>) {
    let w = model.w.as_vec();
    let mut t = Vec::new();
    let mut l = Vec::new();
    for a in 0..N {
        for c in a + 1..N {
            t.push(j[a * N + c]);
            l.push(0.5 * (w[a * N + c] + w[c * N + a]));
        }
    }
    (t, l)
}

/// (max, RMS) of learned minus true couplings.
fn coupling_errors(model: &Boltzmann<f64, Cpu>, j: &[f64]) -> (f64, f64) {
    let (t, l) = upper_pairs(j, model);
    let errs: Vec<f64> = l.iter().zip(&t).map(|(a, b)| a - b).collect();
    let max = errs.iter().map(|e| e.abs()).fold(0.0, f64::max);
    let rms = (errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64).sqrt();
    (max, rms)
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let t0 = std::time::Instant::now();
    let r = run(&cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    let out = plot::results_dir("results", "ising_boltzmann")?;

    println!(
        "Ising spin glass ↔ Boltzmann machine (SK, N = {N}, T = 1, {} samples)\n",
        cfg.samples
    );
    println!("| quantity | value |");
    println!("|---|---|");
    println!(
        "| max over 2^N states of abs(E_BM(W=J, b=h) − E_Ising) | {:.2e} |",
        r.energy_map_max_err
    );
    println!(
        "| L-BFGS iterations (final ‖∇NLL‖∞) | {} ({:.1e}) |",
        r.iterations, r.grad_norm
    );
    println!(
        "| NLL/sample: learned | {:.5} |",
        r.nll_curve.last().copied().unwrap_or(f64::NAN)
    );
    println!("| NLL/sample: true (J, h) on the same data | {:.5} |", r.nll_true);
    println!("| entropy of the true distribution | {:.5} |", r.entropy_true);
    println!("| coupling error, max | {:.4} |", r.j_max_err);
    println!("| coupling error, RMS | {:.4} |", r.j_rms_err);
    println!("| field error, RMS | {:.4} |", r.h_rms_err);
    println!("| wall time | {secs:.2} s |");
    println!("\n| samples M | RMS coupling error | × √M |");
    println!("|---|---|---|");
    for &(m, e) in &r.scaling {
        println!("| {m} | {e:.4} | {:.2} |", e * (m as f64).sqrt());
    }

    let pairs: Vec<(f64, f64)> = r
        .j_true
        .iter()
        .cloned()
        .zip(r.j_learned.iter().cloned())
        .collect();
    let fields: Vec<(f64, f64)> = r
        .h_true
        .iter()
        .cloned()
        .zip(r.h_learned.iter().cloned())
        .collect();
    let lo = r.j_true.iter().cloned().fold(f64::INFINITY, f64::min) - 0.1;
    let hi = r.j_true.iter().cloned().fold(f64::NEG_INFINITY, f64::max) + 0.1;
    plot::scatter(
        &out,
        "couplings.svg",
        &Figure::new("Learned vs true couplings").labels("true J_ij, h_i", "learned"),
        &[
            Series::new("couplings J_ij", pairs),
            Series::new("fields h_i", fields),
            Series::new(
                "y = x",
                (0..=60)
                    .map(|k| lo + (hi - lo) * k as f64 / 60.0)
                    .map(|v| (v, v))
                    .collect(),
            ),
        ],
    )?;
    let curve: Vec<f64> = r.nll_curve.iter().map(|f| f - r.nll_true).collect();
    plot::line(
        &out,
        "nll.svg",
        &Figure::new("NLL per sample minus NLL of the true model, by L-BFGS iteration")
            .labels("iteration", "NLL − NLL(J, h)"),
        &[Series::from_ys("learned − true", &curve)],
    )?;
    plot::line(
        &out,
        "error_vs_samples.svg",
        &Figure::new("RMS coupling error vs number of samples")
            .labels("log10 M", "RMS error")
            .log_y(true),
        &[
            Series::new(
                "RMS |J_learned − J|",
                r.scaling.iter().map(|&(m, e)| ((m as f64).log10(), e)).collect(),
            ),
            Series::new(
                "c/√M through the first point",
                r.scaling
                    .iter()
                    .map(|&(m, _)| {
                        let (m0, e0) = r.scaling[0];
                        ((m as f64).log10(), e0 * (m0 as f64 / m as f64).sqrt())
                    })
                    .collect(),
            ),
        ],
    )?;
    println!("\nfigures: {}", out.display());
    Ok(())
}
