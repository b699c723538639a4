//! The tour: three models written in the DSL, their shapes checked at compile time, their
//! gradients derived by the macro. Trains a regressor and a classifier with the training loop,
//! compares every derived gradient with dfdx's run-time tape, and shows a run-time shape error.
//!
//! `cargo run --release --example tour` (under a minute on two cores).

use shapegrad::optim::Adam;
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;
use shapegrad::train::{TrainConfig, Trainer};
use shapegrad::{data, Model};

shapegrad::model! {
    /// A smooth 2-D function fitted by a tanh network: y = sin(πx₀)·cos(πx₁).
    pub struct Regressor {
        dims { B: batch, H = 32 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, H] = glorot, b2: [H] = zeros, w3: [H, 1] = glorot, b3: [1] = zeros }
        fn forward(x: [B, 2]) -> [B, 1] {
            let h = tanh(x @ w1 + b1);
            let h = tanh(h @ w2 + b2);
            h @ w3 + b3
        }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(forward(x), y) }
    }

    /// Three Gaussian blobs, classified by softmax regression on one hidden ReLU layer.
    pub struct Classifier {
        dims { B: batch, H = 16, C = 3 }
        params { w1: [2, H] = he, b1: [H] = zeros, w2: [H, C] = glorot, b2: [C] = zeros }
        fn logits(x: [B, 2]) -> [B, C] { relu(x @ w1 + b1) @ w2 + b2 }
        fn loss(x: [B, 2], y: [B, C]) -> [] { cross_entropy(logits(x), y) }
    }

    /// A radial energy with a trainable Gaussian width: input gradients give forces.
    pub struct Radial {
        dims { B: batch }
        params { alpha: [1] = constant(0.5), a: [1] = constant(1.0) }
        fn energy(p: [B, 2]) -> [] {
            let r2 = sum(p * p, axis = 1, keepdim);
            sum(a * exp(-(softplus(alpha) * r2)))
        }
    }
}

/// Worst relative difference between derived and tape gradients.
fn agreement<M: Model<f32, Cpu>>(a: &M::Grads, b: &M::Grads) -> f64 {
    let (a, b) = (to_flat(a), to_flat(b));
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(1e-3))
        .fold(0.0, f64::max)
}

