//! Fused elementwise kernels and matrix products the derived code calls instead of chains of
//! dfdx ops.
//!
//! A derived backward pass is full of short elementwise chains (`g * (1 - y²)` for tanh) that
//! dfdx runs as one pass and one allocation per op, and dfdx's `f32` tanh is libm's scalar
//! `tanhf`, which profiles showed taking ~45% of a small MLP's training step. Each kernel here
//! does its chain in one pass. On `Cpu` with `f32`/`f64` the pass runs over a host buffer (the
//! tensor types stay dfdx's; dfdx exposes no borrowed view, so inputs are read with one copy);
//! on any other device or dtype the kernel falls back to the equivalent dfdx ops, so CUDA keeps
//! working unchanged. Matrix products, with transposed operands folded into the call
//! (`matmul_tn`, `matmul_nt`, …), go to the `gemm` crate's newer kernels on CPU (dfdx 0.13 calls
//! an older, ~1.5× slower version). The CPU path is selected by `TypeId`, which monomorphization
//! folds to a constant: stable Rust has no specialization, and this costs nothing at run time.

use std::any::Any;

use dfdx::shapes::{Axes2, Dim, Dtype, HasShape, Shape};
use dfdx::tensor::{Cpu, Tensor, TensorFromVec};
use dfdx::tensor_ops::{Device, PermuteTo, ReshapeTo, TryMatMul};
use rayon::prelude::*;

/// Entries per rayon task; below two chunks a kernel runs on the calling thread.
const PAR_CHUNK: usize = 1 << 15;

/// `tanh(x)`. On `Cpu`/`f32` a rational approximation (the one Eigen and XLA use on CPU:
/// a degree-13/6 odd/even polynomial ratio on [-7.9, 7.9]; measured worst error 4.2e-7, about
/// 3.5 f32 epsilons, against libm's ~1) that vectorizes, ~20× faster than `tanhf` here. `f64`
/// keeps the exact libm value, so f64 gradient checks see the exact function.
pub fn tanh<S: Shape, E: Dtype, D: Device<E>>(x: Tensor<S, E, D>) -> Tensor<S, E, D> {
    match cpu_map(
        &x,
        None,
        |v: &mut [f32], _| v.iter_mut().for_each(|a| *a = tanh_f32(*a)),
        |v: &mut [f64], _| v.iter_mut().for_each(|a| *a = a.tanh()),
    ) {
        Some(y) => y,
        None => x.tanh(),
    }
}

/// `g · (1 − y²)`: the VJP of `y = tanh(x)` from its output.
pub fn tanh_vjp<S: Shape, E: Dtype, D: Device<E>>(y: Tensor<S, E, D>, g: Tensor<S, E, D>) -> Tensor<S, E, D> {
    fn kernel<F: num_traits::Float>(g: &mut [F], y: &[F]) {
        g.iter_mut()
            .zip(y)
            .for_each(|(g, &y)| *g = *g * (F::one() - y * y));
    }
    match cpu_map(&g, Some(&y), kernel::<f32>, kernel::<f64>) {
        Some(out) => out,
        None => (y.square().negate() + E::ONE) * g,
    }
}

/// `g · y · (1 − y)`: the VJP of `y = sigmoid(x)` from its output.
pub fn sigmoid_vjp<S: Shape, E: Dtype, D: Device<E>>(
    y: Tensor<S, E, D>,
    g: Tensor<S, E, D>,
) -> Tensor<S, E, D> {
    fn kernel<F: num_traits::Float>(g: &mut [F], y: &[F]) {
        g.iter_mut()
            .zip(y)
            .for_each(|(g, &y)| *g = *g * y * (F::one() - y));
    }
    match cpu_map(&g, Some(&y), kernel::<f32>, kernel::<f64>) {
        Some(out) => out,
        None => (y.clone().negate() + E::ONE) * y * g,
    }
}

