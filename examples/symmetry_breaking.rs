//! Symmetry breaking: twin hidden neurons stay twins, bit for bit, until something breaks the
//! tie; a 1e-10 perturbation then grows exponentially and the twins specialise.
//!
//! A one-hidden-layer tanh network with H = 2 neurons fits y = tanh(2x₁) + tanh(2x₂) on a grid
//! of inputs that is mirror-symmetric under x₁ ↔ x₂. Both neurons start with identical
//! parameters. Gradient descent gives twins identical gradients, so they remain identical and
//! the network can only reach the best *one-neuron* fit (the symmetric solution). That solution
//! is a saddle: one neuron per input coordinate fits the target far better, and the mirror
//! symmetry of the data makes both assignments equally good. A perturbation of 1e-10 on one
//! twin's weight grows like exp(ρ t); near the symmetric solution ρ is set by the most negative
//! eigenvalue of the loss Hessian restricted to antisymmetric (twin₀ − twin₁) directions.
//!
//! `cargo run --release --example symmetry_breaking` writes `results/symmetry_breaking/`.

use shapegrad::optim::{Optimizer, Sgd};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

shapegrad::model! {
    /// y = Σₖ aₖ tanh(wₖ·x + bₖ) + c with two hidden neurons (the twins).
    pub struct Twins {
        dims { B: batch, H = 2 }
        params { w: [2, H] = normal(0.0, 0.5), b: [H] = normal(0.0, 0.5), a: [H, 1] = normal(0.0, 0.5), c: [1] = zeros }
        fn forward(x: [B, 2]) -> [B, 1] { tanh(x @ w + b) @ a + c }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(forward(x), y) }
    }
}

/// Flat parameter layout ([`to_flat`] order): w[0,0] w[0,1] w[1,0] w[1,1] b₀ b₁ a₀ a₁ c, so the
/// twin pairs (neuron 0's entry, neuron 1's entry) are:
const TWIN_PAIRS: [(usize, usize); 4] = [(0, 1), (2, 3), (4, 5), (6, 7)];
/// Number of antisymmetric directions.
const P: usize = TWIN_PAIRS.len();

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of the initial parameters (twin 0's values are copied to twin 1).
    pub seed: u64,
    /// Grid points per axis on [−2, 2]² (the grid is mirror-symmetric under x₁ ↔ x₂).
    pub points: usize,
    /// Gradient-descent learning rate.
    pub lr: f64,
    /// Gradient-descent steps of each run.
    pub steps: usize,
    /// Perturbation added to twin 0's input weight in the second run.
    pub eps: f64,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            seed: 3,
            points: 21,
            lr: 0.05,
            steps: 8_000,
            eps: 1e-10,
        }
    }
    /// The test's configuration: fewer points, same dynamics.
    pub fn reduced() -> Self {
        Self {
            points: 11,
            ..Self::full()
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Whether, at every step of the unperturbed run, twin 0's parameters equal twin 1's bit
    /// for bit.
    pub twins_bitwise_equal: bool,
    /// The largest |twin 0 − twin 1| seen in the unperturbed run (0 when bitwise equal).
    pub unperturbed_max_delta: f64,
    /// Loss per step, unperturbed (stays on the symmetric manifold).
    pub loss_symmetric: Vec<f64>,
    /// Loss per step, perturbed.
    pub loss_perturbed: Vec<f64>,
    /// max |twin 0 − twin 1| per step, perturbed.
    pub delta: Vec<f64>,
    /// Fitted growth rate of ln|Δ| per step, and the step window of the fit.
    pub growth_rate: f64,
    /// First and last step of the fitting window.
    pub fit_window: (usize, usize),
    /// Coefficient of determination of the linear fit of ln|Δ|.
    pub fit_r2: f64,
    /// Growth rate of ln|Δ| when the perturbation is applied at the symmetric solution itself
    /// (run 3), and the R² of its fit.
    pub saddle_rate: f64,
    /// R² of that fit.
    pub saddle_r2: f64,
    /// max |twin 0 − twin 1| per step of run 3.
    pub saddle_delta: Vec<f64>,
    /// Growth rate predicted at the symmetric solution: ln(1 − η μ_min), μ_min the most
    /// negative eigenvalue of the Hessian restricted to antisymmetric directions.
    pub predicted_rate: f64,
    /// μ_min.
    pub hessian_min_eig: f64,
    /// Final losses.
    pub final_loss_symmetric: f64,
    /// Final loss of the perturbed run.
    pub final_loss_perturbed: f64,
    /// Final twin parameters (w₁, w₂, b, a) of the perturbed run, twin 0 then twin 1.
    pub final_twins: [[f64; 4]; 2],
    /// The same for the unperturbed run.
    pub symmetric_twins: [[f64; 4]; 2],
}

fn twin_delta(flat: &[f64]) -> f64 {
    TWIN_PAIRS
        .iter()
        .map(|&(i, j)| (flat[i] - flat[j]).abs())
        .fold(0.0, f64::max)
}

fn twins_identical(flat: &[f64]) -> bool {
    TWIN_PAIRS
        .iter()
        .all(|&(i, j)| flat[i].to_bits() == flat[j].to_bits())
}

type X = Tensor<(usize, Const<2>), f64, Cpu>;
type Y = Tensor<(usize, Const<1>), f64, Cpu>;

/// Gradient descent for `steps` steps; returns (loss per step, Δ per step, all twins equal?).
fn descend(
    model: &mut Twins<f64, Cpu>,
    x: &X,
    y: &Y,
    lr: f64,
    steps: usize,
) -> shapegrad::Result<(Vec<f64>, Vec<f64>, bool)> {
    let mut opt = Sgd::new(lr);
    let mut losses = Vec::with_capacity(steps);
    let mut deltas = Vec::with_capacity(steps);
    let mut equal = true;
    for _ in 0..steps {
        let (l, g) = model.loss_and_grad(x, y)?;
        opt.step(model, &g)?;
        let flat = to_flat(model);
        equal &= twins_identical(&flat);
        losses.push(l);
        deltas.push(twin_delta(&flat));
    }
    Ok((losses, deltas, equal))
}

/// Eigenvalues of a symmetric P×P matrix (cyclic Jacobi).
fn sym_eigenvalues(mut a: [[f64; P]; P]) -> [f64; P] {
    for _ in 0..50 {
        for p in 0..P {
            for q in p + 1..P {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← Jᵀ A J: columns p, q, then rows p, q.
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p], a[q]);
                a[p] = std::array::from_fn(|k| c * rp[k] - s * rq[k]);
                a[q] = std::array::from_fn(|k| s * rp[k] + c * rq[k]);
            }
        }
    }
    std::array::from_fn(|i| a[i][i])
}

