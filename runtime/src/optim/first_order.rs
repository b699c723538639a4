//! SGD (momentum, Nesterov), Adam/AdamW and RMSProp, with weight decay and per-entry learning
//! rates. The update rules follow PyTorch's documented algorithms, so hyperparameters carry
//! over.

use dfdx::shapes::Dtype;
use dfdx::tensor_ops::Device;

use super::{apply_rule, scale_at, LrScales, Optimizer, OptimizerState, SlotState};
use crate::error::Result;
use crate::params::Model;

/// How weight decay enters an update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WeightDecay {
    /// Classic L2 regularization: `g ← g + λθ` before the rule. In Adam this decay is divided by
    /// the second-moment estimate like the rest of the gradient, which is why AdamW exists.
    L2(f64),
    /// Decoupled (AdamW): `θ ← θ − η λ θ`, applied next to the rule, independent of the
    /// gradient statistics.
    Decoupled(f64),
}

fn l2(wd: Option<WeightDecay>) -> f64 {
    match wd {
        Some(WeightDecay::L2(l)) => l,
        _ => 0.0,
    }
}

fn decoupled(wd: Option<WeightDecay>) -> f64 {
    match wd {
        Some(WeightDecay::Decoupled(l)) => l,
        _ => 0.0,
    }
}

/// Stochastic gradient descent with optional (Nesterov) momentum and weight decay.
///
/// With momentum `μ`: `v ← μv + g`, then `θ ← θ − η v`, or with Nesterov `θ ← θ − η(g + μv)`.
#[derive(Debug, Clone)]
pub struct Sgd {
    /// Base learning rate `η`.
    pub lr: f64,
    /// Momentum `μ` (0 = plain SGD).
    pub momentum: f64,
    /// Nesterov's look-ahead form of momentum.
    pub nesterov: bool,
    /// Weight decay, if any.
    pub weight_decay: Option<WeightDecay>,
    scales: LrScales,
    state: SlotState,
    steps: u64,
}

impl Sgd {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: 0.0,
            nesterov: false,
            weight_decay: None,
            scales: LrScales::new(),
            state: SlotState::default(),
            steps: 0,
        }
    }
    /// Heavy-ball momentum `μ`.
    pub fn momentum(mut self, mu: f64) -> Self {
        self.momentum = mu;
        self
    }
    /// Nesterov momentum `μ`.
    pub fn nesterov(mut self, mu: f64) -> Self {
        self.momentum = mu;
        self.nesterov = true;
        self
    }
    /// Weight decay.
    pub fn weight_decay(mut self, wd: WeightDecay) -> Self {
        self.weight_decay = Some(wd);
        self
    }
}

/// The `Optimizer` methods every first-order optimizer shares: base rate, per-entry scales,
/// step count, and its per-parameter buffers (`$buffers` of them) saved under `$kind`.
macro_rules! bookkeeping {
    ($kind:literal, $buffers:literal) => {
        fn lr(&self) -> f64 {
            self.lr
        }
        fn set_lr(&mut self, lr: f64) {
            self.lr = lr;
        }
        fn lr_scales(&self) -> &LrScales {
            &self.scales
        }
        fn lr_scales_mut(&mut self) -> &mut LrScales {
            &mut self.scales
        }
        fn steps(&self) -> u64 {
            self.steps
        }
        fn reset(&mut self) {
            self.state.clear();
            self.steps = 0;
        }
        fn state(&self) -> OptimizerState {
            self.state.export($kind, self.steps, self.lr)
        }
        fn set_state(&mut self, state: OptimizerState) -> Result<()> {
            self.state.import($kind, $buffers, &state)?;
            self.steps = state.steps;
            self.lr = state.lr;
            Ok(())
        }
    };
}

impl Optimizer for Sgd {
    fn step<E: Dtype, D: Device<E>, M: Model<E, D>>(
        &mut self,
        model: &mut M,
        grads: &M::Grads,
    ) -> Result<()> {
        let (lr, mu, nesterov) = (self.lr, self.momentum, self.nesterov);
        let (wd2, wdd) = (l2(self.weight_decay), decoupled(self.weight_decay));
        apply_rule(model, grads, &self.scales, &mut self.state, 1, |p, g, s, st| {
            let v = &mut st[0];
            for i in 0..p.len() {
                let eta = lr * scale_at(s, i);
                let gi = g[i] + wd2 * p[i];
                let d = if mu != 0.0 {
                    // The buffer starts at zero, so the first step is `v = g`, as in PyTorch.
                    v[i] = mu * v[i] + gi;
                    if nesterov {
                        gi + mu * v[i]
                    } else {
                        v[i]
                    }
                } else {
                    gi
                };
                p[i] -= eta * (d + wdd * p[i]);
            }
        })?;
        self.steps += 1;
        Ok(())
    }
    bookkeeping!("sgd", 1);
}

