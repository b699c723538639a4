//! An adversarial attack as work done in a force field.
//!
//! A classifier's loss L(x) is a scalar potential over input space and the input gradient
//! ∇ₓL (the macro's `…_and_grad_inputs`) is the force the attacker follows. A projected-gradient
//! (PGD) attack walks x₀ → x_K; the work W = ∫ ∇ₓL · dx along the path must equal
//! L(x_K) − L(x₀), whatever the path, because ∇ₓL is a gradient field (conservative). We measure
//! W by the trapezoid rule along the PGD path (each straight PGD segment subdivided) and along
//! the straight line between the same endpoints, compare both with the loss difference, and
//! report the attack success rate as a function of the budget ε (ℓ∞ ball).
//!
//! `cargo run --release --example adversarial_work` prints the tables and writes SVG figures
//! under `results/adversarial_work/`.

use shapegrad::data::uniform_stream as rng;
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::plot::{self, Figure, Grid, Series};
use shapegrad::prelude::*;

shapegrad::model! {
    /// 2 → H → H → 2 tanh classifier of the two-moons data.
    pub struct Classifier {
        dims { B: batch, H = 32, C = 2 }
        params {
            w1: [2, H] = glorot, b1: [H] = zeros,
            w2: [H, H] = glorot, b2: [H] = zeros,
            w3: [H, C] = glorot, b3: [C] = zeros
        }
        fn logits(x: [B, 2]) -> [B, C] {
            let h = tanh(x @ w1 + b1);
            tanh(h @ w2 + b2) @ w3 + b3
        }
        /// Mean cross-entropy: the training loss, and (with B = 1) the attacker's potential.
        fn loss(x: [B, 2], y: [B, C]) -> [] { cross_entropy(logits(x), y) }
        /// Per-example cross-entropy, for the loss-landscape slice.
        fn per_example(x: [B, 2], y: [B, C]) -> [B] { -sum(y * log_softmax(logits(x)), axis = 1) }
    }
}

type X = Tensor<(usize, Const<2>), f64, Cpu>;
type Y = Tensor<(usize, Const<2>), f64, Cpu>;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Training points.
    pub n_train: usize,
    /// Test points.
    pub n_test: usize,
    /// Full-batch Adam steps.
    pub train_steps: usize,
    /// PGD steps.
    pub pgd_steps: usize,
    /// Trapezoid sub-steps per PGD segment.
    pub substeps: usize,
    /// Trapezoid steps along the straight path.
    pub straight_steps: usize,
    /// Test points whose work is measured.
    pub work_points: usize,
    /// Attack budgets (ℓ∞ radius).
    pub epsilons: Vec<f64>,
    /// Seed.
    pub seed: u64,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            n_train: 512,
            n_test: 512,
            train_steps: 1500,
            pgd_steps: 20,
            substeps: 64,
            straight_steps: 1000,
            work_points: 20,
            epsilons: vec![0.0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7],
            seed: 3,
        }
    }
    /// A quick configuration for the test.
    pub fn reduced() -> Self {
        Self {
            n_train: 256,
            n_test: 200,
            train_steps: 600,
            pgd_steps: 10,
            substeps: 48,
            straight_steps: 600,
            work_points: 5,
            epsilons: vec![0.0, 0.05, 0.15, 0.3, 0.6],
            seed: 3,
        }
    }
}

/// The work measured along one attack.
#[derive(Debug, Clone)]
pub struct WorkCheck {
    /// L(x₀).
    pub l0: f64,
    /// L(x_K).
    pub lk: f64,
    /// Work along the PGD path.
    pub w_attack: f64,
    /// Work along the straight path x₀ → x_K.
    pub w_straight: f64,
    /// |W_attack − ΔL| / |ΔL|.
    pub rel_attack: f64,
    /// |W_straight − ΔL| / |ΔL|.
    pub rel_straight: f64,
}

/// Everything the example measured.
#[derive(Clone)]
pub struct Report {
    /// Cross-entropy before and after training.
    pub train_loss: (f64, f64),
    /// Clean test accuracy.
    pub clean_accuracy: f64,
    /// (ε, attack success rate on correctly classified test points, adversarial accuracy).
    pub success: Vec<(f64, f64, f64)>,
    /// One entry per attacked point.
    pub work: Vec<WorkCheck>,
    /// The PGD path of the first work point (for the figure), and its label.
    pub example_path: (Vec<[f64; 2]>, usize),
    /// The trained classifier.
    pub model: Classifier<f64, Cpu>,
}

