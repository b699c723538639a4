//! Dense Hessians of small models from the compile-time Hessian-vector products
//! (`f_hvp`): column j is H·e_j. Memory is P² f64s, so this is for P up to a few thousand.

use dfdx::shapes::Dtype;
use dfdx::tensor_ops::Device;

use crate::error::{Error, Result};
use crate::params::{num_params, set_flat, to_flat, Model};

/// The most parameters [`dense_hessian`] accepts by default (a 4096² matrix is 128 MiB).
pub const MAX_DENSE_PARAMS: usize = 4096;

/// The dense Hessian (row-major, P×P) of the loss whose HVP is `hvp(model, v)`.
/// `hvp` receives a tangent laid out like the model's gradient and returns H·v.
pub fn dense_hessian<E: Dtype, D: Device<E>, M: Model<E, D>>(
    model: &M,
    mut hvp: impl FnMut(&M, &M::Grads) -> Result<M::Grads>,
) -> Result<Vec<f64>> {
    let p = num_params(model);
    if p > MAX_DENSE_PARAMS {
        return Err(Error::Other(format!(
            "dense_hessian: {p} parameters need a {p}×{p} matrix ({} MiB); the limit is {MAX_DENSE_PARAMS} \
             parameters — use Hessian-vector products (`…_hvp`) directly",
            (p as u64 * p as u64 * 8) >> 20
        )));
    }
    let mut h = vec![0.0; p * p];
    let mut tangent = model.zero_grads();
    let mut e = vec![0.0; p];
    for j in 0..p {
        e[j] = 1.0;
        set_flat(&mut tangent, &e)?;
        e[j] = 0.0;
        let col = to_flat(&hvp(model, &tangent)?);
        for (i, v) in col.into_iter().enumerate() {
            h[i * p + j] = v;
        }
    }
    Ok(h)
}
