//! Seeded, reproducible parameter initializers.
//!
//! Each parameter draws from its own RNG, seeded from the model seed and the parameter's dotted
//! name (FNV-1a), so adding a parameter to a model does not change how the others start.
//! Weights are laid out `[fan_in, fan_out]` (models compute `x @ w`), which is what the
//! fan-based rules (Glorot, He) read.

use dfdx::shapes::{Dtype, HasShape, Shape};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::Device;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// How a parameter starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Every entry equal to the value.
    Constant(f64),
    /// Independent normal draws.
    Normal { mean: f64, std: f64 },
    /// Independent uniform draws on `[low, high)`.
    Uniform { low: f64, high: f64 },
    /// Glorot/Xavier uniform: `U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`.
    Glorot,
    /// Glorot/Xavier normal: `N(0, 2 / (fan_in + fan_out))`.
    GlorotNormal,
    /// He/Kaiming normal: `N(0, 2 / fan_in)`, for ReLU layers.
    He,
    /// He/Kaiming uniform: `U(-a, a)`, `a = sqrt(6 / fan_in)`.
    HeUniform,
}

/// `(fan_in, fan_out)` of a shape: the first and last dims; a scalar counts as 1.
pub fn fans(dims: &[usize]) -> (usize, usize) {
    match dims {
        [] => (1, 1),
        [n] => (*n, *n),
        [.., o] => (dims[..dims.len() - 1].iter().product::<usize>().max(1), *o),
    }
}

/// A stable 64-bit seed for parameter `name` of a model seeded with `seed`.
pub fn param_seed(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Init {
    /// Draws `n` values for a tensor of the given dims.
    pub fn sample(&self, dims: &[usize], rng: &mut impl Rng) -> Vec<f64> {
        let n: usize = dims.iter().product();
        let (fan_in, fan_out) = fans(dims);
        let normal = |mean: f64, std: f64, rng: &mut dyn rand::RngCore| -> Vec<f64> {
            let d = Normal::new(mean, std.max(0.0)).unwrap_or_else(|_| Normal::new(0.0, 0.0).unwrap());
            (0..n).map(|_| d.sample(rng)).collect()
        };
        let uniform = |low: f64, high: f64, rng: &mut dyn rand::RngCore| -> Vec<f64> {
            (0..n).map(|_| low + (high - low) * rng.gen::<f64>()).collect()
        };
        match *self {
            Init::Zeros => vec![0.0; n],
            Init::Ones => vec![1.0; n],
            Init::Constant(c) => vec![c; n],
            Init::Normal { mean, std } => normal(mean, std, rng),
            Init::Uniform { low, high } => uniform(low, high, rng),
            Init::Glorot => {
                let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
                uniform(-a, a, rng)
            }
            Init::GlorotNormal => normal(0.0, (2.0 / (fan_in + fan_out) as f64).sqrt(), rng),
            Init::He => normal(0.0, (2.0 / fan_in as f64).sqrt(), rng),
            Init::HeUniform => {
                let a = (6.0 / fan_in as f64).sqrt();
                uniform(-a, a, rng)
            }
        }
    }

    /// A new tensor of shape `shape` on `dev`, drawn reproducibly from `(seed, name)`.
    pub fn tensor<S: Shape, E: Dtype, D: Device<E>>(
        &self,
        dev: &D,
        shape: S,
        seed: u64,
        name: &str,
    ) -> Tensor<S, E, D> {
        let dims: Vec<usize> = shape.concrete().into_iter().collect();
        let mut rng = StdRng::seed_from_u64(param_seed(seed, name));
        let data = self
            .sample(&dims, &mut rng)
            .into_iter()
            .map(|x| E::from_f64(x).unwrap_or_default())
            .collect();
        let t: Tensor<S, E, D> = dev.tensor_from_vec(data, shape);
        debug_assert_eq!(t.shape().num_elements(), dims.iter().product::<usize>());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::*;

    #[test]
    fn same_seed_same_values_different_names_differ() {
        let dev = Cpu::default();
        let a: Tensor<Rank2<3, 4>, f32, _> = Init::Glorot.tensor(&dev, Default::default(), 7, "w");
        let b: Tensor<Rank2<3, 4>, f32, _> = Init::Glorot.tensor(&dev, Default::default(), 7, "w");
        let c: Tensor<Rank2<3, 4>, f32, _> = Init::Glorot.tensor(&dev, Default::default(), 7, "v");
        assert_eq!(a.as_vec(), b.as_vec());
        assert_ne!(a.as_vec(), c.as_vec());
    }

    #[test]
    fn glorot_bound_and_he_scale() {
        let mut rng = StdRng::seed_from_u64(1);
        let v = Init::Glorot.sample(&[100, 50], &mut rng);
        let a = (6.0f64 / 150.0).sqrt();
        assert!(v.iter().all(|x| x.abs() <= a));
        let h = Init::He.sample(&[200, 200], &mut rng);
        let var = h.iter().map(|x| x * x).sum::<f64>() / h.len() as f64;
        assert!((var - 2.0 / 200.0).abs() < 0.001, "var {var}");
    }
}