/// `a · b` for `a: [M, K]`, `b: [K, N]`.
pub fn matmul_nn<M: Dim, K: Dim, N: Dim, E: Dtype, D: Device<E>>(
    a: Tensor<(M, K), E, D>,
    b: Tensor<(K, N), E, D>,
) -> Tensor<(M, N), E, D> {
    let ((m, k), n) = (*a.shape(), b.shape().1);
    cpu_gemm(&a, &b, [m.size(), k.size(), n.size()], [false, false], (m, n)).unwrap_or_else(|| a.matmul(b))
}

/// `aᵀ · b` for `a: [K, M]`, `b: [K, N]` (the weight gradient `xᵀ · g`), without materializing
/// the transpose.
pub fn matmul_tn<M: Dim, K: Dim, N: Dim, E: Dtype, D: Device<E>>(
    a: Tensor<(K, M), E, D>,
    b: Tensor<(K, N), E, D>,
) -> Tensor<(M, N), E, D> {
    let ((k, m), n) = (*a.shape(), b.shape().1);
    cpu_gemm(&a, &b, [m.size(), k.size(), n.size()], [true, false], (m, n))
        .unwrap_or_else(|| a.permute::<(M, K), Axes2<1, 0>>().matmul(b))
}

/// `a · bᵀ` for `a: [M, K]`, `b: [N, K]` (the input gradient `g · wᵀ`).
pub fn matmul_nt<M: Dim, K: Dim, N: Dim, E: Dtype, D: Device<E>>(
    a: Tensor<(M, K), E, D>,
    b: Tensor<(N, K), E, D>,
) -> Tensor<(M, N), E, D> {
    let ((m, k), n) = (*a.shape(), b.shape().0);
    cpu_gemm(&a, &b, [m.size(), k.size(), n.size()], [false, true], (m, n))
        .unwrap_or_else(|| a.matmul(b.permute::<(K, N), Axes2<1, 0>>()))
}

/// `aᵀ · bᵀ` for `a: [K, M]`, `b: [N, K]`.
pub fn matmul_tt<M: Dim, K: Dim, N: Dim, E: Dtype, D: Device<E>>(
    a: Tensor<(K, M), E, D>,
    b: Tensor<(N, K), E, D>,
) -> Tensor<(M, N), E, D> {
    let ((k, m), n) = (*a.shape(), b.shape().0);
    cpu_gemm(&a, &b, [m.size(), k.size(), n.size()], [true, true], (m, n)).unwrap_or_else(|| {
        a.permute::<(M, K), Axes2<1, 0>>()
            .matmul(b.permute::<(K, N), Axes2<1, 0>>())
    })
}

/// On `Cpu` with `f32`/`f64`: `op(a) · op(b)` (op = transpose where `trans` says) with the
/// `gemm` crate, from row-major host copies of the operands as stored — a transposed operand is
/// just other strides. `None` on every other device or dtype.
fn cpu_gemm<SA: Shape, SB: Shape, SO: Shape, E: Dtype, D: Device<E>>(
    a: &Tensor<SA, E, D>,
    b: &Tensor<SB, E, D>,
    [m, k, n]: [usize; 3],
    trans: [bool; 2],
    out_shape: SO,
) -> Option<Tensor<SO, E, D>> {
    fn run<SA: Shape, SB: Shape, SO: Shape, F: Dtype, E: Dtype, D: Device<E>>(
        a: &Tensor<SA, E, D>,
        b: &Tensor<SB, E, D>,
        mkn: [usize; 3],
        trans: [bool; 2],
        out_shape: SO,
    ) -> Option<Tensor<SO, E, D>> {
        let a = (a as &dyn Any).downcast_ref::<Tensor<SA, F, Cpu>>()?;
        let b = (b as &dyn Any)
            .downcast_ref::<Tensor<SB, F, Cpu>>()
            .expect("both operands share one type");
        let mut out = vec![F::default(); mkn[0] * mkn[2]];
        with_scratch::<F, _>(|[av, bv]| {
            host_copy_into(a, av);
            host_copy_into(b, bv);
            gemm_into(&mut out, av, bv, mkn, trans);
        });
        wrap(a.device(), out, out_shape)
    }
    run::<SA, SB, SO, f32, E, D>(a, b, [m, k, n], trans, out_shape)
        .or_else(|| run::<SA, SB, SO, f64, E, D>(a, b, [m, k, n], trans, out_shape))
}

