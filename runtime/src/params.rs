//! The parameter visitor: the one interface through which optimizers, checkpoints, gradcheck
//! and training loops see any model, generated or composed.
//!
//! A model's parameters have different static shapes, so they cannot sit in one `Vec`. Instead a
//! model calls a visitor once per tensor, in a fixed order, with a dotted name (`enc.w1`). The
//! visitor's method is generic over the shape, so it can run dfdx ops on the tensor directly, or
//! copy it out with [`dfdx::tensor::AsArray`]-free helpers such as [`to_flat`].
//!
//! Gradient structs implement [`Params`] too (same names, same shapes), so everything that works
//! on parameters works on gradients.

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::{Device, ReshapeTo};

use crate::error::{Error, Result};

/// Sees each tensor by shared reference.
pub trait TensorVisitor<E: Dtype, D: Device<E>> {
    /// Visits one tensor called `name` (dotted path).
    fn visit<S: Shape>(&mut self, name: &str, t: &Tensor<S, E, D>) -> Result<()>;
}

/// Sees each tensor by mutable reference (initialization, loading, updates).
pub trait TensorVisitorMut<E: Dtype, D: Device<E>> {
    /// Visits one tensor called `name` (dotted path).
    fn visit<S: Shape>(&mut self, name: &str, t: &mut Tensor<S, E, D>) -> Result<()>;
}

/// Sees each parameter together with its gradient (optimizer steps).
pub trait TensorPairVisitor<E: Dtype, D: Device<E>> {
    /// Visits parameter `name` and its gradient, which has the same shape.
    fn visit<S: Shape>(
        &mut self,
        name: &str,
        param: &mut Tensor<S, E, D>,
        grad: &Tensor<S, E, D>,
    ) -> Result<()>;
}

/// Something made of named tensors: a model or its gradient.
pub trait Params<E: Dtype, D: Device<E>> {
    /// Calls `v` once per tensor, in declaration order, names prefixed by `prefix`.
    fn visit_params<V: TensorVisitor<E, D>>(&self, prefix: &str, v: &mut V) -> Result<()>;
    /// Same as [`Params::visit_params`] with mutable access.
    fn visit_params_mut<V: TensorVisitorMut<E, D>>(&mut self, prefix: &str, v: &mut V) -> Result<()>;
}

/// A trainable model: parameters plus a gradient type of the same layout.
pub trait Model<E: Dtype, D: Device<E>>: Params<E, D> + Clone {
    /// One field per parameter, same static shapes.
    type Grads: Params<E, D> + Clone;
    /// A gradient of zeros, on the model's device.
    fn zero_grads(&self) -> Self::Grads;
    /// Calls `v` with each parameter and the matching tensor of `grads`.
    fn visit_with_grads<V: TensorPairVisitor<E, D>>(
        &mut self,
        grads: &Self::Grads,
        prefix: &str,
        v: &mut V,
    ) -> Result<()>;
}

/// Joins a prefix and a field name with a dot, leaving out an empty prefix.
pub fn join_name(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Name and shape (as run-time dims) of one tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamInfo {
    /// Dotted name.
    pub name: String,
    /// Dims, outermost first.
    pub shape: Vec<usize>,
}

impl ParamInfo {
    /// Number of scalars.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Names and shapes of every tensor of `p`, in visiting order.
pub fn param_infos<E: Dtype, D: Device<E>, P: Params<E, D>>(p: &P) -> Vec<ParamInfo> {
    struct Collect(Vec<ParamInfo>);
    impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for Collect {
        fn visit<S: Shape>(&mut self, name: &str, t: &Tensor<S, E, D>) -> Result<()> {
            use dfdx::shapes::HasShape;
            self.0.push(ParamInfo {
                name: name.to_string(),
                shape: t.shape().concrete().into_iter().collect(),
            });
            Ok(())
        }
    }
    let mut c = Collect(Vec::new());
    // Collect never fails.
    let _ = p.visit_params("", &mut c);
    c.0
}

/// Total number of scalars in `p`.
pub fn num_params<E: Dtype, D: Device<E>, P: Params<E, D>>(p: &P) -> usize {
    param_infos(p).iter().map(ParamInfo::numel).sum()
}

/// Copies every tensor of `p` into one `f64` vector, in visiting order.
pub fn to_flat<E: Dtype, D: Device<E>, P: Params<E, D>>(p: &P) -> Vec<f64> {
    struct Flatten(Vec<f64>);
    impl<E: Dtype, D: Device<E>> TensorVisitor<E, D> for Flatten {
        fn visit<S: Shape>(&mut self, _: &str, t: &Tensor<S, E, D>) -> Result<()> {
            self.0
                .extend(t.as_vec().into_iter().map(|x| x.to_f64().unwrap_or(f64::NAN)));
            Ok(())
        }
    }
    let mut f = Flatten(Vec::new());
    let _ = p.visit_params("", &mut f);
    f.0
}

/// Overwrites every tensor of `p` from a flat `f64` vector laid out as [`to_flat`] writes it.
/// Checks the length first, so a wrong vector changes nothing.
pub fn set_flat<E: Dtype, D: Device<E>, P: Params<E, D>>(p: &mut P, flat: &[f64]) -> Result<()> {
    let n = num_params(p);
    if flat.len() != n {
        return Err(Error::Shape {
            context: "set_flat".into(),
            tensor: "flat parameter vector".into(),
            expected: format!("[{n}]"),
            found: format!("[{}]", flat.len()),
        });
    }
    struct Fill<'a>(&'a [f64]);
    impl<E: Dtype, D: Device<E>> TensorVisitorMut<E, D> for Fill<'_> {
        fn visit<S: Shape>(&mut self, _: &str, t: &mut Tensor<S, E, D>) -> Result<()> {
            use dfdx::shapes::HasShape;
            let k = t.shape().num_elements();
            let (head, rest) = self.0.split_at(k);
            let data: Vec<E> = head.iter().map(|&x| E::from_f64(x).unwrap_or_default()).collect();
            *t = t.device().tensor_from_vec(data, *t.shape());
            self.0 = rest;
            Ok(())
        }
    }
    p.visit_params_mut("", &mut Fill(flat))
}

/// Plain SGD on the device: `p ← p − lr · g` for every parameter, with dfdx ops (no host
/// round trip). The optimizers in [`crate::optim`] do more (momentum, Adam, per-entry rates)
/// on the host; this is the minimal step benchmarks and tight loops want.
pub fn sgd_step_on_device<E: Dtype, D: Device<E>, M: Model<E, D>>(
    model: &mut M,
    grads: &M::Grads,
    lr: f64,
) -> Result<()> {
    struct Step(f64);
    impl<E: Dtype, D: Device<E>> TensorPairVisitor<E, D> for Step {
        fn visit<S: Shape>(&mut self, _: &str, p: &mut Tensor<S, E, D>, g: &Tensor<S, E, D>) -> Result<()> {
            // One in-place pass (dfdx's axpy) instead of a scale and a subtraction, each
            // allocating. axpy needs equal strides: reshaping a tensor to its own shape is free
            // when it is contiguous and makes views (transposed or broadcast gradients) so.
            let shape = *p.shape();
            *p = p.clone().reshape_like(&shape);
            let g = g.clone().reshape_like(&shape);
            p.axpy(1.0, &g, -self.0);
            Ok(())
        }
    }
    model.visit_with_grads(grads, "", &mut Step(lr))
}