/// The loss Hessian restricted to the antisymmetric directions v_k = (e_{k,0} − e_{k,1})/√2,
/// by central differences of the macro-derived gradient.
fn antisymmetric_hessian(model: &Twins<f64, Cpu>, x: &X, y: &Y) -> shapegrad::Result<[[f64; P]; P]> {
    let base = to_flat(model);
    let h = 1e-5;
    let dir = |k: usize| {
        let mut v = vec![0.0; base.len()];
        let (i, j) = TWIN_PAIRS[k];
        v[i] = std::f64::consts::FRAC_1_SQRT_2;
        v[j] = -std::f64::consts::FRAC_1_SQRT_2;
        v
    };
    let mut m = model.clone();
    let mut out = [[0.0; P]; P];
    for col in 0..P {
        let v = dir(col);
        let mut g = [vec![], vec![]];
        for (s, sign) in [1.0, -1.0].iter().enumerate() {
            let p: Vec<f64> = base.iter().zip(&v).map(|(b, d)| b + sign * h * d).collect();
            set_flat(&mut m, &p)?;
            g[s] = to_flat(&m.loss_and_grad(x, y)?.1);
        }
        let hv: Vec<f64> = g[0].iter().zip(&g[1]).map(|(a, b)| (a - b) / (2.0 * h)).collect();
        for (row, o) in out.iter_mut().enumerate() {
            o[col] = dir(row).iter().zip(&hv).map(|(a, b)| a * b).sum();
        }
    }
    // Symmetrize the finite-difference estimate.
    let raw = out;
    for (r, row) in out.iter_mut().enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = 0.5 * (raw[r][c] + raw[c][r]);
        }
    }
    Ok(out)
}