/// `out[m×n] = op(a) · op(b)`, all row-major as stored; `a` is `m×k` (`k×m` if transposed),
/// `b` is `k×n` (`n×k` if transposed). Products below ~64³ multiply-adds stay on one thread.
fn gemm_into<F: Dtype>(out: &mut [F], a: &[F], b: &[F], [m, k, n]: [usize; 3], [ta, tb]: [bool; 2]) {
    assert!(
        out.len() == m * n && a.len() == m * k && b.len() == k * n,
        "gemm operand lengths"
    );
    if m * n * k == 0 {
        return; // `out` is already the empty sum, zeros
    }
    // (column stride, row stride) of each logical matrix over its storage.
    let (a_cs, a_rs) = if ta { (m, 1) } else { (1, k) };
    let (b_cs, b_rs) = if tb { (k, 1) } else { (1, n) };
    let parallelism = if m * n * k >= 1 << 18 {
        gemm::Parallelism::Rayon(rayon::current_num_threads())
    } else {
        gemm::Parallelism::None
    };
    #[allow(unsafe_code)]
    // SAFETY: the lengths were checked above: every index `i·rs + j·cs` the strides describe for
    // an `m×k`, `k×n` and `m×n` matrix lies inside `a`, `b` and `out`; `out` is borrowed
    // mutably and does not alias the inputs; `read_dst = false`, so `out` is only written.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            a_cs as isize,
            a_rs as isize,
            b.as_ptr(),
            b_cs as isize,
            b_rs as isize,
            F::default(),
            F::ONE,
            false,
            false,
            false,
            parallelism,
        )
    }
}

/// On `Cpu` with `f32` or `f64`: copies `a` (and `b`) to host buffers, runs the kernel for that
/// dtype over the first in place (in parallel chunks when large), and wraps it as a tensor of
/// `a`'s shape. `None` on every other device or dtype.
fn cpu_map<S: Shape, E: Dtype, D: Device<E>>(
    a: &Tensor<S, E, D>,
    b: Option<&Tensor<S, E, D>>,
    f32_kernel: fn(&mut [f32], &[f32]),
    f64_kernel: fn(&mut [f64], &[f64]),
) -> Option<Tensor<S, E, D>> {
    fn run<S: Shape, F: Dtype, E: Dtype, D: Device<E>>(
        a: &Tensor<S, E, D>,
        b: Option<&Tensor<S, E, D>>,
        kernel: fn(&mut [F], &[F]),
    ) -> Option<Tensor<S, E, D>> {
        let a = (a as &dyn Any).downcast_ref::<Tensor<S, F, Cpu>>()?;
        let mut out = host_copy(a);
        let other = b.map(|b| {
            host_copy(
                (b as &dyn Any)
                    .downcast_ref::<Tensor<S, F, Cpu>>()
                    .expect("both operands share one type"),
            )
        });
        let other = other.as_deref().unwrap_or(&[]);
        if out.len() >= 2 * PAR_CHUNK {
            out.par_chunks_mut(PAR_CHUNK).enumerate().for_each(|(i, chunk)| {
                let lo = (i * PAR_CHUNK).min(other.len());
                let hi = (lo + chunk.len()).min(other.len());
                kernel(chunk, &other[lo..hi])
            });
        } else {
            kernel(&mut out, other);
        }
        wrap(a.device(), out, *a.shape())
    }
    run::<S, f32, E, D>(a, b, f32_kernel).or_else(|| run::<S, f64, E, D>(a, b, f64_kernel))
}

/// A host buffer as a `Cpu` tensor of `shape`, returned as the caller's tensor type (which
/// the callers have just checked is `Tensor<S, F, Cpu>`).
fn wrap<S: Shape, F: Dtype, E: Dtype, D: Device<E>>(
    dev: &Cpu,
    data: Vec<F>,
    shape: S,
) -> Option<Tensor<S, E, D>> {
    let mut slot = Some(dev.tensor_from_vec(data, shape));
    (&mut slot as &mut dyn Any)
        .downcast_mut::<Option<Tensor<S, E, D>>>()
        .and_then(Option::take)
}

