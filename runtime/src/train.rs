//! A training-loop helper: epochs of seeded minibatches, optimizer steps, learning-rate
//! schedules, validation, early stopping, metrics to CSV, a progress bar, and a NaN/Inf guard.
//!
//! The loop owns none of the data: the caller's closure receives the model and the indices of
//! a minibatch and returns `(loss, grads)` — typically by gathering rows
//! ([`crate::data::batch_from_rows`]) and calling the model's derived `loss_and_grad`.
//!
//! ```no_run
//! # use shapegrad_runtime::{train::*, optim::*, Result, Model};
//! # fn demo<M: Model<f32, shapegrad_runtime::dfdx::tensor::Cpu>>(
//! #     model: &mut M, n: usize,
//! #     batch_loss: impl FnMut(&M, &[usize]) -> Result<(f32, M::Grads)>,
//! #     val_loss: impl FnMut(&M) -> Result<f64>) -> Result<()> {
//! let (train, _val) = shapegrad_runtime::data::train_val_split(n, 0.2, 7)?;
//! let mut opt = Adam::new(1e-3);
//! let report = Trainer::new(TrainConfig { epochs: 50, batch_size: 32, ..Default::default() })
//!     .validation(val_loss)
//!     .schedule(Warmup::new(100, Cosine::new(1e-3, 1e-5, 5_000)))
//!     .fit(model, &mut opt, &train, batch_loss)?;
//! println!("best validation loss {:?} at epoch {:?}", report.best_loss, report.best_epoch);
//! # Ok(()) }
//! ```
//!
//! # The NaN/Inf guard
//!
//! After every step the guard scans the gradient (then the loss, then the updated parameters)
//! and stops training at the *first* non-finite value with [`Error::NonFinite`], whose `tensor`
//! is the dotted parameter name and whose `context` gives the step, epoch and batch and says
//! whether the gradient, loss or parameter went bad. When the loss is the first to overflow
//! (typical: a squared error overflows long before the parameter it squares), `tensor` is
//! `loss` and the context names the parameter entry of largest magnitude, the likely culprit. Catching it at the step where it happens,
//! with the tensor's name, saves bisecting a diverged run by hand. It costs one copy of every
//! tensor per step; turn it off with [`TrainConfig::guard`] for large models once a
//! configuration is known to be stable.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::Device;
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{Batches, Order};
use crate::error::{Error, Result};
use crate::io::atomic_write;
use crate::optim::{LrScales, LrSchedule, Optimizer};
use crate::params::{Model, Params, TensorVisitor, TensorVisitorMut};

/// Early stopping on the validation loss (or the training loss when there is no validation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStopping {
    /// Epochs without improvement before stopping.
    pub patience: usize,
    /// An epoch improves only if it beats the best by more than this.
    pub min_delta: f64,
    /// At the end of training, put back the parameters of the best epoch.
    pub restore_best: bool,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        Self {
            patience: 10,
            min_delta: 0.0,
            restore_best: true,
        }
    }
}

/// Settings of a [`Trainer`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Number of epochs (an upper bound with early stopping).
    pub epochs: usize,
    /// Samples per minibatch.
    pub batch_size: usize,
    /// Seed of the per-epoch shuffles.
    pub seed: u64,
    /// Shuffle every epoch (true) or keep storage order.
    pub shuffle: bool,
    /// Leave out a final short batch (for models with a static batch dim).
    pub drop_last: bool,
    /// Early stopping, if any.
    pub early_stopping: Option<EarlyStopping>,
    /// Write per-epoch metrics to this CSV file (rewritten atomically after every epoch, so it is
    /// always complete).
    pub metrics_csv: Option<PathBuf>,
    /// No progress bar even on a terminal.
    pub quiet: bool,
    /// The NaN/Inf guard (on by default).
    pub guard: bool,
    /// Rescale each minibatch gradient so its global L2 norm (over all tensors) is at most
    /// this ([`clip_grad_norm`]); tames exploding gradients in backpropagation through time.
    pub clip_grad_norm: Option<f64>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 32,
            seed: 0,
            shuffle: true,
            drop_last: false,
            early_stopping: None,
            metrics_csv: None,
            quiet: false,
            guard: true,
            clip_grad_norm: None,
        }
    }
}

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochMetrics {
    /// Epoch number, from 0.
    pub epoch: usize,
    /// Optimizer steps taken so far (all epochs).
    pub steps: u64,
    /// Mean minibatch loss of the epoch.
    pub train_loss: f64,
    /// Validation loss after the epoch, if a validation closure was given.
    pub val_loss: Option<f64>,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Seconds since training started.
    pub elapsed_s: f64,
}