fn main() -> shapegrad::Result<()> {
    let dev = Cpu::default();
    let out = plot::results_dir("results", "tour")?;
    println!("shapegrad tour: models written in the DSL, gradients derived at compile time\n");

    // --- 1. Regression ------------------------------------------------------------------
    let n = 2000;
    let mut rng_state = 12345u64;
    let mut uniform = move || {
        rng_state = rng_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((rng_state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    let xs: Vec<[f32; 2]> = (0..n).map(|_| [uniform() as f32, uniform() as f32]).collect();
    let ys: Vec<[f32; 1]> = xs
        .iter()
        .map(|p| {
            [
                ((std::f64::consts::PI * p[0] as f64).sin() * (std::f64::consts::PI * p[1] as f64).cos())
                    as f32,
            ]
        })
        .collect();
    let (train, val) = data::train_val_split(n, 0.2, 7)?;
    let mut model: Regressor<f32, Cpu> = Regressor::new(&dev, 42);
    println!("Regressor: {} parameters", num_params(&model));

    let x0 = data::batch_from_rows(&dev, &xs, &train[..64])?;
    let y0 = data::batch_from_rows(&dev, &ys, &train[..64])?;
    let (l_derived, g_derived) = model.loss_and_grad(&x0, &y0)?;
    let (l_tape, g_tape, _) = model.loss_tape(&x0, &y0)?;
    println!(
        "  derived vs dfdx tape at init: loss {l_derived:.6} vs {l_tape:.6}, worst gradient rel. diff {:.2e}",
        agreement::<Regressor<f32, Cpu>>(&g_derived, &g_tape)
    );

    let mut opt = Adam::new(3e-3);
    let val_x = data::batch_from_rows(&dev, &xs, &val)?;
    let val_y = data::batch_from_rows(&dev, &ys, &val)?;
    let report = Trainer::new(TrainConfig {
        epochs: 60,
        batch_size: 64,
        metrics_csv: Some(out.join("regressor_metrics.csv")),
        ..Default::default()
    })
    .validation(|m: &Regressor<f32, Cpu>| Ok(m.loss(&val_x, &val_y)? as f64))
    .fit(&mut model, &mut opt, &train, |m, idx| {
        let x = data::batch_from_rows(&dev, &xs, idx)?;
        let y = data::batch_from_rows(&dev, &ys, idx)?;
        m.loss_and_grad(&x, &y)
    })?;
    println!("  epoch  train MSE   val MSE");
    for e in report
        .history
        .iter()
        .filter(|e| e.epoch % 10 == 0 || e.epoch + 1 == report.history.len())
    {
        println!(
            "  {:>5}  {:.6}  {:.6}",
            e.epoch,
            e.train_loss,
            e.val_loss.unwrap_or(f64::NAN)
        );
    }
    let first = report.history.first().map(|e| e.train_loss).unwrap_or(f64::NAN);
    let last_val = report.last().and_then(|e| e.val_loss).unwrap_or(f64::NAN);
    println!("  validation MSE {last_val:.5} (target variance ≈ 0.25; first epoch train MSE {first:.4})");
    let curve: Vec<Series> = vec![
        Series::new(
            "train",
            report
                .history
                .iter()
                .map(|e| (e.epoch as f64, e.train_loss))
                .collect(),
        ),
        Series::new(
            "validation",
            report
                .history
                .iter()
                .map(|e| (e.epoch as f64, e.val_loss.unwrap_or(f64::NAN)))
                .collect(),
        ),
    ];
    let fig = plot::line(
        &out,
        "regressor_loss.svg",
        &Figure::new("Regressor: MSE per epoch")
            .labels("epoch", "MSE")
            .log_y(true),
        &curve,
    )?;
    println!("  figure: {}", fig.display());

    // --- 2. Classification --------------------------------------------------------------
    let centers = [(-1.0, -0.5), (1.0, -0.5), (0.0, 1.0)];
    let mut cx: Vec<[f32; 2]> = Vec::new();
    let mut cy: Vec<[f32; 3]> = Vec::new();
    for i in 0..900 {
        let c = i % 3;
        let (u, v) = (uniform(), uniform());
        cx.push([(centers[c].0 + 0.45 * u) as f32, (centers[c].1 + 0.45 * v) as f32]);
        let mut onehot = [0.0f32; 3];
        onehot[c] = 1.0;
        cy.push(onehot);
    }
    let (ctrain, cval) = data::train_val_split(cx.len(), 0.25, 3)?;
    let mut clf: Classifier<f32, Cpu> = Classifier::new(&dev, 1);
    let mut opt = Adam::new(1e-2);
    let report = Trainer::new(TrainConfig {
        epochs: 30,
        batch_size: 32,
        ..Default::default()
    })
    .fit(&mut clf, &mut opt, &ctrain, |m, idx| {
        let x = data::batch_from_rows(&dev, &cx, idx)?;
        let y = data::batch_from_rows(&dev, &cy, idx)?;
        m.loss_and_grad(&x, &y)
    })?;
    let vx = data::batch_from_rows(&dev, &cx, &cval)?;
    let logits = clf.logits(&vx)?.as_vec();
    let correct = cval
        .iter()
        .enumerate()
        .filter(|(k, &i)| {
            let row = &logits[k * 3..k * 3 + 3];
            let pred = (0..3).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0);
            cy[i][pred] == 1.0
        })
        .count();
    println!(
        "\nClassifier: cross-entropy {:.4} → {:.4}, held-out accuracy {:.1}% ({} of {})",
        report.history.first().map(|e| e.train_loss).unwrap_or(f64::NAN),
        report.last().map(|e| e.train_loss).unwrap_or(f64::NAN),
        100.0 * correct as f64 / cval.len() as f64,
        correct,
        cval.len()
    );
    let bx = data::batch_from_rows(&dev, &cx, &ctrain[..32])?;
    let by = data::batch_from_rows(&dev, &cy, &ctrain[..32])?;
    let (_, gd) = clf.loss_and_grad(&bx, &by)?;
    let (_, gt, _) = clf.loss_tape(&bx, &by)?;
    println!(
        "  derived vs dfdx tape: worst gradient rel. diff {:.2e}",
        agreement::<Classifier<f32, Cpu>>(&gd, &gt)
    );

    // --- 3. Input gradients: forces ------------------------------------------------------
    let radial: Radial<f64, Cpu> = Radial::new(&dev, 0);
    let p = dev.tensor_from_vec(vec![0.3, 0.4, -1.0, 0.5], (2usize, Const::<2>));
    let (e, _, (force,)) = radial.energy_and_grad_inputs(&p)?;
    let f = force.as_vec();
    println!(
        "\nRadial energy {e:.6}; force −∇E on atom 0 = ({:.5}, {:.5}), parallel to its position (0.3, 0.4)",
        -f[0], -f[1]
    );

    // --- 4. A run-time shape error is a Result, not a panic --------------------------------
    let bad_y = dev.tensor_from_vec(vec![0.0f32; 3], (3usize, Const::<1>));
    match model.loss(&x0, &bad_y) {
        Err(err) => println!("\nMismatched batch sizes are reported, not panicked on:\n  {err}"),
        Ok(_) => println!("\nunexpected: mismatched batches were accepted"),
    }
    println!("\nCompile-time shape errors: see tests/ui/ (e.g. tests/ui/matmul_inner_dims/matmul.stderr).");
    Ok(())
}