/// Fits ln|Δ| over the stretch where Δ is 100× above its start and still below 1e-3 (the
/// exponential-growth regime): (rate per step, R², (first, last) step of the window).
fn growth_fit(delta: &[f64], eps: f64) -> (f64, f64, (usize, usize)) {
    let start = delta.iter().position(|&d| d > 100.0 * eps).unwrap_or(delta.len());
    let end = delta.iter().position(|&d| d > 1e-3).unwrap_or(delta.len());
    let pts: Vec<(f64, f64)> = (start..end.max(start))
        .map(|t| (t as f64, delta[t].ln()))
        .collect();
    let (rate, r2) = if pts.len() >= 2 {
        linear_fit(&pts)
    } else {
        (f64::NAN, f64::NAN)
    };
    (rate, r2, (start, end.saturating_sub(1)))
}

/// Least-squares slope and R² of y against x.
fn linear_fit(pts: &[(f64, f64)]) -> (f64, f64) {
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let syy: f64 = pts.iter().map(|p| (p.1 - my).powi(2)).sum();
    let slope = sxy / sxx;
    (slope, if syy > 0.0 { sxy * sxy / (sxx * syy) } else { 1.0 })
}

/// Runs the experiment.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    // A square grid: mirror-symmetric under x₁ ↔ x₂ (and under sign flips).
    let g = cfg.points;
    let coord = |k: usize| -2.0 + 4.0 * k as f64 / (g - 1) as f64;
    let xs: Vec<f64> = (0..g * g).flat_map(|k| [coord(k / g), coord(k % g)]).collect();
    let ys: Vec<f64> = xs
        .chunks(2)
        .map(|p| (2.0 * p[0]).tanh() + (2.0 * p[1]).tanh())
        .collect();
    let x = dev.tensor_from_vec(xs, (g * g, Const::<2>));
    let y = dev.tensor_from_vec(ys, (g * g, Const::<1>));

    // Twins: a random neuron, copied.
    let mut init: Twins<f64, Cpu> = Twins::new(&dev, cfg.seed);
    let mut flat = to_flat(&init);
    for &(i, j) in &TWIN_PAIRS {
        flat[j] = flat[i];
    }
    set_flat(&mut init, &flat)?;

    // Run 1: no perturbation. The twins must stay bitwise identical.
    let mut sym = init.clone();
    let (loss_symmetric, deltas_sym, twins_bitwise_equal) = descend(&mut sym, &x, &y, cfg.lr, cfg.steps)?;
    let unperturbed_max_delta = deltas_sym.iter().cloned().fold(0.0, f64::max);

    // The symmetric solution's antisymmetric Hessian predicts the growth rate.
    let hess = antisymmetric_hessian(&sym, &x, &y)?;
    let hessian_min_eig = sym_eigenvalues(hess).into_iter().fold(f64::INFINITY, f64::min);
    let predicted_rate = (1.0 - cfg.lr * hessian_min_eig).abs().ln();

    // Run 2: the same start, twin 0's input weight nudged by eps.
    let mut pert = init.clone();
    flat[0] += cfg.eps;
    set_flat(&mut pert, &flat)?;
    let (loss_perturbed, delta, _) = descend(&mut pert, &x, &y, cfg.lr, cfg.steps)?;

    let (growth_rate, fit_r2, fit_window) = growth_fit(&delta, cfg.eps);

    // Run 3: start *at* the symmetric solution (the end of run 1) and nudge it. Here the
    // linearisation around the saddle holds from the first step, so the rate should be
    // ln(1 − η μ) itself.
    let mut saddle = sym.clone();
    let mut sflat = to_flat(&saddle);
    sflat[0] += cfg.eps;
    set_flat(&mut saddle, &sflat)?;
    let (_, saddle_delta, _) = descend(&mut saddle, &x, &y, cfg.lr, cfg.steps)?;
    let (saddle_rate, saddle_r2, _) = growth_fit(&saddle_delta, cfg.eps);

    let f = to_flat(&pert);
    let fs = to_flat(&sym);
    let twins = |f: &[f64]| [[f[0], f[2], f[4], f[6]], [f[1], f[3], f[5], f[7]]];
    Ok(Report {
        twins_bitwise_equal,
        unperturbed_max_delta,
        final_loss_symmetric: *loss_symmetric.last().unwrap_or(&f64::NAN),
        final_loss_perturbed: *loss_perturbed.last().unwrap_or(&f64::NAN),
        loss_symmetric,
        loss_perturbed,
        delta,
        growth_rate,
        fit_window,
        saddle_rate,
        saddle_r2,
        saddle_delta,
        fit_r2,
        predicted_rate,
        hessian_min_eig,
        final_twins: twins(&f),
        symmetric_twins: twins(&fs),
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let t0 = std::time::Instant::now();
    let r = run(&cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    let out = plot::results_dir("results", "symmetry_breaking")?;

    println!(
        "Symmetry breaking: twin tanh neurons fitting y = tanh(2x₁) + tanh(2x₂) on a {0}×{0} grid, GD η = {1}, {2} steps\n",
        cfg.points, cfg.lr, cfg.steps
    );
    println!("| quantity | value |");
    println!("|---|---|");
    println!(
        "| unperturbed: twins bitwise equal at every step | {} |",
        r.twins_bitwise_equal
    );
    println!(
        "| unperturbed: max abs(twin₀ − twin₁) | {:e} |",
        r.unperturbed_max_delta
    );
    println!("| perturbation on w₀ | {:e} |", cfg.eps);
    println!(
        "| fitted growth rate of ln Δ per step (steps {}–{}, R² {:.5}) | {:.5e} |",
        r.fit_window.0, r.fit_window.1, r.fit_r2, r.growth_rate
    );
    println!(
        "| antisymmetric Hessian, lowest eigenvalue μ at the symmetric solution | {:.5e} |",
        r.hessian_min_eig
    );
    println!("| predicted rate ln(1 − η μ) | {:.5e} |", r.predicted_rate);
    println!(
        "| growth rate when perturbed at the symmetric solution (R² {:.6}) | {:.5e} |",
        r.saddle_r2, r.saddle_rate
    );
    println!(
        "| final loss, symmetric (twins) | {:.5e} |",
        r.final_loss_symmetric
    );
    println!(
        "| final loss, perturbed (specialised) | {:.5e} |",
        r.final_loss_perturbed
    );
    let show = |t: &[f64; 4]| format!("({:.3}, {:.3}, {:.3}, {:.3})", t[0], t[1], t[2], t[3]);
    println!(
        "| unperturbed twins (w₁, w₂, b, a), both | {} |",
        show(&r.symmetric_twins[0])
    );
    println!(
        "| perturbed: twin 0 / twin 1 (w₁, w₂, b, a) | {} / {} |",
        show(&r.final_twins[0]),
        show(&r.final_twins[1])
    );
    println!("| wall time | {secs:.2} s |");

    let stride = (r.delta.len() / 2000).max(1);
    let thin = |v: &[f64]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .step_by(stride)
            .map(|(t, &d)| (t as f64, d))
            .collect()
    };
    let fit_line: Vec<(f64, f64)> = if r.fit_window.1 <= r.fit_window.0 {
        vec![]
    } else {
        let (a, b) = r.fit_window;
        let d0 = r.delta[a];
        vec![
            (a as f64, d0),
            (b as f64, d0 * (r.growth_rate * (b - a) as f64).exp()),
        ]
    };
    plot::line(
        &out,
        "delta.svg",
        &Figure::new("Twin difference |Δ| = max |twin₀ − twin₁| after a 1e-10 perturbation")
            .labels("step", "|Δ|")
            .log_y(true),
        &[
            Series::new(
                "perturbed at the start",
                r.delta
                    .iter()
                    .take(4 * r.fit_window.1.max(1))
                    .enumerate()
                    .map(|(t, &d)| (t as f64, d))
                    .collect(),
            ),
            Series::new(format!("fit: exp({:.2e} · step)", r.growth_rate), fit_line),
            Series::new(
                "perturbed at the symmetric solution",
                r.saddle_delta
                    .iter()
                    .take(4 * r.fit_window.1.max(1))
                    .enumerate()
                    .map(|(t, &d)| (t as f64, d))
                    .collect(),
            ),
            Series::new(
                format!("predicted: exp({:.2e} · step)", r.predicted_rate),
                // From 1e-10 at step 0 up to Δ = 1.
                vec![(0.0, 1e-10), (1e10f64.ln() / r.predicted_rate, 1.0)],
            ),
        ],
    )?;
    plot::line(
        &out,
        "loss.svg",
        &Figure::new("Training loss").labels("step", "MSE").log_y(true),
        &[
            Series::new("twins (no perturbation)", thin(&r.loss_symmetric)),
            Series::new("perturbed by 1e-10", thin(&r.loss_perturbed)),
        ],
    )?;
    println!("\nfigures: {}", out.display());
    Ok(())
}
