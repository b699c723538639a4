//! Weight decay as temperature: a phase transition in a two-layer network.
//!
//! A two-layer linear network f(x) = Aᵀ(Wᵀx) (in code: `(x @ w) @ a`) is trained on a teacher
//! task with loss ½⟨|f(x) − y|²⟩ + ½λ(|W|² + |A|²). The origin W = A = 0 is always a critical
//! point; expanding the loss around it, the only second-order term that couples the layers is
//! −tr(W A Σ_yx) with Σ_yx = ⟨y xᵀ⟩, whose largest gain is the top singular value s₁ of Σ_yx.
//! So the trivial solution is stable exactly when λ > λ_c = s₁ (the chapter derives it). Below
//! λ_c the order parameter m = ⟨|hidden activation|⟩ rises from zero like √(λ_c − λ), and the
//! susceptibility χ = −dm/dλ peaks at λ_c. The example sweeps λ, locates the peak, compares
//! with s₁ computed from the data, and repeats the sweep with a tanh hidden layer (whose
//! linearisation at the origin is the same, so its transition is at the same λ_c).
//!
//! `cargo run --release --example phase_transition` writes `results/phase_transition/`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shapegrad::optim::{Optimizer, Sgd};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

/// Input, hidden and output widths.
pub const DI: usize = 8;
/// Hidden width.
pub const K: usize = 8;
/// Output width.
pub const M: usize = 4;

shapegrad::model! {
    /// Two-layer linear network with L2 penalty λ on both layers.
    pub struct LinearNet {
        dims { B: batch, I = 8, K = 8, M = 4 }
        params { w: [I, K] = normal(0.0, 0.3), a: [K, M] = normal(0.0, 0.3) }
        fn hidden(x: [B, I]) -> [B, K] { x @ w }
        fn loss(x: [B, I], y: [B, M], lam: []) -> [] {
            0.5 * mean(sum(square(hidden(x) @ a - y), axis = 1)) + 0.5 * lam * (sum(square(w)) + sum(square(a)))
        }
    }

    /// The same with a tanh hidden layer.
    pub struct TanhNet {
        dims { B: batch, I = 8, K = 8, M = 4 }
        params { w: [I, K] = normal(0.0, 0.3), a: [K, M] = normal(0.0, 0.3) }
        fn hidden(x: [B, I]) -> [B, K] { tanh(x @ w) }
        fn loss(x: [B, I], y: [B, M], lam: []) -> [] {
            0.5 * mean(sum(square(hidden(x) @ a - y), axis = 1)) + 0.5 * lam * (sum(square(w)) + sum(square(a)))
        }
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of teacher, data and initial weights.
    pub seed: u64,
    /// Training samples.
    pub samples: usize,
    /// Teacher singular values (M of them).
    pub teacher: [f64; M],
    /// Label noise standard deviation.
    pub noise: f64,
    /// Coarse sweep: λ from `lam_range.0` to `lam_range.1`, `lam_count` values.
    pub lam_range: (f64, f64),
    /// Number of λ values of the coarse sweep.
    pub lam_count: usize,
    /// Number of λ values of the fine sweep around the coarse peak (±3 coarse spacings).
    pub fine_count: usize,
    /// Gradient-descent steps per λ.
    pub steps: usize,
    /// Learning rate.
    pub lr: f64,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            seed: 5,
            samples: 512,
            teacher: [2.0, 1.0, 0.6, 0.3],
            noise: 0.1,
            lam_range: (0.05, 3.0),
            lam_count: 60,
            fine_count: 20,
            steps: 3000,
            lr: 0.2,
        }
    }
    /// The test's configuration: fewer samples, λ values and steps.
    pub fn reduced() -> Self {
        Self {
            samples: 128,
            lam_count: 40,
            fine_count: 10,
            steps: 1200,
            lr: 0.25,
            ..Self::full()
        }
    }
}

