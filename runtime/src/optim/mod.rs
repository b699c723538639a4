//! Optimizers.
//!
//! Two families live here, because they see a model differently:
//!
//! - **First-order, stochastic** ([`Sgd`], [`Adam`] (and AdamW), [`RmsProp`]) implement
//!   [`Optimizer`] and step any [`Model`] through [`Model::visit_with_grads`]. They take one
//!   minibatch gradient at a time and keep their state (momenta, second moments) per parameter
//!   name.
//! - **Deterministic, full-batch** ([`Lbfgs`], [`Newton`]) minimize an [`Objective`]: a function
//!   of one flat `f64` vector. [`ModelObjective`] turns a model plus a closure computing
//!   `(loss, grads)` into one (through [`crate::params::to_flat`] / [`crate::params::set_flat`]).
//!   They need line searches and dense linear algebra, which are natural on a flat vector and
//!   awkward on a struct of differently shaped tensors.
//!
//! # Why first-order state lives on the host in `f64`
//!
//! dfdx ships fused Adam/SGD/RMSprop kernels, but they take one scalar learning rate per tensor.
//! The plasticity example needs a learning rate *per scalar entry* that changes between steps
//! (`η_ij = η₀(1 − m_ij)`), see [`LrScales`]. So each step copies a parameter and its gradient
//! out (`as_vec`), applies the update rule entry by entry in `f64`, and writes the parameter back
//! (`tensor_from_vec`). That is three passes over memory per parameter, comparable to the
//! per-op allocations of a dfdx update, and it keeps every rule in one readable loop. On CUDA
//! it costs a host round trip per step; the models of this project are small enough for that.
//! Computing in `f64` also means an `f32` model's optimizer state does not lose precision
//! (Adam's second moment of tiny gradients underflows in `f32`). The update rules agree with
//! dfdx's own SGD and Adam to `f64` round-off (`tests/train_oracle.rs`).
//!
//! # Example: full-batch minimization of a plain function
//!
//! ```
//! use shapegrad_runtime::optim::{FnObjective, Lbfgs, Newton, Objective};
//! // Rosenbrock, with its gradient and Hessian.
//! let mut f = FnObjective::new(2, |p: &[f64]| {
//!     let (x, y) = (p[0], p[1]);
//!     let v = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
//!     Ok((v, vec![-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)]))
//! })
//! .with_hessian(|p: &[f64]| {
//!     let (x, y) = (p[0], p[1]);
//!     Ok(vec![2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x, -400.0 * x, 200.0])
//! });
//! let l = Lbfgs::default().minimize(&mut f, &[-1.2, 1.0])?;
//! let n = Newton::default().minimize(&mut f, &[-1.2, 1.0])?;
//! assert!(l.converged() && n.converged() && n.iterations < l.iterations);
//! assert!((l.x[0] - 1.0).abs() < 1e-6 && (n.x[1] - 1.0).abs() < 1e-6);
//! # Ok::<(), shapegrad_runtime::Error>(())
//! ```
//!
//! A model is stepped by a first-order optimizer with `opt.step(&mut model, &grads)?`, or
//! minimized as a whole with `Lbfgs::default().minimize_model(&mut model, |m| m.loss_and_grad(..))`.

mod first_order;
mod lbfgs;
mod linesearch;
mod newton;
mod objective;
mod schedule;

pub use first_order::{Adam, RmsProp, Sgd, WeightDecay};
pub use lbfgs::{Iterate, Lbfgs, LbfgsConfig};
pub use linesearch::{LineSearchResult, StrongWolfe};
pub use newton::{cholesky_solve, hessian_bytes, Newton, NewtonConfig};
pub use objective::{
    fd_hessian, FdHessian, FnObjective, HessianHook, MinimizeReport, ModelObjective, NoHessian, Objective,
    SecondOrderObjective, StopReason,
};
pub use schedule::{Constant, Cosine, Exponential, LrSchedule, Sequence, StepDecay, Warmup};

use std::collections::HashMap;

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::Device;

use crate::error::{Error, Result};
use crate::params::{Model, ParamInfo, Params, TensorPairVisitor, TensorVisitor};

/// A first-order optimizer: updates a model in place from one gradient.
///
/// `step` is generic over the model rather than the trait over a model type, so one optimizer
/// value can be built before the model's dtype and device are known, and a training loop can
/// take any `O: Optimizer`.
pub trait Optimizer {
    /// Applies one update to every parameter of `model` using `grads`.
    ///
    /// Validates the learning-rate scales against the model before touching anything, so an
    /// error leaves the model unchanged.
    fn step<E: Dtype, D: Device<E>, M: Model<E, D>>(&mut self, model: &mut M, grads: &M::Grads)
        -> Result<()>;
    /// The current base learning rate.
    fn lr(&self) -> f64;
    /// Sets the base learning rate (schedules call this before each step).
    fn set_lr(&mut self, lr: f64);
    /// Per-entry multipliers of the learning rate.
    fn lr_scales(&self) -> &LrScales;
    /// Per-entry multipliers of the learning rate, to change between steps.
    fn lr_scales_mut(&mut self) -> &mut LrScales;
    /// Number of steps taken so far.
    fn steps(&self) -> u64;
    /// Forgets all state (momenta, moments, step count); keeps hyperparameters and scales.
    fn reset(&mut self);
    /// The state a resumed run needs (see [`crate::io::save_optimizer`]).
    fn state(&self) -> OptimizerState;
    /// Restores [`Optimizer::state`]; refuses state of another kind of optimizer.
    fn set_state(&mut self, state: OptimizerState) -> Result<()>;
}

