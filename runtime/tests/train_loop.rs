//! The training loop: learning a linear map, metrics CSV, early stopping with restore, the
//! schedule hook, and the NaN/Inf guard on a run made to diverge.

mod train_fixture;

use std::cell::RefCell;

use shapegrad_runtime::data::train_val_split;
use shapegrad_runtime::dfdx::tensor::Cpu;
use shapegrad_runtime::optim::{Adam, Optimizer, Sgd, StepDecay};
use shapegrad_runtime::params::{set_flat, to_flat};
use shapegrad_runtime::train::{EarlyStopping, TrainConfig, Trainer};
use shapegrad_runtime::{Error, Model, Result};
use train_fixture::*;

/// A synthetic regression set: `y = x W* + b*` with `x ∈ [-1, 1]²`, `y ∈ ℝ³`.
struct Linear {
    x: Vec<[f64; 2]>,
    y: Vec<[f64; 3]>,
}

const W_TRUE: [[f64; 3]; 2] = [[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]];
const B_TRUE: [f64; 3] = [0.1, -0.3, 0.7];

impl Linear {
    fn new(n: usize) -> Self {
        let x: Vec<[f64; 2]> = (0..n)
            .map(|i| {
                [
                    ((i * 37 % 101) as f64 / 50.0) - 1.0,
                    ((i * 59 % 97) as f64 / 48.0) - 1.0,
                ]
            })
            .collect();
        let y = x
            .iter()
            .map(|r| std::array::from_fn(|j| r[0] * W_TRUE[0][j] + r[1] * W_TRUE[1][j] + B_TRUE[j]))
            .collect();
        Linear { x, y }
    }

    /// Mean over the batch of ½‖x W + b − y‖², and its gradient (scale gets 0: unused).
    fn loss_and_grad<
        E: shapegrad_runtime::dfdx::shapes::Dtype,
        D: shapegrad_runtime::dfdx::tensor_ops::Device<E>,
    >(
        &self,
        m: &Bag<E, D>,
        idx: &[usize],
    ) -> Result<(E, Bag<E, D>)> {
        let p = to_flat(m);
        let (w, b) = (&p[1..7], &p[7..10]);
        let mut g = vec![0.0; BAG_P];
        let mut loss = 0.0;
        let n = idx.len() as f64;
        for &i in idx {
            let (x, y) = (self.x[i], self.y[i]);
            for j in 0..3 {
                let r = x[0] * w[j] + x[1] * w[3 + j] + b[j] - y[j];
                loss += 0.5 * r * r / n;
                g[1 + j] += x[0] * r / n;
                g[4 + j] += x[1] * r / n;
                g[7 + j] += r / n;
            }
        }
        let mut grads = m.zero_grads();
        set_flat(&mut grads, &g)?;
        Ok((E::from_f64(loss).unwrap(), grads))
    }

    fn loss(&self, m: &Bag<f64, Cpu>, idx: &[usize]) -> f64 {
        self.loss_and_grad(m, idx).unwrap().0
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("shapegrad-train-loop-{}-{name}", std::process::id()))
}