/// Two interleaved half-moons with Gaussian-ish noise (σ ≈ 0.1), labels one-hot.
pub fn moons(n: usize, seed: u64) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let mut u = rng(seed);
    let mut noise = move || 0.1 * ((u() + u() + u() + u()) - 2.0) * 3f64.sqrt();
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        let t = std::f64::consts::PI * (i / 2) as f64 / (n / 2).max(1) as f64;
        if i % 2 == 0 {
            xs.push([t.cos() + noise(), t.sin() + noise()]);
            ys.push([1.0, 0.0]);
        } else {
            xs.push([1.0 - t.cos() + noise(), 0.5 - t.sin() + noise()]);
            ys.push([0.0, 1.0]);
        }
    }
    (xs, ys)
}

fn one(dev: &Cpu, x: [f64; 2], y: [f64; 2]) -> (X, Y) {
    (
        dev.tensor_from_vec(x.to_vec(), (1usize, Const::<2>)),
        dev.tensor_from_vec(y.to_vec(), (1usize, Const::<2>)),
    )
}

/// L(x) and ∇ₓL(x) for one example, from the derived input gradients.
fn loss_and_force(
    m: &Classifier<f64, Cpu>,
    dev: &Cpu,
    x: [f64; 2],
    y: [f64; 2],
) -> shapegrad::Result<(f64, [f64; 2])> {
    let (xt, yt) = one(dev, x, y);
    let (l, _, (gx, _)) = m.loss_and_grad_inputs(&xt, &yt)?;
    let g = gx.as_vec();
    Ok((l, [g[0], g[1]]))
}

/// PGD in the ℓ∞ ball: x ← clip(x + α sign ∇ₓL, x₀ ± ε), for a batch; returns all iterates.
fn pgd_batch(
    m: &Classifier<f64, Cpu>,
    dev: &Cpu,
    xs: &[[f64; 2]],
    ys: &[[f64; 2]],
    eps: f64,
    steps: usize,
) -> shapegrad::Result<Vec<Vec<[f64; 2]>>> {
    let alpha = 2.5 * eps / steps.max(1) as f64;
    let yt = shapegrad::data::tensor_from_rows(dev, ys);
    let mut x = xs.to_vec();
    let mut path = vec![x.clone()];
    for _ in 0..steps {
        let xt = shapegrad::data::tensor_from_rows(dev, &x);
        // The batch mean's input gradient is the per-example gradient / B: same sign.
        let (_, _, (gx, _)) = m.loss_and_grad_inputs(&xt, &yt)?;
        let g = gx.as_vec();
        for (i, xi) in x.iter_mut().enumerate() {
            for d in 0..2 {
                let s = g[2 * i + d];
                let step = if s > 0.0 {
                    alpha
                } else if s < 0.0 {
                    -alpha
                } else {
                    0.0
                };
                xi[d] = (xi[d] + step).clamp(xs[i][d] - eps, xs[i][d] + eps);
            }
        }
        path.push(x.clone());
    }
    Ok(path)
}

/// Trapezoid-rule work Σ ½(F(a) + F(b))·(b − a) along the polyline `pts`, each segment
/// subdivided into `sub` equal steps.
fn work_along(
    m: &Classifier<f64, Cpu>,
    dev: &Cpu,
    pts: &[[f64; 2]],
    y: [f64; 2],
    sub: usize,
) -> shapegrad::Result<f64> {
    let mut w = 0.0;
    let (_, mut f_prev) = loss_and_force(m, dev, pts[0], y)?;
    for seg in pts.windows(2) {
        let (a, b) = (seg[0], seg[1]);
        let mut prev = a;
        for s in 1..=sub {
            let t = s as f64 / sub as f64;
            let p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
            let (_, f) = loss_and_force(m, dev, p, y)?;
            w += 0.5 * ((f_prev[0] + f[0]) * (p[0] - prev[0]) + (f_prev[1] + f[1]) * (p[1] - prev[1]));
            f_prev = f;
            prev = p;
        }
    }
    Ok(w)
}