/// One sweep of λ.
#[derive(Debug, Clone, Default)]
pub struct Sweep {
    /// (λ, m) pairs, ascending λ.
    pub m: Vec<(f64, f64)>,
    /// (midpoint λ, χ = −Δm/Δλ).
    pub chi: Vec<(f64, f64)>,
    /// λ at the peak of χ.
    pub peak: f64,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// λ_c = top singular value of Σ_yx, from the data.
    pub lambda_c: f64,
    /// Linear network, coarse sweep.
    pub linear: Sweep,
    /// Linear network, fine sweep around the coarse peak.
    pub linear_fine: Sweep,
    /// Tanh network, coarse sweep.
    pub tanh: Sweep,
    /// Tanh network, fine sweep.
    pub tanh_fine: Sweep,
    /// Relative error of the linear network's fine peak against λ_c.
    pub linear_rel_err: f64,
    /// Relative error of the tanh network's fine peak against λ_c.
    pub tanh_rel_err: f64,
    /// Mean-field check: fitted exponent β of m ∝ (λ_c − λ)^β just below λ_c (linear network).
    pub beta: f64,
}

fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A random orthonormal `n × n` matrix (Gram–Schmidt of Gaussians), row-major.
fn orthonormal(n: usize, rng: &mut StdRng) -> Vec<f64> {
    let mut q: Vec<Vec<f64>> = Vec::new();
    while q.len() < n {
        let mut v: Vec<f64> = (0..n).map(|_| normal(rng)).collect();
        for u in &q {
            let d: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-8 {
            q.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    q.concat()
}

/// Top singular value of a row-major `rows × cols` matrix (power iteration on C Cᵀ).
pub fn top_singular_value(c: &[f64], rows: usize, cols: usize) -> f64 {
    let mut u = vec![1.0; rows];
    let mut s = 0.0;
    for _ in 0..1000 {
        // v = Cᵀ u, u' = C v
        let v: Vec<f64> = (0..cols)
            .map(|j| (0..rows).map(|i| c[i * cols + j] * u[i]).sum())
            .collect();
        let nu: Vec<f64> = (0..rows)
            .map(|i| (0..cols).map(|j| c[i * cols + j] * v[j]).sum())
            .collect();
        let norm = nu.iter().map(|a| a * a).sum::<f64>().sqrt();
        u = nu.into_iter().map(|a| a / norm).collect();
        s = norm.sqrt();
    }
    s
}

type Xt = Tensor<(usize, Const<DI>), f64, Cpu>;
type Yt = Tensor<(usize, Const<M>), f64, Cpu>;

/// Which network a sweep trains.
#[derive(Debug, Clone, Copy)]
enum Net {
    Linear,
    Tanh,
}

/// Trains one network at one λ from the seeded initialisation; returns m = ⟨|h|⟩.
fn order_parameter(net: Net, x: &Xt, y: &Yt, lam: f64, cfg: &Config) -> shapegrad::Result<f64> {
    let dev = Cpu::default();
    let lam_t = dev.tensor(lam);
    let mut opt = Sgd::new(cfg.lr);
    let h = match net {
        Net::Linear => {
            let mut model: LinearNet<f64, Cpu> = LinearNet::new(&dev, cfg.seed);
            for _ in 0..cfg.steps {
                let (_, g) = model.loss_and_grad(x, y, &lam_t)?;
                opt.step(&mut model, &g)?;
            }
            model.hidden(x)?.as_vec()
        }
        Net::Tanh => {
            let mut model: TanhNet<f64, Cpu> = TanhNet::new(&dev, cfg.seed);
            for _ in 0..cfg.steps {
                let (_, g) = model.loss_and_grad(x, y, &lam_t)?;
                opt.step(&mut model, &g)?;
            }
            model.hidden(x)?.as_vec()
        }
    };
    Ok(h.iter().map(|v| v.abs()).sum::<f64>() / h.len() as f64)
}

/// Sweeps λ over `lams` on two threads (each λ is an independent training run).
fn sweep(net: Net, xs: &[f64], ys: &[f64], lams: &[f64], cfg: &Config) -> shapegrad::Result<Sweep> {
    let n = cfg.samples;
    let results: Vec<shapegrad::Result<(f64, f64)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                s.spawn(move || {
                    let dev = Cpu::default();
                    let x: Xt = dev.tensor_from_vec(xs.to_vec(), (n, Const));
                    let y: Yt = dev.tensor_from_vec(ys.to_vec(), (n, Const));
                    lams.iter()
                        .enumerate()
                        .filter(|(i, _)| i % 2 == t)
                        .map(|(_, &l)| order_parameter(net, &x, &y, l, cfg).map(|m| (l, m)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("sweep thread panicked"))
            .collect()
    });
    let mut m = results.into_iter().collect::<shapegrad::Result<Vec<_>>>()?;
    m.sort_by(|a, b| a.0.total_cmp(&b.0));
    let chi: Vec<(f64, f64)> = m
        .windows(2)
        .map(|w| (0.5 * (w[0].0 + w[1].0), -(w[1].1 - w[0].1) / (w[1].0 - w[0].0)))
        .collect();
    let peak = chi
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(f64::NAN, |p| p.0);
    Ok(Sweep { m, chi, peak })
}

fn grid(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// Runs the experiment.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    // Teacher T = U diag(s) Vᵀ (M × DI), inputs x ~ N(0, I_D), labels y = T x + noise.
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let u = orthonormal(M, &mut rng);
    let v = orthonormal(DI, &mut rng);
    let mut t = vec![0.0; M * DI];
    for r in 0..M {
        for c in 0..DI {
            t[r * DI + c] = (0..M)
                .map(|k| u[r * M + k] * cfg.teacher[k] * v[k * DI + c])
                .sum();
        }
    }
    let n = cfg.samples;
    let xs: Vec<f64> = (0..n * DI).map(|_| normal(&mut rng)).collect();
    let mut ys = vec![0.0; n * M];
    for i in 0..n {
        for r in 0..M {
            ys[i * M + r] =
                (0..DI).map(|c| t[r * DI + c] * xs[i * DI + c]).sum::<f64>() + cfg.noise * normal(&mut rng);
        }
    }
    // Σ_yx = (1/n) Σ_i y_i x_iᵀ, and λ_c = its top singular value.
    let mut syx = vec![0.0; M * DI];
    for i in 0..n {
        for r in 0..M {
            for c in 0..DI {
                syx[r * DI + c] += ys[i * M + r] * xs[i * DI + c] / n as f64;
            }
        }
    }
    let lambda_c = top_singular_value(&syx, M, DI);

    let coarse = grid(cfg.lam_range.0, cfg.lam_range.1, cfg.lam_count);
    let spacing = coarse[1] - coarse[0];
    let fine_around = |peak: f64| grid(peak - 3.0 * spacing, peak + 3.0 * spacing, cfg.fine_count);

    let linear = sweep(Net::Linear, &xs, &ys, &coarse, cfg)?;
    let linear_fine = sweep(Net::Linear, &xs, &ys, &fine_around(linear.peak), cfg)?;
    let tanh = sweep(Net::Tanh, &xs, &ys, &coarse, cfg)?;
    let tanh_fine = sweep(Net::Tanh, &xs, &ys, &fine_around(tanh.peak), cfg)?;

    // Mean-field exponent: slope of ln m against ln(λ_c − λ) over 0.05 < (λ_c − λ)/λ_c < 0.3.
    let pts: Vec<(f64, f64)> = linear
        .m
        .iter()
        .filter(|(l, m)| {
            let d = (lambda_c - l) / lambda_c;
            d > 0.05 && d < 0.3 && *m > 0.0
        })
        .map(|&(l, m)| ((lambda_c - l).ln(), m.ln()))
        .collect();
    let beta = if pts.len() >= 2 {
        let k = pts.len() as f64;
        let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
        let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
        pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
            / pts.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>()
    } else {
        f64::NAN
    };

    Ok(Report {
        lambda_c,
        linear_rel_err: (linear_fine.peak - lambda_c).abs() / lambda_c,
        tanh_rel_err: (tanh_fine.peak - lambda_c).abs() / lambda_c,
        linear,
        linear_fine,
        tanh,
        tanh_fine,
        beta,
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let t0 = std::time::Instant::now();
    let r = run(&cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    let out = plot::results_dir("results", "phase_transition")?;

    println!(
        "Phase transition in weight decay: {} samples, input {DI}, hidden {K}, output {M}, teacher singular values {:?}\n",
        cfg.samples, cfg.teacher
    );
    println!("| quantity | value |");
    println!("|---|---|");
    println!(
        "| λ_c = top singular value of Σ_yx (analytic, from the data) | {:.4} |",
        r.lambda_c
    );
    println!(
        "| linear: χ peak, coarse sweep ({} λ) | {:.4} |",
        cfg.lam_count, r.linear.peak
    );
    println!(
        "| linear: χ peak, fine sweep ({} λ) | {:.4} ({:.2}% from λ_c) |",
        cfg.fine_count,
        r.linear_fine.peak,
        100.0 * r.linear_rel_err
    );
    println!("| tanh: χ peak, coarse sweep | {:.4} |", r.tanh.peak);
    println!(
        "| tanh: χ peak, fine sweep | {:.4} ({:.2}% from λ_c) |",
        r.tanh_fine.peak,
        100.0 * r.tanh_rel_err
    );
    println!(
        "| linear: exponent β of m ∝ (λ_c − λ)^β (mean field: 1/2) | {:.3} |",
        r.beta
    );
    let at = |s: &Sweep, l: f64| {
        s.m.iter()
            .min_by(|a, b| (a.0 - l).abs().total_cmp(&(b.0 - l).abs()))
            .map_or(f64::NAN, |p| p.1)
    };
    println!(
        "| m at λ ≈ λ_c/2: linear / tanh | {:.4} / {:.4} |",
        at(&r.linear, r.lambda_c / 2.0),
        at(&r.tanh, r.lambda_c / 2.0)
    );
    println!(
        "| m at λ ≈ 1.2 λ_c: linear / tanh | {:.2e} / {:.2e} |",
        at(&r.linear, 1.2 * r.lambda_c),
        at(&r.tanh, 1.2 * r.lambda_c)
    );
    println!("| wall time | {secs:.1} s |");

    let vline = |s: &[(f64, f64)]| {
        let top = s.iter().map(|p| p.1).fold(0.0, f64::max);
        Series::new(
            format!("λ_c = {:.3}", r.lambda_c),
            vec![(r.lambda_c, 0.0), (r.lambda_c, top)],
        )
    };
    let both = |a: &Sweep, b: &Sweep| {
        let mut v = a.m.clone();
        v.extend_from_slice(&b.m);
        v.sort_by(|p, q| p.0.total_cmp(&q.0));
        v
    };
    let both_chi = |a: &Sweep, b: &Sweep| {
        let mut v = a.chi.clone();
        v.extend_from_slice(&b.chi);
        v.sort_by(|p, q| p.0.total_cmp(&q.0));
        v
    };
    let ml = both(&r.linear, &r.linear_fine);
    let mt = both(&r.tanh, &r.tanh_fine);
    plot::line(
        &out,
        "order_parameter.svg",
        &Figure::new("Order parameter m = ⟨|hidden|⟩ vs weight decay λ").labels("λ", "m"),
        &[
            Series::new("linear network", ml.clone()),
            Series::new("tanh network", mt.clone()),
            vline(&ml),
        ],
    )?;
    let cl = both_chi(&r.linear, &r.linear_fine);
    let ct = both_chi(&r.tanh, &r.tanh_fine);
    plot::line(
        &out,
        "susceptibility.svg",
        &Figure::new("Susceptibility χ = −dm/dλ").labels("λ", "χ"),
        &[
            Series::new("linear network", cl.clone()),
            Series::new("tanh network", ct),
            vline(&cl),
        ],
    )?;
    println!("\nfigures: {}", out.display());
    Ok(())
}
