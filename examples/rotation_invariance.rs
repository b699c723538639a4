//! Knowledge built into the architecture: a rotation-invariant model generalises to angles it
//! never saw; a plain MLP does not.
//!
//! The target depends only on r = √(x² + y²): f(r) = cos(2.5 r)·exp(−r/2) on the disc r < 2.5.
//! Both models train only on points with polar angle in [0, π/2) (one quadrant) and are tested
//! on the other three quadrants. The radial model computes r inside the DSL, so its output is
//! invariant under every rotation by construction; the plain MLP sees (x, y) and has to guess.
//!
//! `cargo run --release --example rotation_invariance` writes `results/rotation_invariance/`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shapegrad::optim::Adam;
use shapegrad::plot::{self, Figure, Grid, Series};
use shapegrad::prelude::*;
use shapegrad::train::{TrainConfig, Trainer};
use shapegrad::{data, Model};

shapegrad::model! {
    /// A plain tanh MLP on the Cartesian coordinates (x, y).
    pub struct PlainMlp {
        dims { B: batch, H = 32 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, H] = glorot, b2: [H] = zeros, w3: [H, 1] = glorot, b3: [1] = zeros }
        fn forward(p: [B, 2]) -> [B, 1] {
            let h = tanh(p @ w1 + b1);
            let h = tanh(h @ w2 + b2);
            h @ w3 + b3
        }
        fn loss(p: [B, 2], y: [B, 1]) -> [] { mse(forward(p), y) }
    }

    /// The same MLP, fed r = |p| computed inside the model: rotation-invariant by construction.
    pub struct RadialNet {
        dims { B: batch, H = 32 }
        params { w1: [1, H] = glorot, b1: [H] = zeros, w2: [H, H] = glorot, b2: [H] = zeros, w3: [H, 1] = glorot, b3: [1] = zeros }
        fn forward(p: [B, 2]) -> [B, 1] {
            let r = sqrt(sum(square(p), axis = 1, keepdim));
            let h = tanh(r @ w1 + b1);
            let h = tanh(h @ w2 + b2);
            h @ w3 + b3
        }
        fn loss(p: [B, 2], y: [B, 1]) -> [] { mse(forward(p), y) }
    }
}

/// Radius of the disc.
pub const R_MAX: f64 = 2.5;

/// The target, a function of the radius only.
pub fn target(r: f64) -> f64 {
    (2.5 * r).cos() * (-r / 2.0).exp()
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of data, initialisation and shuffles.
    pub seed: u64,
    /// Training points (first quadrant).
    pub train: usize,
    /// Test points (other three quadrants).
    pub test: usize,
    /// Epochs of Adam.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Resolution of the prediction maps (per axis).
    pub map: usize,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            seed: 1,
            train: 4000,
            test: 4000,
            epochs: 150,
            batch: 64,
            lr: 3e-3,
            map: 61,
        }
    }
    /// The test's configuration.
    pub fn reduced() -> Self {
        Self {
            train: 1000,
            test: 1000,
            epochs: 60,
            map: 3,
            ..Self::full()
        }
    }
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Training MSE (final epoch) of the plain MLP and the radial model.
    pub train_mse: (f64, f64),
    /// MSE on the unseen quadrants.
    pub test_mse: (f64, f64),
    /// max |f(Rp) − f(p)| over test points and random rotations.
    pub rotation_change: (f64, f64),
    /// Target variance on the test set (the MSE of predicting the mean).
    pub test_var: f64,
    /// Prediction maps over [−R, R]² (row-major, `map × map`): target, plain, radial.
    pub maps: [Vec<f64>; 3],
    /// Loss per epoch: plain, radial.
    pub curves: (Vec<f64>, Vec<f64>),
}

/// Uniform points on the disc with polar angle in [lo, hi).
fn points(n: usize, lo: f64, hi: f64, rng: &mut StdRng) -> Vec<[f64; 2]> {
    (0..n)
        .map(|_| {
            let r = R_MAX * rng.gen::<f64>().sqrt();
            let t = rng.gen_range(lo..hi);
            [r * t.cos(), r * t.sin()]
        })
        .collect()
}

fn labels(p: &[[f64; 2]]) -> Vec<[f64; 1]> {
    p.iter()
        .map(|q| [target((q[0] * q[0] + q[1] * q[1]).sqrt())])
        .collect()
}

/// Trains `model` with Adam on (xs, ys); returns the loss per epoch.
fn train<M: Model<f64, Cpu>>(
    model: &mut M,
    xs: &[[f64; 2]],
    ys: &[[f64; 1]],
    cfg: &Config,
    loss_and_grad: impl Fn(
        &M,
        &Tensor<(usize, Const<2>), f64, Cpu>,
        &Tensor<(usize, Const<1>), f64, Cpu>,
    ) -> shapegrad::Result<(f64, M::Grads)>,
) -> shapegrad::Result<Vec<f64>> {
    let dev = Cpu::default();
    let idx: Vec<usize> = (0..xs.len()).collect();
    let mut opt = Adam::new(cfg.lr);
    let report = Trainer::new(TrainConfig {
        epochs: cfg.epochs,
        batch_size: cfg.batch,
        seed: cfg.seed,
        quiet: true,
        ..Default::default()
    })
    .schedule(shapegrad::optim::Cosine::new(
        cfg.lr,
        cfg.lr / 30.0,
        (cfg.epochs * xs.len().div_ceil(cfg.batch)) as u64,
    ))
    .fit(model, &mut opt, &idx, |m, b| {
        let x = data::batch_from_rows(&dev, xs, b)?;
        let y = data::batch_from_rows(&dev, ys, b)?;
        loss_and_grad(m, &x, &y)
    })?;
    Ok(report.history.iter().map(|e| e.train_loss).collect())
}

