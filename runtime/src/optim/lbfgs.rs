//! Limited-memory BFGS (Nocedal & Wright, Algorithms 7.4 and 7.5).
//!
//! Keeps the last `m` pairs `sₖ = xₖ₊₁ − xₖ`, `yₖ = ∇fₖ₊₁ − ∇fₖ` and applies the inverse-Hessian
//! estimate to the gradient by the two-loop recursion in `O(m·n)`, with the initial scaling
//! `H₀ = (sᵀy / yᵀy) I` that makes the unit step usually acceptable.

use std::collections::VecDeque;

use dfdx::shapes::Dtype;
use dfdx::tensor_ops::Device;

use super::linesearch::StrongWolfe;
use super::objective::{dot, eval_checked, norm_inf, MinimizeReport, ModelObjective, Objective, StopReason};
use crate::error::{Error, Result};
use crate::params::Model;

/// Settings of [`Lbfgs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsConfig {
    /// History length `m` (10).
    pub history: usize,
    /// Iteration limit (1000).
    pub max_iter: usize,
    /// Stop when `‖∇f‖∞ ≤ gtol` (1e-8).
    pub gtol: f64,
    /// Stop when `|fₖ − fₖ₊₁| ≤ ftol · max(|fₖ|, |fₖ₊₁|, 1)` (1e-15, i.e. only at round-off).
    pub ftol: f64,
    /// The line search.
    pub line_search: StrongWolfe,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        Self {
            history: 10,
            max_iter: 1000,
            gtol: 1e-8,
            ftol: 1e-15,
            line_search: StrongWolfe::default(),
        }
    }
}

/// The information passed to an iteration callback.
#[derive(Debug, Clone, Copy)]
pub struct Iterate<'a> {
    /// Iteration number (0 = the starting point).
    pub iter: usize,
    /// Current point.
    pub x: &'a [f64],
    /// `f(x)`.
    pub f: f64,
    /// `‖∇f(x)‖∞`.
    pub grad_norm: f64,
}

/// L-BFGS with a strong-Wolfe line search.
#[derive(Debug, Clone, Default)]
pub struct Lbfgs {
    /// Settings.
    pub config: LbfgsConfig,
}

impl Lbfgs {
    /// L-BFGS with the given settings.
    pub fn new(config: LbfgsConfig) -> Self {
        Self { config }
    }

    /// Minimizes `obj` from `x0`.
    pub fn minimize<O: Objective + ?Sized>(&self, obj: &mut O, x0: &[f64]) -> Result<MinimizeReport> {
        self.minimize_with(obj, x0, |_| true)
    }

