//! Newton vs L-BFGS vs Adam vs SGD: what curvature buys, and what it costs.
//!
//! Two problems, both written in the DSL: the Rosenbrock valley (P = 2) and a small tanh
//! regression network. Newton's method gets the *exact* Hessian from the macro's compile-time
//! Hessian-vector products (`loss_hvp`, P of them make the dense matrix, see
//! [`shapegrad::hessian::dense_hessian`]); L-BFGS, Adam and SGD use only the derived gradient.
//! We count iterations and wall time to a loss tolerance, measure Newton's convergence order
//! near the optimum (the error squares each step), then sweep the parameter count P of the
//! network and fit how time and memory per iteration grow: Newton builds a P×P Hessian (memory
//! ∝ P², P HVPs ∝ P² at a fixed batch) and factors it (∝ P³); L-BFGS keeps 2m vectors (∝ P).
//! Memory is *measured*: a counting global allocator records the peak bytes in use.
//!
//! `cargo run --release --example optimizers` prints the tables and writes SVG figures under
//! `results/optimizers/`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use shapegrad::data::uniform_stream as rng;
use shapegrad::hessian::dense_hessian;
use shapegrad::optim::{
    cholesky_solve, Adam, Lbfgs, LbfgsConfig, ModelObjective, Newton, NewtonConfig, Objective, Optimizer,
    SecondOrderObjective, Sgd,
};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

// ---------------------------------------------------------------------------------------------
// A counting allocator: bytes in use now and the peak since the last reset.

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; we only count bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its value and the peak number of bytes it held above what was in use
/// when it started.
fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

// ---------------------------------------------------------------------------------------------
// The models.

