//! Data plumbing: seeded shuffles, minibatch index iterators, train/validation splits, and
//! builders of batch tensors `(usize, Const<N>)` from rows.
//!
//! Everything works on *indices* into the caller's own storage, so a dataset can be a `Vec` of
//! arrays, a flat buffer, or a closure that generates samples, and batching never copies the
//! dataset itself. Randomness comes from a `(seed, epoch)` pair, never from global state, so a
//! run is reproducible and epoch `k` can be replayed on its own.

use dfdx::shapes::{Const, Dtype};
use dfdx::tensor::Tensor;
use dfdx::tensor_ops::Device;
use rand::seq::SliceRandom;
use rand::{rngs::StdRng, SeedableRng};

use crate::error::{Error, Result};

/// One step of splitmix64: advances `state` and returns 64 well-mixed bits. The examples build
/// their seeded generators (uniforms, normals, random states) on it.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A seeded stream of uniform numbers in [0, 1): xorshift64 with 53-bit outputs. Tiny and
/// dependency-free, for examples and tests that synthesize data and must print the same numbers
/// on every machine (no global state, no platform-dependent generator).
pub fn uniform_stream(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A seed for epoch `epoch` of a run seeded with `seed`: decorrelated (SplitMix64 finalizer),
/// so consecutive epochs do not get related permutations.
pub fn epoch_seed(seed: u64, epoch: u64) -> u64 {
    let mut z = seed ^ epoch.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `0..n` in a random order determined by `seed`.
pub fn shuffled_indices(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(seed));
    idx
}

/// Splits `0..n` into `(train, validation)` index sets after a seeded shuffle;
/// `round(n · val_fraction)` samples go to validation. Both lists are sorted, so iterating them
/// reads the data in storage order.
pub fn train_val_split(n: usize, val_fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    if !(0.0..=1.0).contains(&val_fraction) {
        return Err(Error::Other(format!(
            "train_val_split: val_fraction must be in [0, 1], got {val_fraction}"
        )));
    }
    let n_val = ((n as f64) * val_fraction).round() as usize;
    let idx = shuffled_indices(n, seed);
    let (val, train) = idx.split_at(n_val);
    let (mut train, mut val) = (train.to_vec(), val.to_vec());
    train.sort_unstable();
    val.sort_unstable();
    Ok((train, val))
}

/// How a [`Batches`] orders the samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Storage order (validation, evaluation).
    Sequential,
    /// A fresh permutation per epoch from `(seed, epoch)`.
    Shuffled {
        /// Run seed.
        seed: u64,
        /// Epoch number.
        epoch: u64,
    },
}

/// The minibatches of one epoch, as slices of sample indices.
///
/// ```
/// use shapegrad_runtime::data::{Batches, Order};
/// let b = Batches::new(&[10, 11, 12, 13, 14], 2, Order::Sequential, false);
/// let got: Vec<&[usize]> = b.iter().collect();
/// assert_eq!(got, vec![&[10, 11][..], &[12, 13], &[14]]);
/// ```
#[derive(Debug, Clone)]
pub struct Batches {
    order: Vec<usize>,
    batch_size: usize,
    drop_last: bool,
}

impl Batches {
    /// Batches of `batch_size` over `indices` (e.g. the train half of a split). With
    /// `drop_last`, a final short batch is left out (useful when a model's batch dim is
    /// static). A `batch_size` of 0 is treated as 1.
    pub fn new(indices: &[usize], batch_size: usize, order: Order, drop_last: bool) -> Self {
        let mut order_v = indices.to_vec();
        if let Order::Shuffled { seed, epoch } = order {
            order_v.shuffle(&mut StdRng::seed_from_u64(epoch_seed(seed, epoch)));
        }
        Self {
            order: order_v,
            batch_size: batch_size.max(1),
            drop_last,
        }
    }

    /// Batches over all of `0..n`.
    pub fn over(n: usize, batch_size: usize, order: Order, drop_last: bool) -> Self {
        Self::new(&(0..n).collect::<Vec<_>>(), batch_size, order, drop_last)
    }

    /// Number of batches.
    pub fn len(&self) -> usize {
        if self.drop_last {
            self.order.len() / self.batch_size
        } else {
            self.order.len().div_ceil(self.batch_size)
        }
    }

    /// Whether there are no batches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The batches, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[usize]> + '_ {
        self.order.chunks(self.batch_size).take(self.len())
    }

    /// The sample order of this epoch.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

/// Copies the rows `idx` of a row-major buffer with rows of `width` into a new buffer.
pub fn gather_rows<T: Copy>(data: &[T], width: usize, idx: &[usize]) -> Result<Vec<T>> {
    if data.len().checked_rem(width) != Some(0) {
        return Err(Error::Shape {
            context: "gather_rows".into(),
            tensor: "data".into(),
            expected: format!("a multiple of the row width {width}"),
            found: format!("{} values", data.len()),
        });
    }
    let rows = data.len() / width;
    let mut out = Vec::with_capacity(idx.len() * width);
    for &i in idx {
        if i >= rows {
            return Err(Error::Shape {
                context: "gather_rows".into(),
                tensor: "row index".into(),
                expected: format!("< {rows} rows"),
                found: format!("index {i}"),
            });
        }
        out.extend_from_slice(&data[i * width..(i + 1) * width]);
    }
    Ok(out)
}

