//! The cost of backpropagation: forward, backward and full training-step time against model
//! size.
//!
//! Reverse mode computes the whole gradient for a small constant multiple of the forward cost
//! (for a chain of matrix products, the backward pass does two products per forward product:
//! one for the input gradient, one for the weight gradient), whatever the number of parameters
//! P. We sweep the width W of a DSL multilayer perceptron (three W×W layers, P ≈ 3W²), time the
//! forward pass (`loss`), the derived forward+backward (`loss_and_grad`; backward = the
//! difference) and a full step (plus a device-side SGD update), report backward/forward, and fit
//! the exponent of time vs P on a log-log scale. The sweep is generic over dfdx's `Device`: it
//! runs on the CPU, and with `--features cuda` and a GPU present it runs again on CUDA.
//!
//! `cargo run --release --example gpu_scaling` writes `results/gpu_scaling/`.

use std::time::Instant;

use shapegrad::dfdx::tensor::Synchronize;
use shapegrad::dfdx::tensor_ops::Device;
use shapegrad::params::sgd_step_on_device;
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

shapegrad::model! {
    /// Three tanh layers of width W and a squared-error loss: P = 3W² + 3W.
    pub struct Mlp {
        dims { B: batch, W: const }
        params { w1: [W, W] = glorot, b1: [W] = zeros, w2: [W, W] = glorot, b2: [W] = zeros, w3: [W, W] = glorot, b3: [W] = zeros }
        fn loss(x: [B, W], y: [B, W]) -> [] {
            let h = tanh(x @ w1 + b1);
            let h = tanh(h @ w2 + b2);
            mse(h @ w3 + b3, y)
        }
    }
}

/// Experiment size.
#[derive(Debug, Clone)]
pub struct Config {
    /// Widths swept (each must be one of the instantiated widths).
    pub widths: Vec<usize>,
    /// Batch size.
    pub batch: usize,
    /// Timed repetitions per measurement (the median is kept).
    pub reps: usize,
    /// Rounds interleaving the three measurements (the median over rounds is kept).
    pub rounds: usize,
}

impl Config {
    /// The run in the book.
    pub fn full() -> Self {
        Self {
            widths: vec![64, 128, 256, 512, 1024, 2048],
            batch: 128,
            reps: 7,
            rounds: 5,
        }
    }
    /// The test's run.
    pub fn reduced() -> Self {
        Self {
            widths: vec![128, 256, 512],
            batch: 64,
            reps: 5,
            rounds: 3,
        }
    }
}

/// One size.
#[derive(Debug, Clone, Copy)]
pub struct Point {
    /// Width.
    pub width: usize,
    /// Parameters.
    pub params: usize,
    /// Forward (loss) time, µs.
    pub forward_us: f64,
    /// Forward + derived backward, µs.
    pub grad_us: f64,
    /// Backward alone (grad − forward), µs.
    pub backward_us: f64,
    /// Forward + backward + SGD update on the device, µs.
    pub step_us: f64,
}

/// A sweep on one device.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Device name.
    pub device: String,
    /// Points by width.
    pub points: Vec<Point>,
    /// Fitted exponent of step time vs P (points with P ≥ `fit_from`).
    pub step_exponent: f64,
    /// Fitted exponent of forward time vs P.
    pub forward_exponent: f64,
    /// Fitted exponent of backward time vs P.
    pub backward_exponent: f64,
    /// Smallest P used in the fits (the smallest sizes are dominated by per-op overhead).
    pub fit_from: usize,
}

/// Everything `main` prints and plots.
#[derive(Debug, Clone)]
pub struct Report {
    /// The CPU sweep, then the CUDA sweep when it ran.
    pub sweeps: Vec<Sweep>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time_us<D: Synchronize>(
    dev: &D,
    reps: usize,
    mut f: impl FnMut() -> shapegrad::Result<()>,
) -> shapegrad::Result<f64> {
    f()?; // warm-up (allocator caches, kernel loading)
    dev.synchronize();
    let mut v = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        dev.synchronize();
        v.push(t.elapsed().as_secs_f64() * 1e6);
    }
    Ok(median(v))
}