#[test]
fn learns_a_linear_map_and_writes_metrics() {
    let data = Linear::new(200);
    let (train, val) = train_val_split(200, 0.25, 1).unwrap();
    let dev = Cpu::default();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[0.0; BAG_P]);
    let mut opt = Adam::new(0.05);
    let csv = tmp("metrics/run.csv");
    let _ = std::fs::remove_dir_all(csv.parent().unwrap());
    let cfg = TrainConfig {
        epochs: 60,
        batch_size: 16,
        seed: 3,
        metrics_csv: Some(csv.clone()),
        quiet: true,
        ..Default::default()
    };
    let report = Trainer::new(cfg)
        .validation(|m: &Bag<f64, Cpu>| Ok(data.loss(m, &val)))
        .schedule(StepDecay::new(0.05, 300, 0.3))
        .fit(&mut m, &mut opt, &train, |m, idx| data.loss_and_grad(m, idx))
        .unwrap();
    let last = report.last().unwrap();
    println!(
        "linear fit: {} epochs, {} steps, train {:.3e}, val {:.3e}",
        report.history.len(),
        report.steps,
        last.train_loss,
        last.val_loss.unwrap()
    );
    assert_eq!(report.history.len(), 60);
    assert_eq!(report.steps, 60 * 10); // 150 samples / 16 = 10 batches
    assert!(last.val_loss.unwrap() < 1e-6, "{last:?}");
    let p = to_flat(&m);
    assert!(
        (p[1] - W_TRUE[0][0]).abs() < 1e-3 && (p[9] - B_TRUE[2]).abs() < 1e-3,
        "{p:?}"
    );
    // The schedule drove the optimizer: 600 steps, drops at 300 and 600 → last step 599 used 0.015.
    assert!((last.lr - 0.015).abs() < 1e-12, "{}", last.lr);

    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "epoch,step,train_loss,val_loss,lr,elapsed_s");
    assert_eq!(lines.len(), 61);
    assert!(lines[60].starts_with("59,600,"), "{}", lines[60]);
    let cols: Vec<&str> = lines[60].split(',').collect();
    assert_eq!(cols[3].parse::<f64>().unwrap(), last.val_loss.unwrap());
    let _ = std::fs::remove_dir_all(csv.parent().unwrap());
}

#[test]
fn same_seed_same_run() {
    let data = Linear::new(64);
    let all: Vec<usize> = (0..64).collect();
    let run = || {
        let mut m: Bag<f32, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
        let cfg = TrainConfig {
            epochs: 3,
            batch_size: 8,
            seed: 11,
            quiet: true,
            ..Default::default()
        };
        Trainer::new(cfg)
            .fit(&mut m, &mut Sgd::new(0.1).momentum(0.9), &all, |m, idx| {
                data.loss_and_grad(m, idx)
            })
            .unwrap();
        to_flat(&m)
    };
    assert_eq!(run(), run());
}

#[test]
fn early_stopping_stops_after_patience_and_restores_the_best_epoch() {
    let data = Linear::new(32);
    let all: Vec<usize> = (0..32).collect();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
    // A scripted validation curve: best at epoch 2, then worse (or better by less than
    // min_delta).
    let curve = [1.0, 0.5, 0.2, 0.3, 0.195, 0.4, 0.1];
    let epoch = RefCell::new(0usize);
    let snapshots = RefCell::new(Vec::new());
    let cfg = TrainConfig {
        epochs: 7,
        batch_size: 8,
        quiet: true,
        early_stopping: Some(EarlyStopping {
            patience: 3,
            min_delta: 0.01,
            restore_best: true,
        }),
        ..Default::default()
    };
    let report = Trainer::new(cfg)
        .validation(|_: &Bag<f64, Cpu>| {
            let e = *epoch.borrow();
            *epoch.borrow_mut() += 1;
            Ok(curve[e])
        })
        .on_epoch(|_, m: &Bag<f64, Cpu>| {
            snapshots.borrow_mut().push(to_flat(m));
            Ok(())
        })
        .fit(&mut m, &mut Sgd::new(0.1), &all, |m, idx| {
            data.loss_and_grad(m, idx)
        })
        .unwrap();
    assert!(report.stopped_early);
    assert_eq!(
        report.history.len(),
        6,
        "epochs 3, 4, 5 did not improve by 0.01 → stop after epoch 5"
    );
    assert_eq!((report.best_epoch, report.best_loss), (Some(2), Some(0.2)));
    assert_eq!(
        to_flat(&m),
        snapshots.borrow()[2],
        "parameters of the best epoch restored"
    );
}