/// A `[rows, N]` tensor from rows given as arrays.
pub fn tensor_from_rows<const N: usize, E: Dtype, D: Device<E>>(
    dev: &D,
    rows: &[[E; N]],
) -> Tensor<(usize, Const<N>), E, D> {
    let data: Vec<E> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    dev.tensor_from_vec(data, (rows.len(), Const))
}

/// A `[idx.len(), N]` batch tensor from the rows `idx` of `rows`.
pub fn batch_from_rows<const N: usize, E: Dtype, D: Device<E>>(
    dev: &D,
    rows: &[[E; N]],
    idx: &[usize],
) -> Result<Tensor<(usize, Const<N>), E, D>> {
    let mut data = Vec::with_capacity(idx.len() * N);
    for &i in idx {
        let row = rows.get(i).ok_or_else(|| Error::Shape {
            context: "batch_from_rows".into(),
            tensor: "row index".into(),
            expected: format!("< {} rows", rows.len()),
            found: format!("index {i}"),
        })?;
        data.extend_from_slice(row);
    }
    Ok(dev.tensor_from_vec(data, (idx.len(), Const)))
}

/// A `[rows, N]` tensor from a flat row-major buffer; its length must be a multiple of `N`.
/// Converts from `f64` (or any `Copy + Into<f64>` source) to the tensor's dtype.
pub fn tensor_from_flat<const N: usize, T: Copy + Into<f64>, E: Dtype, D: Device<E>>(
    dev: &D,
    flat: &[T],
) -> Result<Tensor<(usize, Const<N>), E, D>> {
    if flat.len().checked_rem(N) != Some(0) {
        return Err(Error::Shape {
            context: "tensor_from_flat".into(),
            tensor: "flat buffer".into(),
            expected: format!("[rows, {N}] (a multiple of {N} values)"),
            found: format!("{} values", flat.len()),
        });
    }
    let data: Vec<E> = flat
        .iter()
        .map(|&v| E::from_f64(v.into()).unwrap_or_default())
        .collect();
    Ok(dev.tensor_from_vec(data, (flat.len() / N, Const)))
}

/// A `[idx.len(), N]` batch from the rows `idx` of a flat row-major buffer.
pub fn batch_from_flat<const N: usize, T: Copy + Into<f64>, E: Dtype, D: Device<E>>(
    dev: &D,
    flat: &[T],
    idx: &[usize],
) -> Result<Tensor<(usize, Const<N>), E, D>> {
    let rows = gather_rows(flat, N, idx)?;
    tensor_from_flat::<N, T, E, D>(dev, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::prelude::Cpu;

    #[test]
    fn uniform_stream_is_seeded_in_range_and_flat() {
        let (mut a, mut b) = (uniform_stream(7), uniform_stream(7));
        let v: Vec<f64> = (0..100_000).map(|_| a()).collect();
        assert!(v.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert!(v.iter().all(|&x| x == b()), "same seed, same stream");
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        assert_ne!(uniform_stream(8)(), v[0]);
    }

    #[test]
    fn shuffles_are_seeded_permutations() {
        let a = shuffled_indices(100, 7);
        assert_eq!(a, shuffled_indices(100, 7));
        assert_ne!(a, shuffled_indices(100, 8));
        let mut s = a.clone();
        s.sort_unstable();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_ne!(epoch_seed(1, 0), epoch_seed(1, 1));
    }

    #[test]
    fn split_is_disjoint_complete_and_sized() {
        let (t, v) = train_val_split(101, 0.2, 3).unwrap();
        assert_eq!((t.len(), v.len()), (81, 20));
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..101).collect::<Vec<_>>());
        assert!(train_val_split(10, 1.5, 0).is_err());
    }

    #[test]
    fn batches_cover_each_index_once_per_epoch() {
        let b = Batches::over(10, 3, Order::Shuffled { seed: 1, epoch: 0 }, false);
        assert_eq!(b.len(), 4);
        let mut seen: Vec<usize> = b.iter().flatten().copied().collect();
        assert_ne!(seen, (0..10).collect::<Vec<_>>(), "shuffled");
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        let d = Batches::over(10, 3, Order::Sequential, true);
        assert_eq!(d.iter().map(<[usize]>::len).collect::<Vec<_>>(), vec![3, 3, 3]);
        let e1 = Batches::over(10, 3, Order::Shuffled { seed: 1, epoch: 1 }, false);
        assert_ne!(b.order(), e1.order());
    }

    #[test]
    fn batch_tensors_hold_the_chosen_rows() {
        let dev = Cpu::default();
        let rows = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let t = batch_from_rows(&dev, &rows, &[2, 0]).unwrap();
        assert_eq!(t.as_vec(), vec![5.0, 6.0, 1.0, 2.0]);
        assert_eq!(tensor_from_rows(&dev, &rows).as_vec().len(), 6);
        let flat = [1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0];
        let t = batch_from_flat::<3, f64, f32, _>(&dev, &flat, &[1]).unwrap();
        assert_eq!(t.as_vec(), vec![4.0, 5.0, 6.0]);
        assert!(tensor_from_flat::<4, f64, f32, _>(&dev, &flat).is_err());
        assert!(batch_from_rows(&dev, &rows, &[3]).is_err());
    }
}