/// Measures one width on `dev`.
pub fn measure<const W: usize, D: Device<f32> + Synchronize>(
    dev: &D,
    cfg: &Config,
) -> shapegrad::Result<Point> {
    let b = cfg.batch;
    let x: Vec<f32> = (0..b * W)
        .map(|i| ((i * 7919 % 1000) as f32 / 1000.0) - 0.5)
        .collect();
    let y: Vec<f32> = (0..b * W)
        .map(|i| ((i * 104_729 % 1000) as f32 / 1000.0) - 0.5)
        .collect();
    let x = dev.tensor_from_vec(x, (b, Const::<W>));
    let y = dev.tensor_from_vec(y, (b, Const::<W>));
    let mut m: Mlp<W, f32, D> = Mlp::new(dev, 1);
    let (mut f, mut g, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..cfg.rounds {
        f.push(time_us(dev, cfg.reps, || m.loss(&x, &y).map(|_| ()))?);
        g.push(time_us(dev, cfg.reps, || m.loss_and_grad(&x, &y).map(|_| ()))?);
        s.push(time_us(dev, cfg.reps, || {
            let (_, gr) = m.loss_and_grad(&x, &y)?;
            sgd_step_on_device(&mut m, &gr, 1e-4)
        })?);
    }
    let (forward_us, grad_us, step_us) = (median(f), median(g), median(s));
    Ok(Point {
        width: W,
        params: num_params(&m),
        forward_us,
        grad_us,
        backward_us: (grad_us - forward_us).max(f64::MIN_POSITIVE),
        step_us,
    })
}

/// Least-squares slope of ln y against ln x.
pub fn loglog_slope(pts: &[(f64, f64)]) -> f64 {
    let n = pts.len() as f64;
    let lx: Vec<f64> = pts.iter().map(|p| p.0.ln()).collect();
    let ly: Vec<f64> = pts.iter().map(|p| p.1.ln()).collect();
    let mx = lx.iter().sum::<f64>() / n;
    let my = ly.iter().sum::<f64>() / n;
    let sxy: f64 = lx.iter().zip(&ly).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = lx.iter().map(|a| (a - mx).powi(2)).sum();
    sxy / sxx
}

/// The sweep on one device.
pub fn sweep<D: Device<f32> + Synchronize>(dev: &D, name: &str, cfg: &Config) -> shapegrad::Result<Sweep> {
    let mut points = Vec::new();
    for &w in &cfg.widths {
        let p = match w {
            64 => measure::<64, D>(dev, cfg)?,
            128 => measure::<128, D>(dev, cfg)?,
            256 => measure::<256, D>(dev, cfg)?,
            512 => measure::<512, D>(dev, cfg)?,
            1024 => measure::<1024, D>(dev, cfg)?,
            2048 => measure::<2048, D>(dev, cfg)?,
            other => {
                return Err(shapegrad::Error::Other(format!(
                    "width {other} is not instantiated (64..=2048, powers of two)"
                )))
            }
        };
        points.push(p);
    }
    // Fit on the sizes where arithmetic, not per-op overhead, dominates: P ≥ 3·128².
    let fit_from = 3 * 128 * 128;
    let fit = |f: &dyn Fn(&Point) -> f64| {
        let v: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.params >= fit_from)
            .map(|p| (p.params as f64, f(p)))
            .collect();
        loglog_slope(&v)
    };
    Ok(Sweep {
        device: name.to_string(),
        step_exponent: fit(&|p| p.step_us),
        forward_exponent: fit(&|p| p.forward_us),
        backward_exponent: fit(&|p| p.backward_us),
        fit_from,
        points,
    })
}

/// Runs the sweep on the CPU, and on CUDA when built with `--features cuda` and a GPU answers.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let sweeps = vec![sweep(&Cpu::default(), "cpu", cfg)?];
    #[cfg(feature = "cuda")]
    let sweeps = {
        let mut sweeps = sweeps;
        match shapegrad::dfdx::tensor::Cuda::try_build(0, 0) {
            Ok(dev) => sweeps.push(sweep(&dev, "cuda", cfg)?),
            Err(e) => eprintln!("no CUDA device ({e:?}); CPU sweep only"),
        }
        sweeps
    };
    Ok(Report { sweeps })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    println!(
        "cost of backpropagation: MLP with three W×W layers, batch {}, medians of {} reps × {} rounds",
        cfg.batch, cfg.reps, cfg.rounds
    );
    let r = run(&cfg)?;
    let out = plot::results_dir("results", "gpu_scaling")?;
    for s in &r.sweeps {
        println!(
            "\n[{}]\n{:>6} {:>10} {:>12} {:>12} {:>12} {:>9} {:>10} {:>9}",
            s.device, "W", "P", "forward µs", "backward µs", "step µs", "bwd/fwd", "step/fwd", "GFLOP/s"
        );
        for p in &s.points {
            // Forward: 3 products of 2·B·W² flops; backward: twice that.
            let flops = 3.0 * 2.0 * (cfg.batch * p.width * p.width) as f64 * 3.0;
            println!(
                "{:>6} {:>10} {:>12.1} {:>12.1} {:>12.1} {:>9.2} {:>10.2} {:>9.1}",
                p.width,
                p.params,
                p.forward_us,
                p.backward_us,
                p.step_us,
                p.backward_us / p.forward_us,
                p.step_us / p.forward_us,
                flops / (p.grad_us * 1e3)
            );
        }
        println!(
            "fitted exponents (time ∝ P^k, P ≥ {}): forward {:.2}, backward {:.2}, step {:.2}",
            s.fit_from, s.forward_exponent, s.backward_exponent, s.step_exponent
        );
        let series = |name: &str, f: &dyn Fn(&Point) -> f64| {
            Series::new(name, s.points.iter().map(|p| (p.params as f64, f(p))).collect())
        };
        let p = plot::line(
            &out,
            &format!("time_vs_params_{}.svg", s.device),
            &Figure::new(format!(
                "{}: time per call vs parameter count (both axes log)",
                s.device
            ))
            .labels("log10 P", "time (µs)")
            .log_y(true),
            &[
                series("forward", &|p| p.forward_us),
                series("backward", &|p| p.backward_us),
                series("full step", &|p| p.step_us),
            ]
            .map(|mut s| {
                for pt in &mut s.points {
                    pt.0 = pt.0.log10();
                }
                s
            }),
        )?;
        println!("figure: {}", p.display());
        let p = plot::line(
            &out,
            &format!("ratio_{}.svg", s.device),
            &Figure::new(format!("{}: backward / forward time", s.device)).labels("log10 P", "ratio"),
            &[Series::new(
                "backward / forward",
                s.points
                    .iter()
                    .map(|p| ((p.params as f64).log10(), p.backward_us / p.forward_us))
                    .collect(),
            )],
        )?;
        println!("figure: {}", p.display());
    }
    Ok(())
}