/// The outcome of [`Trainer::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrainReport {
    /// One entry per completed epoch.
    pub history: Vec<EpochMetrics>,
    /// Whether early stopping ended training.
    pub stopped_early: bool,
    /// Epoch with the lowest monitored loss (validation if available).
    pub best_epoch: Option<usize>,
    /// That loss.
    pub best_loss: Option<f64>,
    /// Optimizer steps taken by this call.
    pub steps: u64,
}

impl TrainReport {
    /// The last epoch's metrics.
    pub fn last(&self) -> Option<&EpochMetrics> {
        self.history.last()
    }
}

type ValFn<'a, M> = Box<dyn FnMut(&M) -> Result<f64> + 'a>;
type EpochFn<'a, M> = Box<dyn FnMut(&EpochMetrics, &M) -> Result<()> + 'a>;
type StepFn<'a, M> = Box<dyn FnMut(u64, &M, &mut LrScales) -> Result<()> + 'a>;

/// The training loop. Build with [`Trainer::new`], add optional parts, then [`Trainer::fit`].
pub struct Trainer<'a, M> {
    config: TrainConfig,
    validate: Option<ValFn<'a, M>>,
    schedule: Option<Box<dyn LrSchedule + 'a>>,
    on_epoch: Option<EpochFn<'a, M>>,
    before_step: Option<StepFn<'a, M>>,
}

/// Scales `grads` in place so that their global L2 norm (all tensors together) is at most
/// `max_norm`, and returns the norm before scaling. Clipping the *global* norm keeps the
/// direction of the gradient, unlike clipping each entry.
pub fn clip_grad_norm<E: Dtype, D: Device<E>, P: Params<E, D>>(grads: &mut P, max_norm: f64) -> f64 {
    struct SumSq(f64);
    impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for SumSq {
        fn visit<S: Shape>(&mut self, _: &str, t: &Tensor<S, E, D>) -> Result<()> {
            self.0 += t
                .as_vec()
                .iter()
                .map(|x| x.to_f64().unwrap_or(f64::NAN).powi(2))
                .sum::<f64>();
            Ok(())
        }
    }
    struct Scale(f64);
    impl<E: Dtype, D: Device<E>> TensorVisitorMut<E, D> for Scale {
        fn visit<S: Shape>(&mut self, _: &str, t: &mut Tensor<S, E, D>) -> Result<()> {
            let data = t
                .as_vec()
                .into_iter()
                .map(|x| E::from_f64(x.to_f64().unwrap_or(f64::NAN) * self.0).unwrap_or_default())
                .collect();
            *t = t.device().tensor_from_vec(data, *t.shape());
            Ok(())
        }
    }
    let mut s = SumSq(0.0);
    let _ = grads.visit_params("", &mut s);
    let norm = s.0.sqrt();
    if norm.is_finite() && norm > max_norm {
        let _ = grads.visit_params_mut("", &mut Scale(max_norm / norm));
    }
    norm
}

/// The first non-finite entry of a tensor struct: `(dotted name, flat index within the tensor,
/// value)`.
pub fn find_non_finite<E: Dtype, D: Device<E>, P: Params<E, D>>(p: &P) -> Option<(String, usize, f64)> {
    struct Find(Option<(String, usize, f64)>);
    impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for Find {
        fn visit<S: Shape>(&mut self, name: &str, t: &Tensor<S, E, D>) -> Result<()> {
            if self.0.is_none() {
                let v = t.as_vec();
                if let Some((i, x)) = v
                    .iter()
                    .map(|x| x.to_f64().unwrap_or(f64::NAN))
                    .enumerate()
                    .find(|(_, x)| !x.is_finite())
                {
                    self.0 = Some((name.to_string(), i, x));
                }
            }
            Ok(())
        }
    }
    let mut f = Find(None);
    let _ = p.visit_params("", &mut f);
    f.0
}

/// The entry of largest magnitude of a tensor struct: `(dotted name, flat index, value)`.
pub fn largest_entry<E: Dtype, D: Device<E>, P: Params<E, D>>(p: &P) -> Option<(String, usize, f64)> {
    struct Max(Option<(String, usize, f64)>);
    impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for Max {
        fn visit<S: Shape>(&mut self, name: &str, t: &Tensor<S, E, D>) -> Result<()> {
            for (i, x) in t.as_vec().into_iter().enumerate() {
                let x = x.to_f64().unwrap_or(f64::NAN);
                if self.0.as_ref().is_none_or(|(_, _, m)| x.abs() > m.abs()) {
                    self.0 = Some((name.to_string(), i, x));
                }
            }
            Ok(())
        }
    }
    let mut m = Max(None);
    let _ = p.visit_params("", &mut m);
    m.0
}

