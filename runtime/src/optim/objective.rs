//! Flat `f64` objectives for the full-batch optimizers ([`super::Lbfgs`], [`super::Newton`]).

use std::marker::PhantomData;

use dfdx::shapes::Dtype;
use dfdx::tensor_ops::Device;

use crate::error::{Error, Result};
use crate::params::{num_params, set_flat, to_flat, Model};

/// A differentiable scalar function of a flat vector.
pub trait Objective {
    /// Number of variables.
    fn dim(&self) -> usize;
    /// `f(x)` and `∇f(x)` (length [`Objective::dim`]).
    fn value_grad(&mut self, x: &[f64]) -> Result<(f64, Vec<f64>)>;
}

/// An objective that also gives its dense Hessian, for Newton's method.
pub trait SecondOrderObjective: Objective {
    /// `∇²f(x)`, row-major, `dim × dim`.
    fn hessian(&mut self, x: &[f64]) -> Result<Vec<f64>>;
}

/// An [`Objective`] (and, with a Hessian closure, a [`SecondOrderObjective`]) from closures.
/// Plain math functions (Rosenbrock, quadratics) and hand-written losses use it.
pub struct FnObjective<F, H = NoHessian> {
    dim: usize,
    f: F,
    h: H,
}

impl<F: FnMut(&[f64]) -> Result<(f64, Vec<f64>)>> FnObjective<F> {
    /// `f(x) -> (value, gradient)` over `dim` variables.
    pub fn new(dim: usize, f: F) -> Self {
        Self { dim, f, h: NoHessian }
    }
    /// Adds a dense Hessian `h(x)` (row-major).
    pub fn with_hessian<H: FnMut(&[f64]) -> Result<Vec<f64>>>(self, h: H) -> FnObjective<F, H> {
        FnObjective {
            dim: self.dim,
            f: self.f,
            h,
        }
    }
}

impl<F: FnMut(&[f64]) -> Result<(f64, Vec<f64>)>, H> Objective for FnObjective<F, H> {
    fn dim(&self) -> usize {
        self.dim
    }
    fn value_grad(&mut self, x: &[f64]) -> Result<(f64, Vec<f64>)> {
        (self.f)(x)
    }
}

impl<F, H> SecondOrderObjective for FnObjective<F, H>
where
    F: FnMut(&[f64]) -> Result<(f64, Vec<f64>)>,
    H: FnMut(&[f64]) -> Result<Vec<f64>>,
{
    fn hessian(&mut self, x: &[f64]) -> Result<Vec<f64>> {
        (self.h)(x)
    }
}

/// Marker: no Hessian available. Objectives carrying it are not [`SecondOrderObjective`]s, so
/// passing one to Newton's method is a compile error rather than a run-time surprise.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHessian;

/// Computes the dense Hessian of a model's loss at the model's current parameters, in
/// [`to_flat`] order, row-major. The compile-time second-order support of the macro will supply
/// one; until then [`FdHessian`] differentiates the gradient numerically. Any
/// `FnMut(&M) -> Result<Vec<f64>>` is a hook.
pub trait HessianHook<M> {
    /// The Hessian at `model`'s parameters.
    fn hessian(&mut self, model: &M) -> Result<Vec<f64>>;
}

impl<M, F: FnMut(&M) -> Result<Vec<f64>>> HessianHook<M> for F {
    fn hessian(&mut self, model: &M) -> Result<Vec<f64>> {
        self(model)
    }
}

/// A model seen as a flat objective: `x` is written into the model with [`set_flat`], then
/// `loss_grad(&model)` gives `(loss, grads)` (e.g. `|m| m.loss_and_grad(&x, &y)`), and the
/// gradient struct is flattened with [`to_flat`].
///
/// The model is left at the last *evaluated* point, which a line search may have rejected;
/// call [`ModelObjective::finish`] with the optimizer's answer (the `minimize_model` helpers of
/// the optimizers do this).
pub struct ModelObjective<'m, E, D, M, F, H = NoHessian> {
    model: &'m mut M,
    loss_grad: F,
    hessian: H,
    dim: usize,
    _dtype: PhantomData<fn() -> (E, D)>,
}

impl<'m, E, D, M, F> ModelObjective<'m, E, D, M, F, NoHessian>
where
    E: Dtype,
    D: Device<E>,
    M: Model<E, D>,
    F: FnMut(&M) -> Result<(E, M::Grads)>,
{
    /// Wraps `model` and its loss-and-gradient closure.
    pub fn new(model: &'m mut M, loss_grad: F) -> Self {
        let dim = num_params(model);
        Self {
            model,
            loss_grad,
            hessian: NoHessian,
            dim,
            _dtype: PhantomData,
        }
    }

    /// Adds a Hessian hook, making this a [`SecondOrderObjective`].
    pub fn with_hessian<H: HessianHook<M>>(self, hessian: H) -> ModelObjective<'m, E, D, M, F, H> {
        ModelObjective {
            model: self.model,
            loss_grad: self.loss_grad,
            hessian,
            dim: self.dim,
            _dtype: PhantomData,
        }
    }
}

impl<E, D, M, F, H> ModelObjective<'_, E, D, M, F, H>
where
    E: Dtype,
    D: Device<E>,
    M: Model<E, D>,
{
    /// The model's current parameters, as a starting point.
    pub fn x0(&self) -> Vec<f64> {
        to_flat(&*self.model)
    }
    /// Writes `x` (normally the optimizer's result) into the model.
    pub fn finish(self, x: &[f64]) -> Result<()> {
        set_flat(self.model, x)
    }
}

