//! Custom ops with a user-supplied VJP. A model declares one with its shapes,
//!
//! ```text
//! extern fn spike(v: [B, H]) -> [B, H] = Heaviside;
//! ```
//!
//! and the compiler checks every call against those shapes, calls [`CustomOp::forward`] in the
//! forward pass and [`CustomOp::vjp`] in the derived backward pass. Data crosses as `f64` host
//! buffers with their dims, so an op can be anything — a quantum circuit simulator, a physics
//! code — whatever device the model runs on (on a GPU that costs a copy each way).

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::Device;

use crate::error::{Error, Result};

/// One operand of a custom op: row-major `f64` data and its dims.
#[derive(Debug, Clone, PartialEq)]
pub struct HostTensor {
    pub data: Vec<f64>,
    pub dims: Vec<usize>,
}

/// An op whose forward and vector-Jacobian product are Rust code.
pub trait CustomOp: Sync {
    /// A name for error messages.
    fn name(&self) -> &str;
    /// The output (row-major) for the given inputs.
    fn forward(&self, inputs: &[HostTensor]) -> Result<Vec<f64>>;
    /// The gradient of each input, given the output and the upstream gradient of the output.
    /// Return one buffer per input, each as long as that input.
    fn vjp(&self, inputs: &[HostTensor], output: &[f64], upstream: &[f64]) -> Result<Vec<Vec<f64>>>;
}

/// Copies a tensor to the host as `f64`.
pub fn host<S: Shape, E: Dtype, D: Device<E>>(t: &Tensor<S, E, D>) -> HostTensor {
    HostTensor {
        data: t
            .as_vec()
            .into_iter()
            .map(|x| x.to_f64().unwrap_or(f64::NAN))
            .collect(),
        dims: t.shape().concrete().into_iter().collect(),
    }
}

/// Makes a device tensor of `shape` from host data, checking the op returned the right length.
pub fn device_tensor<S: Shape, E: Dtype, D: Device<E>>(
    dev: &D,
    data: Vec<f64>,
    shape: S,
    op: &str,
    what: &str,
) -> Result<Tensor<S, E, D>> {
    let n = shape.num_elements();
    if data.len() != n {
        return Err(Error::Shape {
            context: format!("custom op `{op}`"),
            tensor: what.to_string(),
            expected: format!("{:?} ({n} values)", shape.concrete()),
            found: format!("{} values", data.len()),
        });
    }
    let v: Vec<E> = data
        .into_iter()
        .map(|x| E::from_f64(x).unwrap_or_default())
        .collect();
    Ok(dev.tensor_from_vec(v, shape))
}

/// The forward call the generated code makes.
pub fn forward<Op: CustomOp + ?Sized, S: Shape, E: Dtype, D: Device<E>>(
    op: &Op,
    dev: &D,
    inputs: &[HostTensor],
    shape: S,
) -> Result<Tensor<S, E, D>> {
    let out = op.forward(inputs)?;
    device_tensor(dev, out, shape, op.name(), "output")
}

/// The backward call the generated code makes: one host gradient per input, length-checked.
pub fn vjp<Op: CustomOp + ?Sized, S: Shape, E: Dtype, D: Device<E>>(
    op: &Op,
    inputs: &[HostTensor],
    output: &Tensor<S, E, D>,
    upstream: &Tensor<S, E, D>,
) -> Result<Vec<Vec<f64>>> {
    let y = host(output).data;
    let g = host(upstream).data;
    let grads = op.vjp(inputs, &y, &g)?;
    if grads.len() != inputs.len() {
        return Err(Error::Other(format!(
            "custom op `{}`: vjp returned {} gradients for {} inputs",
            op.name(),
            grads.len(),
            inputs.len()
        )));
    }
    Ok(grads)
}

/// Takes gradient `k` out of a [`vjp`] result as a tensor of `shape`.
pub fn grad_tensor<S: Shape, E: Dtype, D: Device<E>>(
    dev: &D,
    grads: &mut [Vec<f64>],
    k: usize,
    shape: S,
    op: &str,
) -> Result<Tensor<S, E, D>> {
    let data = std::mem::take(&mut grads[k]);
    device_tensor(dev, data, shape, op, &format!("gradient of input {k}"))
}

/// A quantum layer is a custom op of two operands: encoded inputs `[B, k]` and trainable
/// weights `[P]`; its output is `[B, m]` expectation values. The VJP uses the layer's method
/// (adjoint by default, parameter-shift on request).
impl CustomOp for crate::quantum::QuantumLayer {
    fn name(&self) -> &str {
        "quantum layer"
    }
    fn forward(&self, inputs: &[HostTensor]) -> Result<Vec<f64>> {
        let (x, w) = quantum_operands(inputs)?;
        self.forward(&x.data, x.dims[0], &w.data)
    }
    fn vjp(&self, inputs: &[HostTensor], _output: &[f64], upstream: &[f64]) -> Result<Vec<Vec<f64>>> {
        let (x, w) = quantum_operands(inputs)?;
        let (gx, gw) = self.vjp(&x.data, x.dims[0], &w.data, upstream)?;
        Ok(vec![gx, gw])
    }
}

fn quantum_operands(inputs: &[HostTensor]) -> Result<(&HostTensor, &HostTensor)> {
    match inputs {
        [x, w] if x.dims.len() == 2 && w.dims.len() == 1 => Ok((x, w)),
        _ => Err(Error::Other(format!(
            "quantum layer: expected operands [B, k] and [P], got dims {:?}",
            inputs.iter().map(|t| t.dims.clone()).collect::<Vec<_>>()
        ))),
    }
}