#[test]
fn the_guard_names_the_parameter_of_a_diverging_run() {
    // Only head.w[4] feels the loss (curvature 1, the rest 0); a huge learning rate multiplies
    // it by about −10⁶ per step. Its squared error overflows first (f32 loss), and the guard
    // points at the entry that diverged.
    let bowl = Bowl {
        center: vec![0.5; BAG_P],
        curvature: (0..BAG_P).map(|i| if i == 5 { 1.0 } else { 0.0 }).collect(),
    };
    let mut m: Bag<f32, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
    let all: Vec<usize> = (0..4).collect();
    let cfg = TrainConfig {
        epochs: 100,
        batch_size: 4,
        quiet: true,
        ..Default::default()
    };
    let e = Trainer::new(cfg.clone())
        .fit(&mut m, &mut Sgd::new(1e6), &all, |m, _| bowl.loss_and_grad(m))
        .unwrap_err();
    println!("{e}");
    match e {
        Error::NonFinite {
            context,
            tensor,
            value,
            ..
        } => {
            assert_eq!(tensor, "loss");
            assert!(value.is_infinite());
            assert!(
                context.contains("step 4 (epoch 4, batch 0)") && context.contains("`head.w`[4]"),
                "{context}"
            );
        }
        e => panic!("expected NonFinite, got {e}"),
    }

    // A loss that grows only linearly (|θ − t|·10³⁰, gradient ±10³⁰ per entry) lets the
    // parameter itself overflow first: the guard names it.
    let mut m: Bag<f32, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
    let e = Trainer::new(cfg)
        .fit(
            &mut m,
            &mut Sgd::new(1e9).momentum(0.9),
            &all,
            |m: &Bag<f32, Cpu>, _| {
                let x = to_flat(m);
                let mut g = vec![0.0; BAG_P];
                g[7] = 1e30 * (x[7] - 0.5).signum(); // head.b[0]
                let mut grads = m.zero_grads();
                set_flat(&mut grads, &g)?;
                Ok(((x[7] - 0.5).abs() as f32 * 1e-10, grads))
            },
        )
        .unwrap_err();
    println!("{e}");
    match e {
        Error::NonFinite {
            context,
            tensor,
            index,
            ..
        } => {
            assert_eq!((tensor.as_str(), index), ("head.b", 0));
            assert!(
                context.contains("parameters after the optimizer step"),
                "{context}"
            );
        }
        e => panic!("expected NonFinite, got {e}"),
    }
}

#[test]
fn the_guard_names_a_non_finite_gradient_and_loss() {
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
    let before = to_flat(&m);
    let all: Vec<usize> = (0..8).collect();
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 4,
        quiet: true,
        ..Default::default()
    };
    let calls = RefCell::new(0);
    let e = Trainer::new(cfg.clone())
        .fit(&mut m, &mut Sgd::new(0.1), &all, |m: &Bag<f64, Cpu>, _| {
            *calls.borrow_mut() += 1;
            let mut g = m.zero_grads();
            let mut v = vec![0.0; BAG_P];
            if *calls.borrow() == 3 {
                v[8] = f64::NAN; // head.b[1], on the third step
            }
            set_flat(&mut g, &v)?;
            Ok((1.0, g))
        })
        .unwrap_err();
    println!("{e}");
    match &e {
        Error::NonFinite {
            context,
            tensor,
            index,
            ..
        } => {
            assert_eq!((tensor.as_str(), *index), ("head.b", 1));
            assert!(
                context.contains("step 2 (epoch 1, batch 0)") && context.contains("gradient"),
                "{context}"
            );
        }
        e => panic!("expected NonFinite, got {e}"),
    }
    assert_eq!(to_flat(&m), before, "the bad gradient was never applied");

    let e = Trainer::new(cfg)
        .fit(&mut m, &mut Sgd::new(0.1), &all, |m: &Bag<f64, Cpu>, _| {
            Ok((f64::INFINITY, m.zero_grads()))
        })
        .unwrap_err();
    assert!(
        matches!(&e, Error::NonFinite { tensor, .. } if tensor == "loss"),
        "{e}"
    );
}