/// Per-parameter learning-rate tensors: a multiplier for every scalar entry of chosen
/// parameters, laid out like the parameter (row-major, [`crate::params::to_flat`] order).
///
/// The effective step size of entry `i` of parameter `w` is `lr × scale_w[i]`; parameters
/// without a scale use `lr`. Scales can change between steps (set them again), which is how an
/// epigenetic-plasticity model sets `η_ij = η₀(1 − m_ij)` from its methylation state `m`.
/// A scale of 0 freezes an entry; decoupled weight decay is scaled too (it is part of the step
/// `η·(…)`), so a frozen entry does not decay either.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LrScales {
    map: HashMap<String, Vec<f64>>,
}

impl LrScales {
    /// No scales: every entry uses the base learning rate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the multipliers of parameter `name` (dotted), one per scalar entry.
    /// The length is checked against the model at the next step.
    pub fn set(&mut self, name: impl Into<String>, scales: Vec<f64>) {
        self.map.insert(name.into(), scales);
    }

    /// Sets the multipliers from any tensor struct with the model's layout (e.g. a value of the
    /// model's gradient type, or a second model instance holding `1 − m`): every tensor of
    /// `scales` becomes the multiplier of the parameter with the same name.
    pub fn set_from<E: Dtype, D: Device<E>, P: Params<E, D>>(&mut self, scales: &P) {
        struct Take<'a>(&'a mut HashMap<String, Vec<f64>>);
        impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for Take<'_> {
            fn visit<S: Shape>(&mut self, name: &str, t: &Tensor<S, E, D>) -> Result<()> {
                let v = t
                    .as_vec()
                    .into_iter()
                    .map(|x| x.to_f64().unwrap_or(f64::NAN))
                    .collect();
                self.0.insert(name.to_string(), v);
                Ok(())
            }
        }
        // Take never fails.
        let _ = scales.visit_params("", &mut Take(&mut self.map));
    }

    /// Removes the multipliers of `name`; it goes back to the base learning rate.
    pub fn remove(&mut self, name: &str) -> Option<Vec<f64>> {
        self.map.remove(name)
    }

    /// Removes all multipliers.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// The multipliers of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        self.map.get(name).map(Vec::as_slice)
    }

    /// Whether no parameter has multipliers.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Checks every scale names a parameter of `infos` and has its number of entries, and that
    /// every multiplier is finite and non-negative. A typo in a name would otherwise silently
    /// leave a parameter at the base rate.
    pub fn validate(&self, infos: &[ParamInfo]) -> Result<()> {
        for (name, s) in &self.map {
            let Some(info) = infos.iter().find(|i| &i.name == name) else {
                let known: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
                return Err(Error::Other(format!(
                    "learning-rate scale set for `{name}`, which is not a parameter of the model \
                     (parameters: {})",
                    known.join(", ")
                )));
            };
            if s.len() != info.numel() {
                return Err(Error::Shape {
                    context: "learning-rate scale".into(),
                    tensor: name.clone(),
                    expected: format!("{:?} = {} entries", info.shape, info.numel()),
                    found: format!("{} entries", s.len()),
                });
            }
            if let Some((i, &v)) = s.iter().enumerate().find(|(_, v)| !v.is_finite() || **v < 0.0) {
                return Err(Error::NonFinite {
                    context: "learning-rate scale (must be finite and >= 0)".into(),
                    tensor: name.clone(),
                    index: i,
                    value: v,
                });
            }
        }
        Ok(())
    }
}

/// Optimizer state of every parameter, by dotted name: `slots` vectors per parameter, each with
/// one entry per scalar (momentum, first and second moments, ...).
#[derive(Debug, Clone, Default)]
pub(crate) struct SlotState {
    map: HashMap<String, Vec<Vec<f64>>>,
}

impl SlotState {
    pub(crate) fn clear(&mut self) {
        self.map.clear();
    }

    /// Snapshot with `kind`, step count and base rate.
    pub(crate) fn export(&self, kind: &str, steps: u64, lr: f64) -> OptimizerState {
        let mut slots: Vec<(String, usize, Vec<f64>)> = self
            .map
            .iter()
            .flat_map(|(name, s)| {
                s.iter()
                    .enumerate()
                    .map(move |(k, v)| (name.clone(), k, v.clone()))
            })
            .collect();
        slots.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        OptimizerState {
            kind: kind.to_string(),
            steps,
            lr,
            slots,
        }
    }