/// Runs the experiment.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let half_pi = std::f64::consts::FRAC_PI_2;
    let two_pi = 2.0 * std::f64::consts::PI;
    let xs = points(cfg.train, 0.0, half_pi, &mut rng);
    let ys = labels(&xs);
    let xt = points(cfg.test, half_pi, two_pi, &mut rng);
    let yt = labels(&xt);

    let mut plain: PlainMlp<f64, Cpu> = PlainMlp::new(&dev, cfg.seed);
    let mut radial: RadialNet<f64, Cpu> = RadialNet::new(&dev, cfg.seed);
    let c_plain = train(&mut plain, &xs, &ys, cfg, |m, x, y| m.loss_and_grad(x, y))?;
    let c_radial = train(&mut radial, &xs, &ys, cfg, |m, x, y| m.loss_and_grad(x, y))?;

    let all_x = data::tensor_from_rows(&dev, &xs);
    let all_y = data::tensor_from_rows(&dev, &ys);
    let test_x = data::tensor_from_rows(&dev, &xt);
    let test_y = data::tensor_from_rows(&dev, &yt);
    let train_mse = (plain.loss(&all_x, &all_y)?, radial.loss(&all_x, &all_y)?);
    let test_mse = (plain.loss(&test_x, &test_y)?, radial.loss(&test_x, &test_y)?);
    let mean = yt.iter().map(|v| v[0]).sum::<f64>() / yt.len() as f64;
    let test_var = yt.iter().map(|v| (v[0] - mean).powi(2)).sum::<f64>() / yt.len() as f64;

    // Invariance: rotate every test point by a random angle and compare outputs.
    let mut rotation_change = (0.0f64, 0.0f64);
    let base = (
        plain.forward(&test_x)?.as_vec(),
        radial.forward(&test_x)?.as_vec(),
    );
    for _ in 0..8 {
        let phi: f64 = rng.gen_range(0.0..two_pi);
        let (s, c) = phi.sin_cos();
        let rotated: Vec<[f64; 2]> = xt
            .iter()
            .map(|p| [c * p[0] - s * p[1], s * p[0] + c * p[1]])
            .collect();
        let rx = data::tensor_from_rows(&dev, &rotated);
        let (fp, fr) = (plain.forward(&rx)?.as_vec(), radial.forward(&rx)?.as_vec());
        let change = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| (u - v).abs()).fold(0.0, f64::max);
        rotation_change.0 = rotation_change.0.max(change(&fp, &base.0));
        rotation_change.1 = rotation_change.1.max(change(&fr, &base.1));
    }

    // Prediction maps over the square [−R, R]² (outside the disc too).
    let g = cfg.map;
    let coord = |k: usize| -R_MAX + 2.0 * R_MAX * k as f64 / (g - 1).max(1) as f64;
    let grid_pts: Vec<[f64; 2]> = (0..g * g).map(|k| [coord(k % g), coord(k / g)]).collect();
    let gx = data::tensor_from_rows(&dev, &grid_pts);
    let maps = [
        grid_pts
            .iter()
            .map(|p| target((p[0] * p[0] + p[1] * p[1]).sqrt()))
            .collect(),
        plain.forward(&gx)?.as_vec(),
        radial.forward(&gx)?.as_vec(),
    ];

    Ok(Report {
        train_mse,
        test_mse,
        rotation_change,
        test_var,
        maps,
        curves: (c_plain, c_radial),
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let t0 = std::time::Instant::now();
    let r = run(&cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    let out = plot::results_dir("results", "rotation_invariance")?;

    println!(
        "Rotation invariance: f(r) = cos(2.5r)·e^(−r/2), trained on {} points in the first quadrant, tested on {} in the other three\n",
        cfg.train, cfg.test
    );
    println!("| model | train MSE | test MSE (unseen angles) | max output change under rotation |");
    println!("|---|---|---|---|");
    println!(
        "| plain MLP on (x, y) | {:.2e} | {:.2e} | {:.2e} |",
        r.train_mse.0, r.test_mse.0, r.rotation_change.0
    );
    println!(
        "| radial model (r inside the DSL) | {:.2e} | {:.2e} | {:.2e} |",
        r.train_mse.1, r.test_mse.1, r.rotation_change.1
    );
    println!(
        "\ntest-error ratio plain / radial: {:.0}×; target variance on the test set {:.3}",
        r.test_mse.0 / r.test_mse.1,
        r.test_var
    );
    println!("wall time {secs:.1} s");

    let g = cfg.map;
    for (name, title, vals) in [
        ("target.svg", "Target f(r)", &r.maps[0]),
        (
            "plain_mlp.svg",
            "Plain MLP prediction (trained on the first quadrant only)",
            &r.maps[1],
        ),
        (
            "radial.svg",
            "Radial model prediction (trained on the first quadrant only)",
            &r.maps[2],
        ),
    ] {
        plot::heatmap(
            &out,
            name,
            &Figure::new(title).labels("x", "y").size(560, 500),
            &Grid::new(g, g, vals.clone()).extent((-R_MAX, R_MAX), (-R_MAX, R_MAX)),
        )?;
    }
    plot::line(
        &out,
        "loss.svg",
        &Figure::new("Training MSE per epoch")
            .labels("epoch", "MSE")
            .log_y(true),
        &[
            Series::from_ys("plain MLP", &r.curves.0),
            Series::from_ys("radial model", &r.curves.1),
        ],
    )?;
    println!("figures: {}", out.display());
    Ok(())
}