#[test]
fn an_optimizer_that_has_stepped_continues_its_schedule() {
    let data = Linear::new(16);
    let all: Vec<usize> = (0..16).collect();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
    let mut opt = Sgd::new(0.1);
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 4,
        quiet: true,
        ..Default::default()
    };
    Trainer::new(cfg.clone())
        .schedule(StepDecay::new(1.0, 4, 0.5))
        .fit(&mut m, &mut opt, &all, |m, i| data.loss_and_grad(m, i))
        .unwrap();
    assert_eq!((opt.steps(), opt.lr()), (4, 1.0));
    let r = Trainer::new(cfg)
        .schedule(StepDecay::new(1.0, 4, 0.5))
        .fit(&mut m, &mut opt, &all, |m, i| data.loss_and_grad(m, i))
        .unwrap();
    assert_eq!((opt.steps(), r.steps, opt.lr()), (8, 4, 0.5));
}

#[test]
fn gradient_clipping_keeps_direction_and_caps_the_global_norm() {
    use shapegrad_runtime::train::clip_grad_norm;
    let dev = Cpu::default();
    let mut v = vec![0.0; BAG_P];
    v[0] = 3.0; // scale
    v[9] = 4.0; // head.b[2]
    let mut g: Bag<f64, Cpu> = Bag::from_flat(&dev, &v);
    assert_eq!(clip_grad_norm(&mut g, 10.0), 5.0);
    assert_eq!(to_flat(&g), v, "under the cap: unchanged");
    assert_eq!(clip_grad_norm(&mut g, 1.0), 5.0);
    let c = to_flat(&g);
    assert!((c[0] - 0.6).abs() < 1e-15 && (c[9] - 0.8).abs() < 1e-15, "{c:?}");

    // In the loop: every applied SGD step then has length ≤ lr · cap.
    let data = Linear::new(32);
    let all: Vec<usize> = (0..32).collect();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[5.0; BAG_P]);
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 32,
        quiet: true,
        clip_grad_norm: Some(0.5),
        ..Default::default()
    };
    let before = to_flat(&m);
    Trainer::new(cfg)
        .fit(&mut m, &mut Sgd::new(1.0), &all, |m, i| data.loss_and_grad(m, i))
        .unwrap();
    assert!((dist(&to_flat(&m), &before) - 0.5).abs() < 1e-12);
}

#[test]
fn before_step_sets_per_entry_learning_rates_from_the_model_state() {
    // Plasticity in the loop: entries of head.w whose value has grown past 1 in magnitude are
    // "methylated" and frozen (η_ij = η₀ (1 − m_ij), m_ij ∈ {0, 1}), the rest keep learning.
    let data = Linear::new(64);
    let all: Vec<usize> = (0..64).collect();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&Cpu::default(), &[0.0; BAG_P]);
    let steps = RefCell::new(Vec::new());
    let cfg = TrainConfig {
        epochs: 40,
        batch_size: 16,
        quiet: true,
        ..Default::default()
    };
    Trainer::new(cfg)
        .before_step(|step, m: &Bag<f64, Cpu>, scales| {
            steps.borrow_mut().push(step);
            let w = m.head.w.as_vec();
            scales.set(
                "head.w",
                w.iter().map(|x| if x.abs() > 1.0 { 0.0 } else { 1.0 }).collect(),
            );
            Ok(())
        })
        .fit(&mut m, &mut Sgd::new(0.2), &all, |m, i| data.loss_and_grad(m, i))
        .unwrap();
    assert_eq!(*steps.borrow(), (0..160).collect::<Vec<u64>>());
    let w = m.head.w.as_vec();
    println!("head.w after training with freezing: {w:?}");
    // True weights -2 and 3 are out of reach: those entries froze just past |1|. The others
    // (1.0, 0.5, 0.25, -1.0) are learned; 1.0 and -1.0 stop where they first cross |1|.
    for (j, (&got, want)) in w.iter().zip(W_TRUE.iter().flatten()).enumerate() {
        if want.abs() > 1.0 {
            assert!(
                got.abs() > 1.0 && got.abs() < want.abs() - 0.5,
                "head.w[{j}] = {got} should have frozen"
            );
        } else if want.abs() < 1.0 {
            assert!((got - want).abs() < 0.05, "head.w[{j}] = {got} vs {want}");
        }
    }
}