fn predict(m: &Classifier<f64, Cpu>, dev: &Cpu, xs: &[[f64; 2]]) -> shapegrad::Result<Vec<usize>> {
    let z = m.logits(&shapegrad::data::tensor_from_rows(dev, xs))?.as_vec();
    Ok((0..xs.len())
        .map(|i| usize::from(z[2 * i + 1] > z[2 * i]))
        .collect())
}

fn label(y: &[f64; 2]) -> usize {
    usize::from(y[1] > y[0])
}

/// Trains the classifier, attacks it, and measures the work.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let (xtr, ytr) = moons(cfg.n_train, cfg.seed);
    let (xte, yte) = moons(cfg.n_test, cfg.seed + 100);
    let (xt, yt) = (
        shapegrad::data::tensor_from_rows(&dev, &xtr),
        shapegrad::data::tensor_from_rows(&dev, &ytr),
    );
    let mut model: Classifier<f64, Cpu> = Classifier::new(&dev, cfg.seed);
    let mut opt = Adam::new(0.01);
    let first = model.loss(&xt, &yt)?;
    for _ in 0..cfg.train_steps {
        let (_, g) = model.loss_and_grad(&xt, &yt)?;
        opt.step(&mut model, &g)?;
    }
    let last = model.loss(&xt, &yt)?;
    let pred = predict(&model, &dev, &xte)?;
    let correct: Vec<usize> = (0..xte.len()).filter(|&i| pred[i] == label(&yte[i])).collect();
    let clean_accuracy = correct.len() as f64 / xte.len() as f64;

    // Success rate vs ε, over the correctly classified test points.
    let xc: Vec<[f64; 2]> = correct.iter().map(|&i| xte[i]).collect();
    let yc: Vec<[f64; 2]> = correct.iter().map(|&i| yte[i]).collect();
    let mut success = Vec::new();
    for &eps in &cfg.epsilons {
        let path = pgd_batch(&model, &dev, &xc, &yc, eps, cfg.pgd_steps)?;
        let adv = predict(&model, &dev, path.last().unwrap())?;
        let flipped = adv.iter().zip(&yc).filter(|(p, y)| **p != label(y)).count();
        let rate = flipped as f64 / xc.len().max(1) as f64;
        let adv_acc = (correct.len() - flipped) as f64 / xte.len() as f64;
        success.push((eps, rate, adv_acc));
    }

    // Work along single-example attacks (ε = 0.3) from the first few correct points.
    let eps = 0.3;
    let mut work = Vec::new();
    let mut example_path = (Vec::new(), 0);
    for (k, (&x0, &y)) in xc.iter().zip(&yc).take(cfg.work_points).enumerate() {
        let path: Vec<[f64; 2]> = pgd_batch(&model, &dev, &[x0], &[y], eps, cfg.pgd_steps)?
            .into_iter()
            .map(|v| v[0])
            .collect();
        let xk = *path.last().unwrap();
        let (l0, _) = loss_and_force(&model, &dev, x0, y)?;
        let (lk, _) = loss_and_force(&model, &dev, xk, y)?;
        let w_attack = work_along(&model, &dev, &path, y, cfg.substeps)?;
        let w_straight = work_along(&model, &dev, &[x0, xk], y, cfg.straight_steps)?;
        let dl = lk - l0;
        work.push(WorkCheck {
            l0,
            lk,
            w_attack,
            w_straight,
            rel_attack: (w_attack - dl).abs() / dl.abs(),
            rel_straight: (w_straight - dl).abs() / dl.abs(),
        });
        if k == 0 {
            example_path = (path, label(&y));
        }
    }
    Ok(Report {
        train_loss: (first, last),
        clean_accuracy,
        success,
        work,
        example_path,
        model,
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let rep = run(&cfg)?;
    let dir = plot::results_dir("results", "adversarial_work")?;
    println!(
        "training cross-entropy {:.4} -> {:.4}; clean test accuracy {:.1}%",
        rep.train_loss.0,
        rep.train_loss.1,
        100.0 * rep.clean_accuracy
    );
    println!(
        "\nPGD ({} steps, ℓ∞ ball): success rate on correctly classified test points",
        cfg.pgd_steps
    );
    println!("{:>6} {:>10} {:>14}", "ε", "success", "adv. accuracy");
    for (eps, rate, acc) in &rep.success {
        println!("{eps:>6.3} {:>9.1}% {:>13.1}%", 100.0 * rate, 100.0 * acc);
    }
    println!("\nwork along the attack (ε = 0.3) vs the loss difference");
    println!(
        "{:>3} {:>10} {:>10} {:>12} {:>12} {:>12} {:>11} {:>11}",
        "#", "L(x0)", "L(xK)", "ΔL", "W attack", "W straight", "rel attack", "rel straight"
    );
    for (i, w) in rep.work.iter().enumerate() {
        println!(
            "{i:>3} {:>10.5} {:>10.5} {:>12.7} {:>12.7} {:>12.7} {:>11.2e} {:>11.2e}",
            w.l0,
            w.lk,
            w.lk - w.l0,
            w.w_attack,
            w.w_straight,
            w.rel_attack,
            w.rel_straight
        );
    }
    let worst_a = rep.work.iter().map(|w| w.rel_attack).fold(0.0, f64::max);
    let worst_s = rep.work.iter().map(|w| w.rel_straight).fold(0.0, f64::max);
    println!("worst relative mismatch: attack path {worst_a:.2e}, straight path {worst_s:.2e}");

    plot::line(
        &dir,
        "success_vs_eps",
        &Figure::new("PGD attack success rate vs budget ε").labels("ε (ℓ∞)", "success rate"),
        &[Series::new(
            "success",
            rep.success.iter().map(|s| (s.0, s.1)).collect(),
        )],
    )?;
    // The loss landscape of the first attacked point's label over the input plane, with the
    // attack path drawn as grey (non-finite) cells.
    let dev = Cpu::default();
    let (path, lab) = &rep.example_path;
    let c = path[0];
    let (n, half) = (120usize, 0.6);
    let mut pts = Vec::with_capacity(n * n);
    for r in 0..n {
        for col in 0..n {
            pts.push([
                c[0] - half + 2.0 * half * (col as f64 + 0.5) / n as f64,
                c[1] - half + 2.0 * half * (r as f64 + 0.5) / n as f64,
            ]);
        }
    }
    let y: Vec<[f64; 2]> = vec![if *lab == 0 { [1.0, 0.0] } else { [0.0, 1.0] }; pts.len()];
    let mut values = rep
        .model
        .per_example(
            &shapegrad::data::tensor_from_rows(&dev, &pts),
            &shapegrad::data::tensor_from_rows(&dev, &y),
        )?
        .as_vec();
    for a in path.windows(2) {
        for s in 0..=20 {
            let t = s as f64 / 20.0;
            let p = [
                a[0][0] + t * (a[1][0] - a[0][0]),
                a[0][1] + t * (a[1][1] - a[0][1]),
            ];
            let col = ((p[0] - c[0] + half) / (2.0 * half) * n as f64).floor();
            let r = ((p[1] - c[1] + half) / (2.0 * half) * n as f64).floor();
            if (0.0..n as f64).contains(&col) && (0.0..n as f64).contains(&r) {
                values[r as usize * n + col as usize] = f64::NAN;
            }
        }
    }
    plot::heatmap(
        &dir,
        "loss_slice",
        &Figure::new("cross-entropy over the input plane; PGD path in grey")
            .labels("x₀", "x₁")
            .size(700, 600),
        &Grid::new(n, n, values).extent((c[0] - half, c[0] + half), (c[1] - half, c[1] + half)),
    )?;
    plot::line(
        &dir,
        "path_loss",
        &Figure::new("loss along the attack path vs accumulated work").labels("PGD step", "value"),
        &[
            Series::from_ys(
                "L(x_k) − L(x₀)",
                &path
                    .iter()
                    .map(|&p| {
                        let y = if *lab == 0 { [1.0, 0.0] } else { [0.0, 1.0] };
                        loss_and_force(&rep.model, &dev, p, y).map(|v| v.0 - rep.work[0].l0)
                    })
                    .collect::<shapegrad::Result<Vec<f64>>>()?,
            ),
            Series::from_ys(
                "work W(x₀→x_k)",
                &(0..path.len())
                    .map(|k| {
                        let y = if *lab == 0 { [1.0, 0.0] } else { [0.0, 1.0] };
                        work_along(&rep.model, &dev, &path[..=k], y, cfg.substeps)
                    })
                    .collect::<shapegrad::Result<Vec<f64>>>()?,
            ),
        ],
    )?;
    println!("figures in {}", dir.display());
    Ok(())
}