    /// Minimizes `obj` from `x0`, calling `on_iter` at the start and after every accepted step;
    /// it returns `false` to stop early (the report then says [`StopReason::Callback`]).
    pub fn minimize_with<O: Objective + ?Sized>(
        &self,
        obj: &mut O,
        x0: &[f64],
        mut on_iter: impl FnMut(&Iterate<'_>) -> bool,
    ) -> Result<MinimizeReport> {
        let cfg = &self.config;
        let n = obj.dim();
        if x0.len() != n {
            return Err(super::objective::grad_len_error(n, x0.len()));
        }
        if cfg.history == 0 {
            return Err(Error::Other("L-BFGS needs a history length of at least 1".into()));
        }
        let mut x = x0.to_vec();
        let (mut f, mut g) = eval_checked(obj, &x, "L-BFGS starting point")?;
        let mut evals = 1;
        let mut hist: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::with_capacity(cfg.history);
        let mut iter = 0;
        let report = |x: Vec<f64>, f: f64, g: &[f64], iterations, evaluations, reason| MinimizeReport {
            x,
            f,
            grad_norm: norm_inf(g),
            iterations,
            evaluations,
            reason,
        };
        loop {
            let gn = norm_inf(&g);
            if !on_iter(&Iterate {
                iter,
                x: &x,
                f,
                grad_norm: gn,
            }) {
                return Ok(report(x, f, &g, iter, evals, StopReason::Callback));
            }
            if gn <= cfg.gtol {
                return Ok(report(x, f, &g, iter, evals, StopReason::GradientTolerance));
            }
            if iter >= cfg.max_iter {
                return Ok(report(x, f, &g, iter, evals, StopReason::MaxIterations));
            }
            let d = two_loop(&g, &hist);
            // Without curvature information the direction is −g, whose length says nothing
            // about the step; start at 1/‖g‖ (a unit move) instead of 1.
            let alpha0 = if hist.is_empty() {
                (1.0 / dot(&g, &g).sqrt()).min(1.0)
            } else {
                1.0
            };
            let mut out = cfg.line_search.search(obj, &x, f, &g, &d, alpha0)?;
            evals += out.evals;
            if out.accepted.is_none() && !hist.is_empty() {
                // The history can mislead after the landscape changes; retry once along −g.
                hist.clear();
                let sd: Vec<f64> = g.iter().map(|v| -v).collect();
                let a0 = (1.0 / dot(&g, &g).sqrt()).min(1.0);
                out = cfg.line_search.search(obj, &x, f, &g, &sd, a0)?;
                evals += out.evals;
            }
            let Some(step) = out.accepted.or(out.best_armijo) else {
                return Ok(report(x, f, &g, iter, evals, StopReason::NoProgress));
            };
            let s: Vec<f64> = step.x.iter().zip(&x).map(|(a, b)| a - b).collect();
            let y: Vec<f64> = step.g.iter().zip(&g).map(|(a, b)| a - b).collect();
            let sy = dot(&s, &y);
            // Skip pairs without positive curvature (only possible when the search fell back to
            // an Armijo-only point): they would make the estimate indefinite.
            if sy > 1e-12 * dot(&y, &y).sqrt() * dot(&s, &s).sqrt() {
                if hist.len() == cfg.history {
                    hist.pop_front();
                }
                hist.push_back((s, y, 1.0 / sy));
            }
            let f_old = f;
            x = step.x;
            f = step.f;
            g = step.g;
            iter += 1;
            if (f_old - f).abs() <= cfg.ftol * f_old.abs().max(f.abs()).max(1.0) && norm_inf(&g) > cfg.gtol {
                return Ok(report(x, f, &g, iter, evals, StopReason::ValueTolerance));
            }
        }
    }

    /// Minimizes a model's loss: `loss_grad(&model)` returns `(loss, grads)` at the model's
    /// current parameters. The model ends at the answer.
    pub fn minimize_model<E, D, M, F>(&self, model: &mut M, loss_grad: F) -> Result<MinimizeReport>
    where
        E: Dtype,
        D: Device<E>,
        M: Model<E, D>,
        F: FnMut(&M) -> Result<(E, M::Grads)>,
    {
        let mut obj = ModelObjective::new(model, loss_grad);
        let x0 = obj.x0();
        let r = self.minimize(&mut obj, &x0)?;
        obj.finish(&r.x)?;
        Ok(r)
    }
}

/// `−H g` by the two-loop recursion; `H₀ = γI` with `γ = sᵀy/yᵀy` of the newest pair.
fn two_loop(g: &[f64], hist: &VecDeque<(Vec<f64>, Vec<f64>, f64)>) -> Vec<f64> {
    let mut q = g.to_vec();
    let mut alphas = vec![0.0; hist.len()];
    for (k, (s, y, rho)) in hist.iter().enumerate().rev() {
        let a = rho * dot(s, &q);
        alphas[k] = a;
        q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
    }
    if let Some((s, y, _)) = hist.back() {
        let gamma = dot(s, y) / dot(y, y);
        q.iter_mut().for_each(|qi| *qi *= gamma);
    }
    for (k, (s, y, rho)) in hist.iter().enumerate() {
        let b = rho * dot(y, &q);
        q.iter_mut()
            .zip(s)
            .for_each(|(qi, si)| *qi += (alphas[k] - b) * si);
    }
    q.iter_mut().for_each(|v| *v = -*v);
    q
}