fn guard_err(at: &str, what: &str, (tensor, index, value): (String, usize, f64)) -> Error {
    Error::NonFinite {
        context: format!("NaN/Inf guard at {at}, in the {what}"),
        tensor,
        index,
        value,
    }
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    // Fits in 80 columns with a typical message: "epoch 3/50 [=====>     ] 120/2000
    // 481.2 it/s eta 4s | loss 1.2345e-2, val 2.3456e-2".
    let style =
        ProgressStyle::with_template("epoch {prefix} [{bar:20}] {pos}/{len} {rate} eta {eta} | {msg}")
            .map(|s| {
                s.progress_chars("=> ").with_key(
                    "rate",
                    |st: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1} it/s", st.per_sec());
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb
}

fn csv_text(history: &[EpochMetrics]) -> String {
    let mut s = String::from("epoch,step,train_loss,val_loss,lr,elapsed_s\n");
    for m in history {
        let val = m.val_loss.map(|v| v.to_string()).unwrap_or_default();
        let _ = writeln!(
            s,
            "{},{},{},{},{},{:.3}",
            m.epoch, m.steps, m.train_loss, val, m.lr, m.elapsed_s
        );
    }
    s
}

impl<'a, M> Trainer<'a, M> {
    /// A trainer with `config` and no validation, schedule or callback.
    pub fn new(config: TrainConfig) -> Self {
        Self {
            config,
            validate: None,
            schedule: None,
            on_epoch: None,
            before_step: None,
        }
    }

    /// Evaluates `val(&model)` after every epoch; early stopping then monitors it.
    pub fn validation(mut self, val: impl FnMut(&M) -> Result<f64> + 'a) -> Self {
        self.validate = Some(Box::new(val));
        self
    }

    /// Sets the optimizer's learning rate from `schedule` before every step (by global step, so
    /// an optimizer that has already taken steps continues its schedule).
    pub fn schedule(mut self, schedule: impl LrSchedule + 'a) -> Self {
        self.schedule = Some(Box::new(schedule));
        self
    }

    /// Calls `f(&metrics, &model)` after every epoch (checkpoints, plots, logging). An error
    /// stops training and is returned.
    pub fn on_epoch(mut self, f: impl FnMut(&EpochMetrics, &M) -> Result<()> + 'a) -> Self {
        self.on_epoch = Some(Box::new(f));
        self
    }

    /// Calls `f(step, &model, lr_scales)` before every optimizer step, with the optimizer's
    /// per-entry learning-rate multipliers ([`LrScales`]) open for change. This is how a model
    /// whose plasticity depends on its state sets `η_ij = η₀(1 − m_ij)` during training.
    pub fn before_step(mut self, f: impl FnMut(u64, &M, &mut LrScales) -> Result<()> + 'a) -> Self {
        self.before_step = Some(Box::new(f));
        self
    }

    /// The settings.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Trains `model` with `opt` over the samples `train` (indices into the caller's data).
    /// `batch_loss(&model, batch)` returns the loss and gradient of one minibatch.
    pub fn fit<E, D, O, F>(
        &mut self,
        model: &mut M,
        opt: &mut O,
        train: &[usize],
        mut batch_loss: F,
    ) -> Result<TrainReport>
    where
        E: Dtype,
        D: Device<E>,
        M: Model<E, D>,
        O: Optimizer,
        F: FnMut(&M, &[usize]) -> Result<(E, M::Grads)>,
    {
        let cfg = self.config.clone();
        if train.is_empty() {
            return Err(Error::Empty {
                context: "Trainer::fit".into(),
                tensor: "training set".into(),
                dim: "samples".into(),
            });
        }
        let per_epoch = Batches::new(train, cfg.batch_size, Order::Sequential, cfg.drop_last).len();
        if per_epoch == 0 {
            return Err(Error::Other(format!(
                "Trainer::fit: {} samples make no full batch of {} (drop_last is set)",
                train.len(),
                cfg.batch_size
            )));
        }
        if cfg.guard {
            if let Some(bad) = find_non_finite(model) {
                return Err(guard_err("the start of training", "parameters", bad));
            }
        }
        let start = Instant::now();
        let pb = progress_bar((per_epoch * cfg.epochs) as u64, cfg.quiet);
        let mut report = TrainReport {
            history: Vec::new(),
            stopped_early: false,
            best_epoch: None,
            best_loss: None,
            steps: 0,
        };
        let mut best_model: Option<M> = None;
        let mut since_best = 0usize;
        let mut last_val: Option<f64> = None;
        let first_step = opt.steps();

        for epoch in 0..cfg.epochs {
            pb.set_prefix(format!("{}/{}", epoch + 1, cfg.epochs));
            let order = if cfg.shuffle {
                Order::Shuffled {
                    seed: cfg.seed,
                    epoch: epoch as u64,
                }
            } else {
                Order::Sequential
            };
            let batches = Batches::new(train, cfg.batch_size, order, cfg.drop_last);
            let mut sum = 0.0;
            let mut count = 0usize;
            for (b, idx) in batches.iter().enumerate() {
                let step = opt.steps();
                let at = || format!("step {step} (epoch {epoch}, batch {b})");
                let (loss, mut grads) = batch_loss(&*model, idx)?;
                let loss = loss.to_f64().unwrap_or(f64::NAN);
                if cfg.guard {
                    if let Some(bad) = find_non_finite(&grads) {
                        return Err(guard_err(&at(), "gradient", bad));
                    }
                    if !loss.is_finite() {
                        // Gradient and parameters are finite, so the loss overflowed first (a
                        // quadratic loss overflows long before the parameter it squares).
                        // Point at the parameter entry most likely to be diverging.
                        let what = match largest_entry(&*model) {
                            Some((n, i, v)) => {
                                format!("loss (largest parameter entry: `{n}`[{i}] = {v:.3e})")
                            }
                            None => "loss".to_string(),
                        };
                        return Err(guard_err(&at(), &what, ("loss".into(), 0, loss)));
                    }
                }
                if let Some(max) = cfg.clip_grad_norm {
                    clip_grad_norm(&mut grads, max);
                }
                if let Some(s) = &self.schedule {
                    opt.set_lr(s.lr(step));
                }
                if let Some(f) = self.before_step.as_mut() {
                    f(step, &*model, opt.lr_scales_mut())?;
                }
                opt.step(model, &grads)?;
                if cfg.guard {
                    if let Some(bad) = find_non_finite(&*model) {
                        return Err(guard_err(&at(), "parameters after the optimizer step", bad));
                    }
                }
                sum += loss;
                count += 1;
                pb.inc(1);
                pb.set_message(match last_val {
                    Some(v) => format!("loss {loss:.4e}, last val {v:.4e}"),
                    None => format!("loss {loss:.4e}"),
                });
            }
            let train_loss = sum / count.max(1) as f64;
            let val_loss = match self.validate.as_mut() {
                Some(v) => {
                    let l = v(&*model)?;
                    if cfg.guard && !l.is_finite() {
                        let at = format!("the end of epoch {epoch}");
                        return Err(guard_err(
                            &at,
                            "validation loss",
                            ("validation loss".into(), 0, l),
                        ));
                    }
                    Some(l)
                }
                None => None,
            };
            let metrics = EpochMetrics {
                epoch,
                steps: opt.steps(),
                train_loss,
                val_loss,
                lr: opt.lr(),
                elapsed_s: start.elapsed().as_secs_f64(),
            };
            last_val = val_loss;
            report.history.push(metrics.clone());
            if let Some(path) = &cfg.metrics_csv {
                atomic_write(path, csv_text(&report.history).as_bytes())?;
            }
            if let Some(f) = self.on_epoch.as_mut() {
                f(&metrics, model)?;
            }

            let monitored = val_loss.unwrap_or(train_loss);
            let min_delta = cfg.early_stopping.map_or(0.0, |e| e.min_delta);
            if report.best_loss.is_none_or(|b| monitored < b - min_delta) {
                report.best_loss = Some(monitored);
                report.best_epoch = Some(epoch);
                since_best = 0;
                if cfg.early_stopping.is_some_and(|e| e.restore_best) {
                    best_model = Some(model.clone());
                }
            } else {
                since_best += 1;
            }
            if let Some(es) = cfg.early_stopping {
                if since_best >= es.patience.max(1) {
                    report.stopped_early = true;
                    break;
                }
            }
        }
        if let Some(best) = best_model {
            *model = best;
        }
        report.steps = opt.steps() - first_step;
        pb.finish_and_clear();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_has_a_header_and_one_row_per_epoch() {
        let h = vec![
            EpochMetrics {
                epoch: 0,
                steps: 4,
                train_loss: 0.5,
                val_loss: Some(0.25),
                lr: 0.1,
                elapsed_s: 0.0,
            },
            EpochMetrics {
                epoch: 1,
                steps: 8,
                train_loss: 0.125,
                val_loss: None,
                lr: 0.05,
                elapsed_s: 1.5,
            },
        ];
        assert_eq!(
            csv_text(&h),
            "epoch,step,train_loss,val_loss,lr,elapsed_s\n0,4,0.5,0.25,0.1,0.000\n1,8,0.125,,0.05,1.500\n"
        );
    }
}