impl<E, D, M, F, H> Objective for ModelObjective<'_, E, D, M, F, H>
where
    E: Dtype,
    D: Device<E>,
    M: Model<E, D>,
    F: FnMut(&M) -> Result<(E, M::Grads)>,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn value_grad(&mut self, x: &[f64]) -> Result<(f64, Vec<f64>)> {
        set_flat(self.model, x)?;
        let (loss, grads) = (self.loss_grad)(&*self.model)?;
        Ok((loss.to_f64().unwrap_or(f64::NAN), to_flat(&grads)))
    }
}

impl<E, D, M, F, H> SecondOrderObjective for ModelObjective<'_, E, D, M, F, H>
where
    E: Dtype,
    D: Device<E>,
    M: Model<E, D>,
    F: FnMut(&M) -> Result<(E, M::Grads)>,
    H: HessianHook<M>,
{
    fn hessian(&mut self, x: &[f64]) -> Result<Vec<f64>> {
        set_flat(self.model, x)?;
        self.hessian.hessian(&*self.model)
    }
}

/// The Hessian of `obj` at `x` by central differences of its gradient, symmetrized:
/// `H[:, j] ≈ (∇f(x + h e_j) − ∇f(x − h e_j)) / 2h`. Costs `2·dim` gradient evaluations; the
/// error is `O(h²)` plus round-off `O(ε/h)`, so `h ≈ 1e-5` (relative to `|x_j|`) suits `f64`.
pub fn fd_hessian<O: Objective + ?Sized>(obj: &mut O, x: &[f64], h: f64) -> Result<Vec<f64>> {
    let n = obj.dim();
    let mut hess = vec![0.0; n * n];
    let mut xp = x.to_vec();
    for j in 0..n {
        let step = h * x[j].abs().max(1.0);
        xp[j] = x[j] + step;
        let (_, gp) = obj.value_grad(&xp)?;
        xp[j] = x[j] - step;
        let (_, gm) = obj.value_grad(&xp)?;
        xp[j] = x[j];
        if gp.len() != n || gm.len() != n {
            return Err(grad_len_error(n, gp.len().min(gm.len())));
        }
        for i in 0..n {
            hess[i * n + j] = (gp[i] - gm[i]) / (2.0 * step);
        }
    }
    for i in 0..n {
        for j in 0..i {
            let s = 0.5 * (hess[i * n + j] + hess[j * n + i]);
            hess[i * n + j] = s;
            hess[j * n + i] = s;
        }
    }
    Ok(hess)
}

/// Makes any [`Objective`] second-order with a finite-difference Hessian ([`fd_hessian`]).
pub struct FdHessian<O> {
    /// The wrapped objective.
    pub inner: O,
    /// Relative step.
    pub h: f64,
}

impl<O: Objective> FdHessian<O> {
    /// Wraps `inner` with relative step `h` (1e-5 is a good default for `f64`).
    pub fn new(inner: O, h: f64) -> Self {
        Self { inner, h }
    }
}

impl<O: Objective> Objective for FdHessian<O> {
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn value_grad(&mut self, x: &[f64]) -> Result<(f64, Vec<f64>)> {
        self.inner.value_grad(x)
    }
}

impl<O: Objective> SecondOrderObjective for FdHessian<O> {
    fn hessian(&mut self, x: &[f64]) -> Result<Vec<f64>> {
        let h = self.h;
        fd_hessian(&mut self.inner, x, h)
    }
}

pub(crate) fn grad_len_error(expected: usize, found: usize) -> Error {
    Error::Shape {
        context: "objective gradient".into(),
        tensor: "gradient".into(),
        expected: format!("[{expected}]"),
        found: format!("[{found}]"),
    }
}

/// Why a full-batch optimizer stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// `‖∇f‖∞ ≤ gtol`.
    GradientTolerance,
    /// The objective changed by less than `ftol` (relative) over an iteration.
    ValueTolerance,
    /// The iteration limit was hit first.
    MaxIterations,
    /// The iteration callback asked to stop.
    Callback,
    /// No acceptable step was found (line search failed twice, or Newton's damping exceeded its
    /// limit): usually the answer is as good as the precision of `f` allows.
    NoProgress,
}

/// The outcome of a full-batch minimization.
#[derive(Debug, Clone, PartialEq)]
pub struct MinimizeReport {
    /// The final point.
    pub x: Vec<f64>,
    /// `f(x)`.
    pub f: f64,
    /// `‖∇f(x)‖∞`.
    pub grad_norm: f64,
    /// Iterations (accepted steps).
    pub iterations: usize,
    /// Objective (value-and-gradient) evaluations.
    pub evaluations: usize,
    /// Why it stopped.
    pub reason: StopReason,
}

impl MinimizeReport {
    /// Whether a convergence test (gradient or value tolerance) stopped it.
    pub fn converged(&self) -> bool {
        matches!(
            self.reason,
            StopReason::GradientTolerance | StopReason::ValueTolerance
        )
    }
}

/// Evaluates `obj` at `x`, checking the gradient length and that the result is finite.
pub(crate) fn eval_checked<O: Objective + ?Sized>(
    obj: &mut O,
    x: &[f64],
    context: &str,
) -> Result<(f64, Vec<f64>)> {
    let (f, g) = obj.value_grad(x)?;
    if g.len() != x.len() {
        return Err(grad_len_error(x.len(), g.len()));
    }
    if !f.is_finite() {
        return Err(Error::NonFinite {
            context: context.into(),
            tensor: "objective".into(),
            index: 0,
            value: f,
        });
    }
    if let Some((i, &v)) = g.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFinite {
            context: context.into(),
            tensor: "gradient".into(),
            index: i,
            value: v,
        });
    }
    Ok((f, g))
}

pub(crate) fn norm_inf(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