thread_local! {
    /// Per-thread operand buffers of [`cpu_gemm`], one pair per dtype: a training step
    /// multiplies the same shapes every time, so after the first step no operand copy
    /// allocates (fresh multi-megabyte buffers cost page faults on every call).
    static SCRATCH: std::cell::RefCell<Vec<Box<dyn Any>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's two scratch vectors of `F`.
fn with_scratch<F: 'static, R>(f: impl FnOnce(&mut [Vec<F>; 2]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut all = cell.borrow_mut();
        let pos = match all.iter().position(|b| b.is::<[Vec<F>; 2]>()) {
            Some(pos) => pos,
            None => {
                all.push(Box::new([Vec::<F>::new(), Vec::<F>::new()]));
                all.len() - 1
            }
        };
        f(all[pos].downcast_mut::<[Vec<F>; 2]>().expect("checked above"))
    })
}

/// Copies the entries of `t` in row-major order into `buf`, resized to fit.
fn host_copy_into<S: Shape, F: Dtype>(t: &Tensor<S, F, Cpu>, buf: &mut Vec<F>) {
    let t = t.clone().reshape_like(t.shape());
    buf.resize(t.shape().num_elements(), F::default());
    t.copy_into(buf);
}

/// The entries of `t` in row-major order: one `memcpy` when `t` is laid out contiguously (a
/// reshape to its own shape is free then, and makes views contiguous otherwise).
fn host_copy<S: Shape, F: Dtype>(t: &Tensor<S, F, Cpu>) -> Vec<F> {
    let t = t.clone().reshape_like(t.shape());
    let mut buf = vec![F::default(); t.shape().num_elements()];
    t.copy_into(&mut buf);
    buf
}

/// Eigen's `generic_fast_tanh_float`: odd degree-13 numerator over even degree-6 denominator,
/// inputs clamped to ±7.905, the identity below 4e-4. Branch-free plain multiply-adds (no
/// `mul_add`: on baseline x86-64 that is a libm call), so loops of it vectorize.
#[inline(always)]
fn tanh_f32(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = x2 * A13 + A11;
    p = p * x2 + A9;
    p = p * x2 + A7;
    p = p * x2 + A5;
    p = p * x2 + A3;
    p = p * x2 + A1;
    p *= c;
    let mut q = x2 * B6 + B4;
    q = q * x2 + B2;
    q = q * x2 + B0;
    if x.abs() < 4e-4 {
        x
    } else {
        p / q
    }
}

#[cfg(test)]
mod tests {
    use super::{sigmoid_vjp, tanh_f32, tanh_vjp, PAR_CHUNK};
    use dfdx::prelude::{Axes2, Const, Cpu, PermuteTo, Shape, Tensor, TensorFromVec, TryMatMul};

    #[test]
    fn fast_tanh_is_within_a_few_ulp_of_exact() {
        let mut worst_abs = 0f64;
        let mut worst_rel = 0f64;
        let mut worst_at = 0f32;
        for i in -2_000_000..=2_000_000 {
            let x = i as f32 * 1e-5 * 1.3;
            let exact = (x as f64).tanh();
            let got = tanh_f32(x) as f64;
            if (got - exact).abs() > worst_abs {
                worst_abs = (got - exact).abs();
                worst_at = x;
            }
            if exact.abs() > 1e-30 {
                worst_rel = worst_rel.max(((got - exact) / exact).abs());
            }
        }
        for x in [1e-8f32, -3e-5, 9.0, -50.0, 1e6, f32::MAX, f32::MIN_POSITIVE] {
            let (got, exact) = (tanh_f32(x) as f64, (x as f64).tanh());
            assert!(
                (got - exact).abs() <= 3e-7 * exact.abs().max(1e-30),
                "{x}: {got} vs {exact}"
            );
        }
        // f32 epsilon is 1.19e-7: a few ulp.
        assert!(worst_rel < 6e-7, "worst relative error {worst_rel:e}");
        assert!(
            worst_abs < 5e-7,
            "worst absolute error {worst_abs:e} at {worst_at}"
        );
        eprintln!(
            "fast tanh: worst absolute error {worst_abs:e} at {worst_at}, worst relative {worst_rel:e}"
        );
        assert!(tanh_f32(f32::NAN).is_nan());
    }