shapegrad::model! {
    /// Rosenbrock's valley: p = (x, y), f = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1).
    pub struct Rosenbrock {
        params { p: [2] = constant(-1.2) }
        fn loss() -> [] {
            let x = select(p, axis = 0, 0);
            let y = select(p, axis = 0, 1);
            square(1.0 - x) + 100.0 * square(y - square(x))
        }
    }

    /// 2 → H → 1 tanh regression with a little weight decay on every parameter, so the Hessian
    /// at a minimum is positive definite (P = 4H + 1).
    pub struct Net4 {
        dims { B: batch, H = 4 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
    /// The same network with H = 8.
    pub struct Net8 {
        dims { B: batch, H = 8 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
    /// H = 16.
    pub struct Net16 {
        dims { B: batch, H = 16 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
    /// H = 32.
    pub struct Net32 {
        dims { B: batch, H = 32 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
    /// H = 64.
    pub struct Net64 {
        dims { B: batch, H = 64 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
    /// H = 128.
    pub struct Net128 {
        dims { B: batch, H = 128 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
    /// H = 256.
    pub struct Net256 {
        dims { B: batch, H = 256 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(tanh(x @ w1 + b1) @ w2 + b2, y)
                + 0.001 * (sum(square(w1)) + sum(square(b1)) + sum(square(w2)) + sum(square(b2)))
        }
    }
}

type X = Tensor<(usize, Const<2>), f64, Cpu>;
type Y = Tensor<(usize, Const<1>), f64, Cpu>;

// ---------------------------------------------------------------------------------------------
// Configuration and results.

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Training points of the regression task.
    pub batch: usize,
    /// Hidden width of the network used in the head-to-head comparison.
    pub compare_hidden: usize,
    /// Loss tolerance on Rosenbrock: stop counting when `f − f* ≤ tol`.
    pub rosen_tol: f64,
    /// Loss tolerance on the network, relative: `f − f* ≤ tol · f*`.
    pub net_rel_tol: f64,
    /// Iteration cap of Adam and SGD.
    pub first_order_iters: usize,
    /// Hidden widths of the P sweep.
    pub sweep_hidden: Vec<usize>,
    /// `Some(k)`: in the sweep, stop both methods after `k` iterations (per-iteration costs
    /// only); `None`: run both to convergence and compare time to tolerance.
    pub sweep_iters: Option<usize>,
    /// Repetitions of each timed kernel (the median is kept).
    pub reps: usize,
    /// Seed of data and initialization.
    pub seed: u64,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            batch: 32,
            compare_hidden: 8,
            rosen_tol: 1e-10,
            net_rel_tol: 1e-6,
            first_order_iters: 50_000,
            sweep_hidden: vec![4, 8, 16, 32, 64, 128, 256],
            sweep_iters: None,
            reps: 5,
            seed: 7,
        }
    }
    /// A quick configuration for the test.
    pub fn reduced() -> Self {
        Self {
            batch: 32,
            compare_hidden: 8,
            rosen_tol: 1e-10,
            net_rel_tol: 1e-6,
            first_order_iters: 3_000,
            sweep_hidden: vec![16, 32, 64, 128],
            sweep_iters: Some(3),
            reps: 1,
            seed: 7,
        }
    }
}

/// One optimizer on one problem.
#[derive(Debug, Clone)]
pub struct Run {
    /// "Newton", "L-BFGS", "Adam", "SGD".
    pub method: String,
    /// Loss after each iteration (index 0 = start).
    pub losses: Vec<f64>,
    /// Iterations to the tolerance, if reached.
    pub iters_to_tol: Option<usize>,
    /// Wall time (s) to the tolerance, if reached.
    pub secs_to_tol: Option<f64>,
    /// Final loss.
    pub final_loss: f64,
}

/// One problem: the optimizers side by side.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// "Rosenbrock" or "network (P = …)".
    pub problem: String,
    /// Number of parameters.
    pub p: usize,
    /// The reference minimum `f*` (Newton's converged value).
    pub f_star: f64,
    /// Absolute loss tolerance used.
    pub tol: f64,
    /// Newton, L-BFGS, Adam, SGD.
    pub runs: Vec<Run>,
    /// ‖x_k − x*‖ of undamped Newton steps started at the first iterate of the damped run with
    /// ‖∇f‖₂ < 0.1 from which they converge (x* = the last iterate, converged to round-off).
    pub newton_errors: Vec<f64>,
    /// Fitted convergence order q of e_{k+1} ≈ C e_k^q over the last three of those steps.
    pub order: f64,
}

/// One P of the sweep.
#[derive(Debug, Clone)]
pub struct SweepPoint {
    /// Number of parameters.
    pub p: usize,
    /// Median time (s) of one dense Hessian (P HVPs).
    pub hessian_s: f64,
    /// Median time (s) of one Cholesky solve of the P×P system.
    pub cholesky_s: f64,
    /// Median time (s) of one loss-and-gradient evaluation.
    pub grad_s: f64,
    /// Newton: wall time per iteration (s).
    pub newton_iter_s: f64,
    /// L-BFGS: wall time per iteration (s).
    pub lbfgs_iter_s: f64,
    /// Newton: peak extra bytes over the run.
    pub newton_bytes: usize,
    /// L-BFGS: peak extra bytes over the run.
    pub lbfgs_bytes: usize,
    /// Newton: iterations and total wall time of the run.
    pub newton_iters: usize,
    /// Newton: total seconds.
    pub newton_total_s: f64,
    /// L-BFGS: iterations.
    pub lbfgs_iters: usize,
    /// L-BFGS: total seconds.
    pub lbfgs_total_s: f64,
    /// Final losses (Newton, L-BFGS).
    pub final_losses: (f64, f64),
}

/// Fitted exponents of cost ∝ P^α over the upper half of the sweep.
#[derive(Debug, Clone, Copy)]
pub struct Exponents {
    /// Dense Hessian time.
    pub hessian_time: f64,
    /// Cholesky time.
    pub cholesky_time: f64,
    /// Newton time per iteration.
    pub newton_time: f64,
    /// L-BFGS time per iteration.
    pub lbfgs_time: f64,
    /// Newton peak memory.
    pub newton_memory: f64,
    /// L-BFGS peak memory.
    pub lbfgs_memory: f64,
}

/// Everything the example measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Rosenbrock, then the network.
    pub comparisons: Vec<Comparison>,
    /// The P sweep.
    pub sweep: Vec<SweepPoint>,
    /// Fitted exponents.
    pub exponents: Exponents,
    /// Smallest P at which Newton's time to convergence exceeded L-BFGS's (full sweep only).
    pub crossover_p: Option<usize>,
}

// ---------------------------------------------------------------------------------------------
// Data.

/// `y = sin(2 x₀) cos(x₁)` at `n` uniform points of [−1.5, 1.5]².
pub fn regression_data(dev: &Cpu, n: usize, seed: u64) -> (X, Y) {
    let mut u = rng(seed);
    let xs: Vec<[f64; 2]> = (0..n).map(|_| [3.0 * u() - 1.5, 3.0 * u() - 1.5]).collect();
    let ys: Vec<[f64; 1]> = xs.iter().map(|p| [(2.0 * p[0]).sin() * p[1].cos()]).collect();
    (
        shapegrad::data::tensor_from_rows(dev, &xs),
        shapegrad::data::tensor_from_rows(dev, &ys),
    )
}

// ---------------------------------------------------------------------------------------------
// An objective wrapper that records Newton's iterates: Newton asks for the Hessian once per
// iteration, at the accepted point, right after evaluating f and ∇f there.

struct Traced<O> {
    inner: O,
    last: (f64, f64),
    start: Instant,
    /// (x, f, ‖∇f‖₂, seconds since start) at each Hessian request.
    trace: Vec<(Vec<f64>, f64, f64, f64)>,
}

impl<O: Objective> Objective for Traced<O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value_grad(&mut self, x: &[f64]) -> shapegrad::Result<(f64, Vec<f64>)> {
        let (f, g) = self.inner.value_grad(x)?;
        self.last = (f, g.iter().map(|v| v * v).sum::<f64>().sqrt());
        Ok((f, g))
    }
}

impl<O: SecondOrderObjective> SecondOrderObjective for Traced<O> {
    fn hessian(&mut self, x: &[f64]) -> shapegrad::Result<Vec<f64>> {
        let t = self.start.elapsed().as_secs_f64();
        self.trace.push((x.to_vec(), self.last.0, self.last.1, t));
        self.inner.hessian(x)
    }
}

/// Converts a loss trace with timestamps into a [`Run`].
fn finish_run(method: &str, losses: Vec<f64>, times: Vec<f64>, target: f64) -> Run {
    let hit = losses.iter().position(|&l| l <= target);
    Run {
        method: method.into(),
        final_loss: *losses.last().unwrap_or(&f64::NAN),
        iters_to_tol: hit,
        secs_to_tol: hit.map(|k| times[k]),
        losses,
    }
}

/// The asymptotic convergence order: the least-squares slope of ln e_{k+1} against ln e_k
/// (e_{k+1} ≈ C e_k^q) over the last three steps. The final error sits at round-off (the true
/// one can only be smaller), so this slope is, if anything, an underestimate.
fn order(errors: &[f64]) -> f64 {
    let kept: Vec<f64> = errors.iter().copied().take_while(|&e| e > 0.0).collect();
    let pairs: Vec<(f64, f64)> = kept.windows(2).map(|w| (w[0], w[1])).collect();
    if pairs.len() < 2 {
        return f64::NAN;
    }
    loglog_slope(&pairs[pairs.len().saturating_sub(3)..])
}

/// Undamped Newton steps x ← x − H⁻¹∇f from `x_start` (exact Hessian from the HVPs), until the
/// step stops shrinking; returns the errors ‖x_k − x*‖ with x* the final iterate.
fn pure_newton<M, LG, HV>(model: &M, x_start: &[f64], lg: &LG, hvp: &HV) -> shapegrad::Result<Vec<f64>>
where
    M: Model<f64, Cpu>,
    LG: Fn(&M) -> shapegrad::Result<(f64, M::Grads)>,
    HV: Fn(&M, &M::Grads) -> shapegrad::Result<M::Grads>,
{
    let mut m = model.clone();
    let p = x_start.len();
    let mut xs = vec![x_start.to_vec()];
    for _ in 0..12 {
        let x = xs.last().unwrap().clone();
        set_flat(&mut m, &x)?;
        let g = to_flat(&lg(&m)?.1);
        let mut h = dense_hessian(&m, hvp)?;
        let Some(d) = cholesky_solve(&mut h, p, &g) else {
            break;
        };
        let dn = d.iter().map(|v| v * v).sum::<f64>().sqrt();
        xs.push(x.iter().zip(&d).map(|(a, b)| a - b).collect());
        if dn < 1e-12 * x.iter().map(|v| v * v).sum::<f64>().sqrt().max(1.0) {
            break;
        }
    }
    let star = xs.last().unwrap().clone();
    Ok(xs[..xs.len() - 1]
        .iter()
        .map(|x| {
            x.iter()
                .zip(&star)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect())
}

/// Newton (exact HVP Hessian) and L-BFGS, Adam, SGD on one model.
#[allow(clippy::too_many_arguments)]
fn compare<M, LG, HV>(
    problem: &str,
    model: &M,
    lg: LG,
    hvp: HV,
    tol_of: impl Fn(f64) -> f64,
    adam_lr: f64,
    sgd_lr: f64,
    cfg: &Config,
) -> shapegrad::Result<Comparison>
where
    M: Model<f64, Cpu>,
    LG: Fn(&M) -> shapegrad::Result<(f64, M::Grads)>,
    HV: Fn(&M, &M::Grads) -> shapegrad::Result<M::Grads>,
{
    let p = num_params(model);
    // Newton, with its iterates recorded.
    let mut m = model.clone();
    let newton = Newton::new(NewtonConfig {
        gtol: 1e-11,
        max_iter: 200,
        ..NewtonConfig::default()
    });
    let obj = ModelObjective::new(&mut m, &lg).with_hessian(|mm: &M| dense_hessian(mm, &hvp));
    let x0 = obj.x0();
    let mut traced = Traced {
        inner: obj,
        last: (f64::NAN, f64::NAN),
        start: Instant::now(),
        trace: Vec::new(),
    };
    let nr = newton.minimize(&mut traced, &x0)?;
    let total = traced.start.elapsed().as_secs_f64();
    let f_star = nr.f;
    let tol = tol_of(f_star);
    let target = f_star + tol;
    let mut n_losses: Vec<f64> = traced.trace.iter().map(|t| t.1).collect();
    let mut n_times: Vec<f64> = traced.trace.iter().map(|t| t.3).collect();
    n_losses.push(nr.f);
    n_times.push(total);
    // Undamped Newton from the first damped iterate with ‖∇f‖ < 0.1 whose Hessian is positive
    // definite all the way in (otherwise from the next one).
    let mut newton_errors = Vec::new();
    for t in traced.trace.iter().filter(|t| t.2 < 1e-1) {
        let e = pure_newton(model, &t.0, &lg, &hvp)?;
        if e.len() >= 4 && e.windows(2).rev().take(3).all(|w| w[1] < w[0]) {
            newton_errors = e;
            break;
        }
    }
    let order = order(&newton_errors);
    let mut runs = vec![finish_run("Newton", n_losses, n_times, target)];

    // L-BFGS.
    let mut m = model.clone();
    let mut obj = ModelObjective::new(&mut m, &lg);
    let x0 = obj.x0();
    let (mut losses, mut times) = (Vec::new(), Vec::new());
    let start = Instant::now();
    Lbfgs::new(LbfgsConfig {
        gtol: 1e-11,
        max_iter: 20_000,
        ..LbfgsConfig::default()
    })
    .minimize_with(&mut obj, &x0, |it| {
        losses.push(it.f);
        times.push(start.elapsed().as_secs_f64());
        it.f > target
    })?;
    runs.push(finish_run("L-BFGS", losses, times, target));

    // Adam and SGD, full batch, stopped at the target or the cap.
    for (name, lr) in [("Adam", adam_lr), ("SGD", sgd_lr)] {
        let mut m = model.clone();
        let mut adam = Adam::new(lr);
        let mut sgd = Sgd::new(lr).momentum(0.9);
        let (mut losses, mut times) = (Vec::new(), Vec::new());
        let start = Instant::now();
        for k in 0..=cfg.first_order_iters {
            let (l, g) = lg(&m)?;
            losses.push(l);
            times.push(start.elapsed().as_secs_f64());
            if l <= target || !l.is_finite() || k == cfg.first_order_iters {
                break;
            }
            if name == "Adam" {
                adam.step(&mut m, &g)?;
            } else {
                sgd.step(&mut m, &g)?;
            }
        }
        runs.push(finish_run(name, losses, times, target));
    }
    Ok(Comparison {
        problem: problem.into(),
        p,
        f_star,
        tol,
        runs,
        newton_errors,
        order,
    })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Times the kernels and both full-batch methods on one network size.
fn sweep_point<M, LG, HV>(model: &M, lg: LG, hvp: HV, cfg: &Config) -> shapegrad::Result<SweepPoint>
where
    M: Model<f64, Cpu>,
    LG: Fn(&M) -> shapegrad::Result<(f64, M::Grads)>,
    HV: Fn(&M, &M::Grads) -> shapegrad::Result<M::Grads>,
{
    let p = num_params(model);
    let reps = cfg.reps.max(1);
    let mut hess = Vec::new();
    let mut th = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        hess = dense_hessian(model, &hvp)?;
        th.push(t.elapsed().as_secs_f64());
    }
    // Shift to positive definite (Gershgorin) so the factorization runs to the end.
    let shift = (0..p)
        .map(|i| (0..p).map(|j| hess[i * p + j].abs()).sum::<f64>())
        .fold(0.0, f64::max)
        + 1.0;
    let b: Vec<f64> = (0..p).map(|i| (i as f64).sin()).collect();
    let mut tc = Vec::new();
    for _ in 0..reps {
        let mut a = hess.clone();
        for i in 0..p {
            a[i * p + i] += shift;
        }
        let t = Instant::now();
        let d = cholesky_solve(&mut a, p, &b);
        tc.push(t.elapsed().as_secs_f64());
        assert!(d.is_some(), "shifted Hessian is positive definite");
    }
    let mut tg = Vec::new();
    for _ in 0..reps.max(5) {
        let t = Instant::now();
        lg(model)?;
        tg.push(t.elapsed().as_secs_f64());
    }

    let gtol = 1e-9;
    let newton = Newton::new(NewtonConfig {
        gtol,
        max_iter: cfg.sweep_iters.unwrap_or(200),
        ..NewtonConfig::default()
    });
    let lbfgs = Lbfgs::new(LbfgsConfig {
        gtol,
        max_iter: cfg.sweep_iters.map_or(50_000, |k| 10 * k),
        ..LbfgsConfig::default()
    });
    let mut mn = model.clone();
    let ((nr, n_s), newton_bytes) = peak_bytes(|| {
        let t = Instant::now();
        let r = newton.minimize_model(&mut mn, &lg, |mm: &M| dense_hessian(mm, &hvp));
        (r, t.elapsed().as_secs_f64())
    });
    let nr = nr?;
    let mut ml = model.clone();
    let ((lr, l_s), lbfgs_bytes) = peak_bytes(|| {
        let t = Instant::now();
        let r = lbfgs.minimize_model(&mut ml, &lg);
        (r, t.elapsed().as_secs_f64())
    });
    let lr = lr?;
    Ok(SweepPoint {
        p,
        hessian_s: median(th),
        cholesky_s: median(tc),
        grad_s: median(tg),
        newton_iter_s: n_s / nr.iterations.max(1) as f64,
        lbfgs_iter_s: l_s / lr.iterations.max(1) as f64,
        newton_bytes,
        lbfgs_bytes,
        newton_iters: nr.iterations,
        newton_total_s: n_s,
        lbfgs_iters: lr.iterations,
        lbfgs_total_s: l_s,
        final_losses: (nr.f, lr.f),
    })
}

/// Least-squares slope of ln y against ln x.
pub fn loglog_slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(x, y)| (x.ln(), y.ln())).unzip();
    let mx = lx.iter().sum::<f64>() / n;
    let my = ly.iter().sum::<f64>() / n;
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = lx.iter().map(|x| (x - mx) * (x - mx)).sum();
    sxy / sxx
}

macro_rules! net_point {
    ($ty:ident, $dev:expr, $x:expr, $y:expr, $cfg:expr) => {{
        let m: $ty<f64, Cpu> = $ty::new($dev, $cfg.seed);
        sweep_point(
            &m,
            |m: &$ty<f64, Cpu>| m.loss_and_grad($x, $y),
            |m: &$ty<f64, Cpu>, v| Ok(m.loss_hvp($x, $y, v)?.2),
            $cfg,
        )
    }};
}

macro_rules! net_compare {
    ($ty:ident, $dev:expr, $x:expr, $y:expr, $cfg:expr) => {{
        let m: $ty<f64, Cpu> = $ty::new($dev, $cfg.seed);
        let p = num_params(&m);
        compare(
            &format!("network (P = {p})"),
            &m,
            |m: &$ty<f64, Cpu>| m.loss_and_grad($x, $y),
            |m: &$ty<f64, Cpu>, v| Ok(m.loss_hvp($x, $y, v)?.2),
            |f_star| $cfg.net_rel_tol * f_star,
            0.01,
            0.05,
            $cfg,
        )
    }};
}

/// Runs the comparison and the sweep.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let (x, y) = regression_data(&dev, cfg.batch, cfg.seed);
    let (x, y) = (&x, &y);

    let mut rosen: Rosenbrock<f64, Cpu> = Rosenbrock::new(&dev, 0);
    set_flat(&mut rosen, &[-1.2, 1.0])?;
    let mut comparisons = vec![compare(
        "Rosenbrock",
        &rosen,
        |m: &Rosenbrock<f64, Cpu>| m.loss_and_grad(),
        |m: &Rosenbrock<f64, Cpu>, v| Ok(m.loss_hvp(v)?.2),
        |_| cfg.rosen_tol,
        0.02,
        0.0002,
        cfg,
    )?];
    comparisons.push(match cfg.compare_hidden {
        4 => net_compare!(Net4, &dev, x, y, cfg)?,
        8 => net_compare!(Net8, &dev, x, y, cfg)?,
        16 => net_compare!(Net16, &dev, x, y, cfg)?,
        h => {
            return Err(shapegrad::Error::Other(format!(
                "no comparison network with H = {h}"
            )))
        }
    });

    let mut sweep = Vec::new();
    for &h in &cfg.sweep_hidden {
        let pt = match h {
            4 => net_point!(Net4, &dev, x, y, cfg)?,
            8 => net_point!(Net8, &dev, x, y, cfg)?,
            16 => net_point!(Net16, &dev, x, y, cfg)?,
            32 => net_point!(Net32, &dev, x, y, cfg)?,
            64 => net_point!(Net64, &dev, x, y, cfg)?,
            128 => net_point!(Net128, &dev, x, y, cfg)?,
            256 => net_point!(Net256, &dev, x, y, cfg)?,
            h => return Err(shapegrad::Error::Other(format!("no sweep network with H = {h}"))),
        };
        sweep.push(pt);
    }
    // Fit over the upper half of the sweep (at least three points), where the leading term
    // dominates fixed per-call overheads.
    let upper = &sweep[sweep.len().saturating_sub((sweep.len() / 2 + 1).max(3))..];
    let fit = |f: &dyn Fn(&SweepPoint) -> f64| {
        loglog_slope(&upper.iter().map(|s| (s.p as f64, f(s))).collect::<Vec<_>>())
    };
    let exponents = Exponents {
        hessian_time: fit(&|s| s.hessian_s),
        cholesky_time: fit(&|s| s.cholesky_s),
        newton_time: fit(&|s| s.newton_iter_s),
        lbfgs_time: fit(&|s| s.lbfgs_iter_s),
        newton_memory: fit(&|s| s.newton_bytes as f64),
        lbfgs_memory: fit(&|s| s.lbfgs_bytes as f64),
    };
    let crossover_p = if cfg.sweep_iters.is_none() {
        sweep
            .iter()
            .find(|s| s.newton_total_s > s.lbfgs_total_s)
            .map(|s| s.p)
    } else {
        None
    };
    Ok(Report {
        comparisons,
        sweep,
        exponents,
        crossover_p,
    })
}

fn opt_fmt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("—".into(), |v| v.to_string())
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let rep = run(&cfg)?;
    let dir = plot::results_dir("results", "optimizers")?;
    for c in &rep.comparisons {
        println!(
            "\n{} (P = {}): f* = {:.6e}, tolerance f − f* ≤ {:.1e}",
            c.problem, c.p, c.f_star, c.tol
        );
        println!(
            "{:>8} {:>12} {:>12} {:>12} {:>14}",
            "method", "iters→tol", "time→tol ms", "iters run", "final f − f*"
        );
        for r in &c.runs {
            println!(
                "{:>8} {:>12} {:>12} {:>12} {:>14.3e}",
                r.method,
                opt_fmt(r.iters_to_tol),
                r.secs_to_tol.map_or("—".into(), |s| format!("{:.2}", 1e3 * s)),
                r.losses.len() - 1,
                r.final_loss - c.f_star
            );
        }
        println!(
            "undamped Newton near the optimum, ‖x − x*‖: {:?}",
            c.newton_errors
        );
        println!("fitted convergence order q (e_{{k+1}} ≈ C e_k^q): {:.3}", c.order);
        let series: Vec<Series> = c
            .runs
            .iter()
            .map(|r| {
                Series::new(
                    &r.method,
                    r.losses
                        .iter()
                        .enumerate()
                        .map(|(k, l)| ((k as f64 + 1.0).log10(), (l - c.f_star).max(1e-16)))
                        .collect(),
                )
            })
            .collect();
        let file = if c.problem == "Rosenbrock" {
            "rosenbrock_loss"
        } else {
            "network_loss"
        };
        plot::line(
            &dir,
            file,
            &Figure::new(format!("{}: f − f* vs iteration", c.problem))
                .labels("log10(iteration + 1)", "f − f*")
                .log_y(true),
            &series,
        )?;
    }
    println!("\nP sweep (2 → H → 1 tanh network, batch {}):", cfg.batch);
    println!(
        "{:>6} {:>11} {:>11} {:>10} {:>13} {:>13} {:>12} {:>12} {:>9} {:>11} {:>9} {:>11}",
        "P",
        "hess ms",
        "chol ms",
        "grad µs",
        "Newton ms/it",
        "L-BFGS µs/it",
        "Newton KiB",
        "L-BFGS KiB",
        "N iters",
        "N total s",
        "L iters",
        "L total s"
    );
    for s in &rep.sweep {
        println!(
            "{:>6} {:>11.3} {:>11.3} {:>10.1} {:>13.3} {:>13.1} {:>12.1} {:>12.1} {:>9} {:>11.3} {:>9} {:>11.3}",
            s.p,
            1e3 * s.hessian_s,
            1e3 * s.cholesky_s,
            1e6 * s.grad_s,
            1e3 * s.newton_iter_s,
            1e6 * s.lbfgs_iter_s,
            s.newton_bytes as f64 / 1024.0,
            s.lbfgs_bytes as f64 / 1024.0,
            s.newton_iters,
            s.newton_total_s,
            s.lbfgs_iters,
            s.lbfgs_total_s
        );
    }
    let e = rep.exponents;
    println!(
        "fitted exponents (cost ∝ P^α, upper half of the sweep): Hessian build {:.2}, Cholesky {:.2}, \
         Newton/iter {:.2}, L-BFGS/iter {:.2}; memory: Newton {:.2}, L-BFGS {:.2}",
        e.hessian_time, e.cholesky_time, e.newton_time, e.lbfgs_time, e.newton_memory, e.lbfgs_memory
    );
    println!(
        "Newton stops paying (time to convergence > L-BFGS's) at P = {}",
        opt_fmt(rep.crossover_p)
    );
    let pts = |f: &dyn Fn(&SweepPoint) -> f64| -> Vec<(f64, f64)> {
        rep.sweep.iter().map(|s| ((s.p as f64).log10(), f(s))).collect()
    };
    plot::line(
        &dir,
        "cost_vs_p",
        &Figure::new("time per iteration vs P (log-log)")
            .labels("log10 P", "seconds")
            .log_y(true),
        &[
            Series::new("Newton iteration", pts(&|s| s.newton_iter_s)),
            Series::new("dense Hessian (P HVPs)", pts(&|s| s.hessian_s)),
            Series::new("Cholesky solve", pts(&|s| s.cholesky_s)),
            Series::new("L-BFGS iteration", pts(&|s| s.lbfgs_iter_s)),
        ],
    )?;
    plot::line(
        &dir,
        "memory_vs_p",
        &Figure::new("peak extra memory vs P (log-log)")
            .labels("log10 P", "bytes")
            .log_y(true),
        &[
            Series::new("Newton", pts(&|s| s.newton_bytes as f64)),
            Series::new("L-BFGS", pts(&|s| s.lbfgs_bytes as f64)),
        ],
    )?;
    plot::line(
        &dir,
        "time_to_converge_vs_p",
        &Figure::new("time to convergence (‖∇f‖∞ ≤ 1e-9) vs P")
            .labels("log10 P", "seconds")
            .log_y(true),
        &[
            Series::new("Newton", pts(&|s| s.newton_total_s)),
            Series::new("L-BFGS", pts(&|s| s.lbfgs_total_s)),
        ],
    )?;
    println!("figures in {}", dir.display());
    Ok(())
}
