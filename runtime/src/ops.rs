//! Kernels that derived backward passes call where dfdx has no single op, and the small glue
//! (scalars, constants, tracing, shape checks) the generated code shares. Everything here is
//! device-generic: it is written with dfdx ops, so it runs wherever dfdx does.

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::{NoneTape, OwnedTape, PutTape, SplitTape, Tape, Tensor};
use dfdx::tensor_ops::{ChooseFrom, Device, TryEq, TryGt};

use crate::error::Error;

/// `x` as the model's dtype. Literals in the DSL are `f64`; this is the one conversion point.
#[inline]
pub fn scalar<E: Dtype>(x: f64) -> E {
    E::from_f64(x).unwrap_or_default()
}

/// A constant tensor of `shape`, every entry `c`.
pub fn fill<S: Shape, E: Dtype, D: Device<E>>(dev: &D, shape: S, c: f64) -> Tensor<S, E, D> {
    let z: Tensor<S, E, D> = dev.zeros_like(&shape);
    if c == 0.0 {
        z
    } else {
        z + scalar::<E>(c)
    }
}

/// Heaviside step: 1 where `x > 0`, else 0 (ReLU's derivative).
pub fn step<S: Shape, E: Dtype, D: Device<E>>(x: Tensor<S, E, D>) -> Tensor<S, E, D> {
    let dev = x.device().clone();
    let shape = *x.shape();
    TryGt::gt(&x, E::default()).choose(dev.ones_like(&shape), dev.zeros_like(&shape))
}

/// Sign: -1, 0 or 1 (the derivative of `abs`, 0 at 0 like dfdx's).
pub fn sign<S: Shape, E: Dtype, D: Device<E>>(x: Tensor<S, E, D>) -> Tensor<S, E, D> {
    step(x.clone()) - step(x.negate())
}

/// 1 where `a == b`, else 0 (routes `max`'s gradient to the maxima).
pub fn eq_mask<S: Shape, E: Dtype, D: Device<E>>(a: Tensor<S, E, D>, b: Tensor<S, E, D>) -> Tensor<S, E, D> {
    let dev = a.device().clone();
    let shape = *a.shape();
    TryEq::eq(&a, &b).choose(dev.ones_like(&shape), dev.zeros_like(&shape))
}

/// Starts recording `t` on a fresh tape (the dfdx-tape oracle traces every leaf this way).
pub fn traced<S: Shape, E: Dtype, D: Device<E>>(t: Tensor<S, E, D>) -> Tensor<S, E, D, OwnedTape<E, D>> {
    t.put_tape(OwnedTape::default())
}

/// Identity forward, no gradient. On a tape it keeps the history of `x` (so other uses of
/// its ancestors still reach the loss) but gives the result a fresh id no backward op reads.
pub trait StopGradient {
    fn stop_grad(self) -> Self;
}

impl<S: Shape, E: Dtype, D: Device<E>> StopGradient for Tensor<S, E, D, NoneTape> {
    fn stop_grad(self) -> Self {
        self
    }
}

impl<S: Shape, E: Dtype, D: Device<E>> StopGradient for Tensor<S, E, D, OwnedTape<E, D>> {
    fn stop_grad(self) -> Self {
        let (t, tape): (Tensor<S, E, D>, OwnedTape<E, D>) = self.split_tape();
        // Multiplying by one allocates a new tensor with a new id and records nothing.
        let fresh = t * scalar::<E>(1.0);
        fresh.put_tape(tape)
    }
}

/// The value of a scalar tensor.
pub fn value<E: Dtype, D: Device<E>, T: Tape<E, D>>(t: &Tensor<(), E, D, T>) -> E {
    t.as_vec()[0]
}

/// Binds or checks a run-time dim. `dims` are the argument's dims; `axis` the one to read.
/// Returns the error the user sees when two arguments disagree, naming the tensor and shapes.
pub fn bind_dim(
    context: &str,
    tensor: &str,
    declared: &str,
    found: &[usize],
    axis: usize,
    slot: &mut Option<usize>,
    dim_name: &str,
) -> Result<usize, Error> {
    let v = found[axis];
    match *slot {
        None => {
            if v == 0 {
                return Err(Error::Empty {
                    context: context.to_string(),
                    tensor: tensor.to_string(),
                    dim: dim_name.to_string(),
                });
            }
            *slot = Some(v);
            Ok(v)
        }
        Some(bound) if bound == v => Ok(v),
        Some(bound) => Err(Error::Shape {
            context: context.to_string(),
            tensor: tensor.to_string(),
            expected: format!("{declared} with {dim_name} = {bound}"),
            found: format!("{found:?}"),
        }),
    }
}

/// The dims of a tensor as a `Vec`.
pub fn dims_of<S: Shape, E, D: dfdx::tensor::Storage<E>, T>(t: &Tensor<S, E, D, T>) -> Vec<usize> {
    t.shape().concrete().into_iter().collect()
}

/// `a` carrying its own tape merged with `b`'s (for loops whose intermediate tensors carry
/// histories that must still reach the loss). On untraced tensors, just `a`.
pub fn merge_tapes<S: Shape, S2: Shape, E: Dtype, D: Device<E>, T: Tape<E, D>>(
    a: Tensor<S, E, D, T>,
    b: Tensor<S2, E, D, T>,
) -> Tensor<S, E, D, T> {
    let (a, ta) = a.split_tape();
    let (_, tb) = b.split_tape();
    a.put_tape(dfdx::tensor::Merge::merge(ta, tb))
}