    /// Replaces the state from a snapshot of an optimizer of kind `kind` with `n_slots` slots.
    pub(crate) fn import(&mut self, kind: &str, n_slots: usize, st: &OptimizerState) -> Result<()> {
        if st.kind != kind {
            return Err(Error::Other(format!(
                "optimizer state of a `{}` cannot be loaded into a `{kind}`",
                st.kind
            )));
        }
        let mut map: HashMap<String, Vec<Vec<f64>>> = HashMap::new();
        for (name, k, v) in &st.slots {
            if *k >= n_slots {
                return Err(Error::Other(format!(
                    "optimizer state: `{kind}` has {n_slots} state slots, the state names slot {k} of `{name}`"
                )));
            }
            let e = map
                .entry(name.clone())
                .or_insert_with(|| vec![Vec::new(); n_slots]);
            e[*k] = v.clone();
        }
        for (name, s) in &map {
            let n = s.iter().map(Vec::len).max().unwrap_or(0);
            if s.iter().any(|v| v.len() != n) {
                return Err(Error::Other(format!(
                    "optimizer state of `{name}` is incomplete: its slots have different lengths"
                )));
            }
        }
        self.map = map;
        Ok(())
    }
}

/// A first-order optimizer's state, for checkpoints: which optimizer, how many steps it has
/// taken (Adam's bias correction and schedules depend on it), its base learning rate, and its
/// per-parameter state vectors `(parameter name, slot, values)` (slot 0: momentum or first
/// moment; slot 1: second moment or RMSProp momentum). Hyperparameters other than the rate and
/// the learning-rate scales are configuration, not state, and are not included.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerState {
    /// `"sgd"`, `"adam"` or `"rmsprop"`.
    pub kind: String,
    /// Steps taken.
    pub steps: u64,
    /// Base learning rate.
    pub lr: f64,
    /// `(parameter name, slot, values)`, sorted.
    pub slots: Vec<(String, usize, Vec<f64>)>,
}

/// Runs `rule(p, g, scale, state)` on every parameter of `model`, in `f64`.
///
/// `p` is the parameter (updated in place), `g` its gradient, `scale` the per-entry learning-rate
/// multipliers if any, `state` the parameter's `slots` state vectors (zeros at first).
pub(crate) fn apply_rule<E, D, M, F>(
    model: &mut M,
    grads: &M::Grads,
    scales: &LrScales,
    state: &mut SlotState,
    slots: usize,
    rule: F,
) -> Result<()>
where
    E: Dtype,
    D: Device<E>,
    M: Model<E, D>,
    F: FnMut(&mut [f64], &[f64], Option<&[f64]>, &mut [Vec<f64>]),
{
    if !scales.is_empty() {
        scales.validate(&crate::params::param_infos(model))?;
    }

    struct Apply<'a, F> {
        scales: &'a LrScales,
        state: &'a mut SlotState,
        slots: usize,
        rule: F,
    }
    impl<E, D, F> TensorPairVisitor<E, D> for Apply<'_, F>
    where
        E: Dtype,
        D: Device<E>,
        F: FnMut(&mut [f64], &[f64], Option<&[f64]>, &mut [Vec<f64>]),
    {
        fn visit<S: Shape>(
            &mut self,
            name: &str,
            param: &mut Tensor<S, E, D>,
            grad: &Tensor<S, E, D>,
        ) -> Result<()> {
            let to64 = |x: E| x.to_f64().unwrap_or(f64::NAN);
            let mut p: Vec<f64> = param.as_vec().into_iter().map(to64).collect();
            let g: Vec<f64> = grad.as_vec().into_iter().map(to64).collect();
            let n = p.len();
            let st = self
                .state
                .map
                .entry(name.to_string())
                .or_insert_with(|| vec![vec![0.0; n]; self.slots]);
            // A parameter whose size changed (a different model with the same names) restarts
            // from zero state rather than indexing out of bounds.
            if st.iter().any(|s| s.len() != n) {
                *st = vec![vec![0.0; n]; self.slots];
            }
            (self.rule)(&mut p, &g, self.scales.get(name), st);
            let data: Vec<E> = p
                .into_iter()
                .map(|x| E::from_f64(x).unwrap_or_default())
                .collect();
            *param = param.device().tensor_from_vec(data, *param.shape());
            Ok(())
        }
    }
    model.visit_with_grads(
        grads,
        "",
        &mut Apply {
            scales,
            state,
            slots,
            rule,
        },
    )
}

/// The learning-rate multiplier of entry `i`: 1 without scales.
#[inline]
pub(crate) fn scale_at(scale: Option<&[f64]>, i: usize) -> f64 {
    scale.map_or(1.0, |s| s[i])
}