/// Adam, and AdamW when given [`WeightDecay::Decoupled`].
///
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`, `θ ← θ − η m̂ / (√v̂ + ε)` with bias-corrected
/// `m̂ = m/(1−β₁ᵗ)`, `v̂ = v/(1−β₂ᵗ)`.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Base learning rate `η`.
    pub lr: f64,
    /// `β₁`, `β₂`.
    pub betas: (f64, f64),
    /// `ε`, added to `√v̂`.
    pub eps: f64,
    /// Weight decay, if any (decoupled = AdamW).
    pub weight_decay: Option<WeightDecay>,
    scales: LrScales,
    state: SlotState,
    steps: u64,
}

impl Adam {
    /// Adam with learning rate `lr`, betas (0.9, 0.999), ε = 1e-8.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: None,
            scales: LrScales::new(),
            state: SlotState::default(),
            steps: 0,
        }
    }
    /// AdamW: Adam with decoupled weight decay `wd` (PyTorch's default is 0.01).
    pub fn adamw(lr: f64, wd: f64) -> Self {
        Self::new(lr).weight_decay(WeightDecay::Decoupled(wd))
    }
    /// Sets `β₁`, `β₂`.
    pub fn betas(mut self, b1: f64, b2: f64) -> Self {
        self.betas = (b1, b2);
        self
    }
    /// Sets `ε`.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Weight decay.
    pub fn weight_decay(mut self, wd: WeightDecay) -> Self {
        self.weight_decay = Some(wd);
        self
    }
}

impl Optimizer for Adam {
    fn step<E: Dtype, D: Device<E>, M: Model<E, D>>(
        &mut self,
        model: &mut M,
        grads: &M::Grads,
    ) -> Result<()> {
        let t = self.steps + 1;
        let (lr, (b1, b2), eps) = (self.lr, self.betas, self.eps);
        let (wd2, wdd) = (l2(self.weight_decay), decoupled(self.weight_decay));
        let c1 = 1.0 - b1.powf(t as f64);
        let c2 = 1.0 - b2.powf(t as f64);
        apply_rule(model, grads, &self.scales, &mut self.state, 2, |p, g, s, st| {
            let (m, v) = st.split_at_mut(1);
            let (m, v) = (&mut m[0], &mut v[0]);
            for i in 0..p.len() {
                let eta = lr * scale_at(s, i);
                let gi = g[i] + wd2 * p[i];
                m[i] = b1 * m[i] + (1.0 - b1) * gi;
                v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
                let mhat = m[i] / c1;
                let vhat = v[i] / c2;
                p[i] -= eta * (mhat / (vhat.sqrt() + eps) + wdd * p[i]);
            }
        })?;
        self.steps = t;
        Ok(())
    }
    bookkeeping!("adam", 2);
}

/// RMSProp: `v ← αv + (1−α)g²`, `θ ← θ − η g/(√v + ε)`, optionally with momentum on the
/// normalized step (`b ← μb + g/(√v+ε)`, `θ ← θ − ηb`).
#[derive(Debug, Clone)]
pub struct RmsProp {
    /// Base learning rate `η`.
    pub lr: f64,
    /// Smoothing constant `α` (0.99 in PyTorch).
    pub alpha: f64,
    /// `ε`, added to `√v`.
    pub eps: f64,
    /// Momentum `μ` (0 = none).
    pub momentum: f64,
    /// Weight decay, if any.
    pub weight_decay: Option<WeightDecay>,
    scales: LrScales,
    state: SlotState,
    steps: u64,
}

impl RmsProp {
    /// RMSProp with learning rate `lr`, α = 0.99, ε = 1e-8, no momentum.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            alpha: 0.99,
            eps: 1e-8,
            momentum: 0.0,
            weight_decay: None,
            scales: LrScales::new(),
            state: SlotState::default(),
            steps: 0,
        }
    }
    /// Sets `α`.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }
    /// Sets `ε`.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Momentum `μ`.
    pub fn momentum(mut self, mu: f64) -> Self {
        self.momentum = mu;
        self
    }
    /// Weight decay.
    pub fn weight_decay(mut self, wd: WeightDecay) -> Self {
        self.weight_decay = Some(wd);
        self
    }
}

impl Optimizer for RmsProp {
    fn step<E: Dtype, D: Device<E>, M: Model<E, D>>(
        &mut self,
        model: &mut M,
        grads: &M::Grads,
    ) -> Result<()> {
        let (lr, a, eps, mu) = (self.lr, self.alpha, self.eps, self.momentum);
        let (wd2, wdd) = (l2(self.weight_decay), decoupled(self.weight_decay));
        apply_rule(model, grads, &self.scales, &mut self.state, 2, |p, g, s, st| {
            let (v, b) = st.split_at_mut(1);
            let (v, b) = (&mut v[0], &mut b[0]);
            for i in 0..p.len() {
                let eta = lr * scale_at(s, i);
                let gi = g[i] + wd2 * p[i];
                v[i] = a * v[i] + (1.0 - a) * gi * gi;
                let d = gi / (v[i].sqrt() + eps);
                let d = if mu != 0.0 {
                    b[i] = mu * b[i] + d;
                    b[i]
                } else {
                    d
                };
                p[i] -= eta * (d + wdd * p[i]);
            }
        })?;
        self.steps += 1;
        Ok(())
    }
    bookkeeping!("rmsprop", 2);
}