    fn sample<S: Shape>(dev: &Cpu, shape: S, seed: u64) -> Tensor<S, f64, Cpu> {
        let n = shape.num_elements();
        let v = (0..n)
            .map(|i| (((i as u64 + seed) * 2_654_435_761) % 1000) as f64 / 250.0 - 2.0)
            .collect();
        dev.tensor_from_vec(v, shape)
    }

    #[test]
    fn matmuls_with_folded_transposes_equal_dfdx() {
        let dev = Cpu::default();
        // Small (one thread) and large enough for the parallel path (300·40·33 ≥ 2¹⁸); a run-time dim as dfdx
        // models have them.
        for m in [3usize, 300] {
            let a = sample(&dev, (m, Const::<40>), 1);
            let at = sample(&dev, (Const::<40>, m), 2);
            let b = sample(&dev, (Const::<40>, Const::<33>), 3);
            let bt = sample(&dev, (Const::<33>, Const::<40>), 4);
            let close = |x: Vec<f64>, y: Vec<f64>| {
                assert_eq!(x.len(), y.len());
                let worst = x.iter().zip(&y).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
                assert!(worst < 1e-12, "worst {worst:e}");
            };
            close(
                super::matmul_nn(a.clone(), b.clone()).as_vec(),
                a.clone().matmul(b.clone()).as_vec(),
            );
            let want_tn = at.clone().permute::<_, Axes2<1, 0>>().matmul(b.clone()).as_vec();
            close(super::matmul_tn(at.clone(), b.clone()).as_vec(), want_tn);
            let want_nt = a.clone().matmul(bt.clone().permute::<_, Axes2<1, 0>>()).as_vec();
            close(super::matmul_nt(a.clone(), bt.clone()).as_vec(), want_nt);
            let want_tt = at
                .clone()
                .permute::<_, Axes2<1, 0>>()
                .matmul(bt.clone().permute::<_, Axes2<1, 0>>())
                .as_vec();
            close(super::matmul_tt(at.clone(), bt.clone()).as_vec(), want_tt);
            // f32 and a strided (transposed view) operand.
            let a32 = at.clone().permute::<_, Axes2<1, 0>>().to_dtype::<f32>();
            let got = super::matmul_nn(a32.clone(), b.clone().to_dtype::<f32>()).as_vec();
            let want = a32.matmul(b.clone().to_dtype::<f32>()).as_vec();
            assert!(got.iter().zip(&want).all(|(p, q)| (p - q).abs() < 1e-4));
        }
    }

    #[test]
    fn fused_kernels_equal_the_dfdx_chains_on_both_paths() {
        let dev = Cpu::default();
        // Large enough for the parallel path, and a permuted (strided) operand.
        for n in [7usize, 3 * PAR_CHUNK + 5] {
            let x = sample(&dev, (n,), 1);
            let g = sample(&dev, (n,), 2);
            let y = x.clone().tanh();
            let want = (y.clone().square().negate() + 1.0) * g.clone();
            assert_eq!(tanh_vjp(y.clone(), g.clone()).as_vec(), want.as_vec());
            assert_eq!(super::tanh(x.clone()).as_vec(), y.as_vec());
            let s = x.sigmoid();
            let want = (s.clone().negate() + 1.0) * s.clone() * g.clone();
            let got = sigmoid_vjp(s, g).as_vec();
            assert!(got.iter().zip(want.as_vec()).all(|(a, b)| (a - b).abs() < 1e-15));
        }
        let x = sample(&dev, (Const::<3>, Const::<5>), 3);
        let xt = x.clone().permute::<_, Axes2<1, 0>>();
        let f32t = xt.to_dtype::<f32>();
        let fast = super::tanh(f32t.clone()).as_vec();
        let slow = f32t.tanh().as_vec();
        assert!(fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 3e-7));
    }
}
