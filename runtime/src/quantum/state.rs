//! The state vector and its kernels.
//!
//! A state of `n` qubits is `2^n` complex amplitudes; qubit `k` is bit `k` of the index
//! (little-endian, as Qiskit), so `|q2 q1 q0>` = `|1 0 1>` is amplitude 5.
//!
//! Every kernel makes exactly one pass over the amplitudes and allocates nothing: a one-qubit
//! gate on qubit `k` visits the pairs `(i, i + 2^k)` with bit `k` of `i` clear, found by
//! splitting the slice into blocks of `2^(k+1)` and each block into halves, so the borrow
//! checker sees disjoint `&mut` and no `unsafe` is needed. Two-qubit gates split twice and visit
//! quadruples. From [`parallel_threshold`] qubits on, the blocks are handed to rayon; the gates
//! are memory bound at that size, so the split is into tasks of `BLOCK` amplitudes (64 KiB),
//! large enough that scheduling is noise next to the streaming.

use super::{Mat2, Mat4, C64};
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// By default, states with at least this many qubits run their kernels on rayon's pool.
/// Below it the state (at most 2 MiB) stays in the caches, a gate takes tens of microseconds
/// and fork-join overhead eats the gain: on the shared 2-vCPU development machine one RY at
/// n = 16 took 30 µs serial vs 50–76 µs on rayon, while at n = 20 rayon won (1.3 vs 2.8 ms).
/// Layers parallelize over the batch instead, which is what small registers want.
pub const DEFAULT_PAR_MIN_QUBITS: usize = 18;

static PAR_MIN_QUBITS: AtomicUsize = AtomicUsize::new(DEFAULT_PAR_MIN_QUBITS);

/// Sets the register size from which kernels run in parallel (process-wide). On a machine
/// whose cores are busy with other work, fork-join can cost more than it saves (the benchmark
/// prints both modes side by side), so this is a knob rather than a constant. Results do not
/// depend on it beyond the summation order of reductions (≈ 1e-16).
pub fn set_parallel_threshold(min_qubits: usize) {
    PAR_MIN_QUBITS.store(min_qubits, Ordering::Relaxed);
}

/// The register size from which kernels run in parallel.
pub fn parallel_threshold() -> usize {
    PAR_MIN_QUBITS.load(Ordering::Relaxed)
}

/// Whether a state of `len` amplitudes (a power of two) uses the parallel kernels.
#[inline]
fn parallel(len: usize) -> bool {
    len.trailing_zeros() as usize >= parallel_threshold()
}

/// Amplitudes per rayon task (a power of two; 64 KiB of `Complex64`).
const BLOCK: usize = 1 << 12;

/// Calls `f(i, &mut a[i], &mut a[i + 2^k])` for every index `i` with bit `k` clear.
pub(crate) fn for_each_pair<F>(amps: &mut [C64], k: usize, f: F)
where
    F: Fn(usize, &mut C64, &mut C64) + Sync + Send,
{
    let stride = 1usize << k;
    debug_assert!(2 * stride <= amps.len());
    if !parallel(amps.len()) {
        pairs_serial(amps, 0, stride, &f);
    } else if 2 * stride <= BLOCK {
        amps.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| pairs_serial(chunk, b * BLOCK, stride, &f));
    } else {
        // Few, large blocks: parallelize inside each half instead.
        amps.par_chunks_mut(2 * stride)
            .enumerate()
            .for_each(|(c, chunk)| {
                let base = c * 2 * stride;
                let (lo, hi) = chunk.split_at_mut(stride);
                let half = BLOCK / 2;
                lo.par_chunks_mut(half)
                    .zip(hi.par_chunks_mut(half))
                    .enumerate()
                    .for_each(|(j, (l, h))| {
                        let off = base + j * half;
                        for (i, (a, b)) in l.iter_mut().zip(h.iter_mut()).enumerate() {
                            f(off + i, a, b);
                        }
                    });
            });
    }
}

fn pairs_serial<F>(chunk: &mut [C64], offset: usize, stride: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64),
{
    // Low qubits have tiny blocks; fixed-size arrays let the compiler unroll them instead of
    // setting up two slice iterators per pair (measured 2x on qubit 0).
    match stride {
        1 => return pairs_fixed::<2, F>(chunk, offset, f),
        2 => return pairs_fixed::<4, F>(chunk, offset, f),
        4 => return pairs_fixed::<8, F>(chunk, offset, f),
        _ => {}
    }
    for (c, block) in chunk.chunks_exact_mut(2 * stride).enumerate() {
        let base = offset + c * 2 * stride;
        let (lo, hi) = block.split_at_mut(stride);
        for (i, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            f(base + i, a, b);
        }
    }
}

/// [`pairs_serial`] for blocks of a compile-time size `B = 2·stride`.
fn pairs_fixed<const B: usize, F>(chunk: &mut [C64], offset: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64),
{
    let (blocks, rest) = chunk.as_chunks_mut::<B>();
    debug_assert!(rest.is_empty());
    for (c, block) in blocks.iter_mut().enumerate() {
        let (lo, hi) = block.split_at_mut(B / 2);
        for (i, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            f(offset + c * B + i, a, b);
        }
    }
}

/// Calls `f(i, v0, v1, v2, v3)` for every index `i` with bits `q0` and `q1` clear, where `vj`
/// is the amplitude with bit `q0` = `j & 1` and bit `q1` = `j >> 1` (the gate's local basis is
/// little-endian in the order the qubits are named).
pub(crate) fn for_each_quad<F>(amps: &mut [C64], q0: usize, q1: usize, f: F)
where
    F: Fn(usize, &mut C64, &mut C64, &mut C64, &mut C64) + Sync + Send,
{
    debug_assert!(q0 != q1);
    if q0 < q1 {
        quads_sorted(amps, q0, q1, &|i, a, b, c, d| f(i, a, b, c, d));
    } else {
        // Bit q0 is the high split here: swap the middle two to keep f's local ordering.
        quads_sorted(amps, q1, q0, &|i, a, b, c, d| f(i, a, c, b, d));
    }
}

/// Quadruples for `lo < hi`: arguments in the order (00, lo, hi, both).
fn quads_sorted<F>(amps: &mut [C64], lo: usize, hi: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64, &mut C64, &mut C64) + Sync + Send,
{
    let sl = 1usize << lo;
    let sh = 1usize << hi;
    if !parallel(amps.len()) {
        quads_serial(amps, 0, sl, sh, f);
    } else if 2 * sh <= BLOCK {
        amps.par_chunks_mut(BLOCK)
            .enumerate()
            .for_each(|(b, chunk)| quads_serial(chunk, b * BLOCK, sl, sh, f));
    } else {
        let piece = (BLOCK / 2).max(2 * sl);
        amps.par_chunks_mut(2 * sh).enumerate().for_each(|(c, chunk)| {
            let base = c * 2 * sh;
            let (l, h) = chunk.split_at_mut(sh);
            l.par_chunks_mut(piece)
                .zip(h.par_chunks_mut(piece))
                .enumerate()
                .for_each(|(j, (lp, hp))| quad_halves(lp, hp, base + j * piece, sl, f));
        });
    }
}

fn quads_serial<F>(chunk: &mut [C64], offset: usize, sl: usize, sh: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64, &mut C64, &mut C64),
{
    for (c, block) in chunk.chunks_exact_mut(2 * sh).enumerate() {
        let (l, h) = block.split_at_mut(sh);
        quad_halves(l, h, offset + c * 2 * sh, sl, f);
    }
}

/// `l` and `h` are matching pieces of the hi-bit-clear and hi-bit-set halves; `base` is the
/// index of `l[0]`.
fn quad_halves<F>(l: &mut [C64], h: &mut [C64], base: usize, sl: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64, &mut C64, &mut C64),
{
    match sl {
        1 => return quad_halves_fixed::<2, F>(l, h, base, f),
        2 => return quad_halves_fixed::<4, F>(l, h, base, f),
        4 => return quad_halves_fixed::<8, F>(l, h, base, f),
        _ => {}
    }
    for (c, (lb, hb)) in l
        .chunks_exact_mut(2 * sl)
        .zip(h.chunks_exact_mut(2 * sl))
        .enumerate()
    {
        quad_block(lb, hb, base + c * 2 * sl, sl, f);
    }
}

/// [`quad_halves`] for a low-qubit block of compile-time size `B = 2·sl`.
fn quad_halves_fixed<const B: usize, F>(l: &mut [C64], h: &mut [C64], base: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64, &mut C64, &mut C64),
{
    let (lbs, _) = l.as_chunks_mut::<B>();
    let (hbs, _) = h.as_chunks_mut::<B>();
    for (c, (lb, hb)) in lbs.iter_mut().zip(hbs.iter_mut()).enumerate() {
        quad_block(lb, hb, base + c * B, B / 2, f);
    }
}

#[inline(always)]
fn quad_block<F>(lb: &mut [C64], hb: &mut [C64], b: usize, sl: usize, f: &F)
where
    F: Fn(usize, &mut C64, &mut C64, &mut C64, &mut C64),
{
    let (ll, lh) = lb.split_at_mut(sl);
    let (hl, hh) = hb.split_at_mut(sl);
    for (i, (((a, bb), cc), d)) in ll
        .iter_mut()
        .zip(lh.iter_mut())
        .zip(hl.iter_mut())
        .zip(hh.iter_mut())
        .enumerate()
    {
        f(b + i, a, bb, cc, d);
    }
}

/// Calls `f(i, &mut a[i])` for every amplitude, in parallel above the threshold.
pub(crate) fn for_each_amp<F>(amps: &mut [C64], f: F)
where
    F: Fn(usize, &mut C64) + Sync + Send,
{
    if !parallel(amps.len()) {
        amps.iter_mut().enumerate().for_each(|(i, a)| f(i, a));
    } else {
        amps.par_chunks_mut(BLOCK).enumerate().for_each(|(b, chunk)| {
            for (i, a) in chunk.iter_mut().enumerate() {
                f(b * BLOCK + i, a);
            }
        });
    }
}

/// `Σ_i f(i, a[i])`, in parallel above the threshold (fixed block order, so reproducible).
pub(crate) fn sum_amps<F>(amps: &[C64], f: F) -> C64
where
    F: Fn(usize, C64) -> C64 + Sync + Send,
{
    let block = |b: usize, chunk: &[C64]| {
        chunk
            .iter()
            .enumerate()
            .fold(C64::new(0.0, 0.0), |s, (i, &a)| s + f(b * BLOCK + i, a))
    };
    if !parallel(amps.len()) {
        block(0, amps)
    } else {
        let parts: Vec<C64> = amps
            .par_chunks(BLOCK)
            .enumerate()
            .map(|(b, c)| block(b, c))
            .collect();
        parts.into_iter().sum()
    }
}

/// A pure state of `n` qubits.
#[derive(Debug, Clone, PartialEq)]
pub struct StateVector {
    n: usize,
    amps: Vec<C64>,
}

impl StateVector {
    /// Largest supported register: 2^30 amplitudes are 16 GiB already.
    pub const MAX_QUBITS: usize = 30;

    /// `|0…0>` on `n` qubits.
    pub fn zero(n: usize) -> crate::Result<Self> {
        if n == 0 || n > Self::MAX_QUBITS {
            return Err(crate::Error::Other(format!(
                "quantum state: {n} qubits requested, supported are 1..={}",
                Self::MAX_QUBITS
            )));
        }
        let mut amps = vec![C64::new(0.0, 0.0); 1 << n];
        amps[0] = C64::new(1.0, 0.0);
        Ok(StateVector { n, amps })
    }

    /// A state from explicit amplitudes (length must be a power of two, at least 2).
    pub fn from_amplitudes(amps: Vec<C64>) -> crate::Result<Self> {
        let len = amps.len();
        if len < 2 || !len.is_power_of_two() || len > (1 << Self::MAX_QUBITS) {
            return Err(crate::Error::Shape {
                context: "StateVector::from_amplitudes".into(),
                tensor: "amplitudes".into(),
                expected: "[2^n] with 1 <= n <= 30".into(),
                found: format!("[{len}]"),
            });
        }
        Ok(StateVector {
            n: len.trailing_zeros() as usize,
            amps,
        })
    }

    /// Resets to `|0…0>` without reallocating.
    pub fn reset(&mut self) {
        self.amps.iter_mut().for_each(|a| *a = C64::new(0.0, 0.0));
        self.amps[0] = C64::new(1.0, 0.0);
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.n
    }

    /// The amplitudes, index bit `k` = qubit `k`.
    pub fn amplitudes(&self) -> &[C64] {
        &self.amps
    }

    /// Mutable amplitudes (the caller keeps the state normalized if it wants probabilities).
    pub fn amplitudes_mut(&mut self) -> &mut [C64] {
        &mut self.amps
    }

    /// `Σ |a_i|^2`.
    pub fn norm_sqr(&self) -> f64 {
        sum_amps(&self.amps, |_, a| C64::new(a.norm_sqr(), 0.0)).re
    }

    /// `<self|other>`.
    pub fn inner(&self, other: &StateVector) -> C64 {
        assert_eq!(self.n, other.n, "inner product of states of different sizes");
        let b = &other.amps;
        sum_amps(&self.amps, |i, a| a.conj() * b[i])
    }

    /// Probability of each basis state.
    pub fn probabilities(&self) -> Vec<f64> {
        self.amps.iter().map(|a| a.norm_sqr()).collect()
    }

    /// Copies `other`'s amplitudes into `self` (same size) without reallocating.
    pub fn copy_from(&mut self, other: &StateVector) {
        self.amps.copy_from_slice(&other.amps);
    }

    /// The kernels below take qubit indices like slices take positions: an index `>= n`, or
    /// the same qubit twice, is a caller bug and panics with this message (circuits validate
    /// their gates when they are built, so a circuit never reaches it).
    #[track_caller]
    fn check_qubits(&self, qs: &[usize]) {
        for (j, &q) in qs.iter().enumerate() {
            assert!(q < self.n, "qubit {q} out of range for a {}-qubit state", self.n);
            assert!(!qs[..j].contains(&q), "qubit {q} named twice in one gate");
        }
    }

    /// Applies a 2x2 matrix to qubit `q` (any matrix, unitary or not).
    pub fn apply_mat1(&mut self, q: usize, m: &Mat2) {
        self.check_qubits(&[q]);
        if m.iter().flatten().all(|z| z.im == 0.0) {
            // Real matrices (RY, H, X, …): half the multiplications.
            let r = [[m[0][0].re, m[0][1].re], [m[1][0].re, m[1][1].re]];
            for_each_pair(&mut self.amps, q, move |_, a, b| {
                let (x, y) = (*a, *b);
                *a = x * r[0][0] + y * r[0][1];
                *b = x * r[1][0] + y * r[1][1];
            });
            return;
        }
        let m = *m;
        for_each_pair(&mut self.amps, q, move |_, a, b| {
            let (x, y) = (*a, *b);
            *a = m[0][0] * x + m[0][1] * y;
            *b = m[1][0] * x + m[1][1] * y;
        });
    }

    /// Multiplies by `diag(d0, d1)` on qubit `q`.
    pub fn apply_diag1(&mut self, q: usize, d: [C64; 2]) {
        self.check_qubits(&[q]);
        for_each_pair(&mut self.amps, q, move |_, a, b| {
            *a *= d[0];
            *b *= d[1];
        });
    }

    /// Applies `m` to `target` where `control` is 1. With `zero_rest` the control-0 amplitudes
    /// are cleared instead of kept, giving `|1><1| ⊗ m` (the derivative of a controlled gate).
    pub fn apply_controlled_mat1(&mut self, control: usize, target: usize, m: &Mat2, zero_rest: bool) {
        self.check_qubits(&[control, target]);
        let m = *m;
        let zero = C64::new(0.0, 0.0);
        // Local index: bit 0 = control, bit 1 = target; act on v1 (c=1,t=0) and v3 (c=1,t=1).
        for_each_quad(&mut self.amps, control, target, move |_, v0, v1, v2, v3| {
            let (x, y) = (*v1, *v3);
            *v1 = m[0][0] * x + m[0][1] * y;
            *v3 = m[1][0] * x + m[1][1] * y;
            if zero_rest {
                *v0 = zero;
                *v2 = zero;
            }
        });
    }

    /// Applies a 4x4 matrix on `(q0, q1)`; local index = bit(q0) + 2·bit(q1).
    pub fn apply_mat2(&mut self, q0: usize, q1: usize, m: &Mat4) {
        self.check_qubits(&[q0, q1]);
        let m = *m;
        for_each_quad(&mut self.amps, q0, q1, move |_, v0, v1, v2, v3| {
            let x = [*v0, *v1, *v2, *v3];
            let row = |r: usize| m[r][0] * x[0] + m[r][1] * x[1] + m[r][2] * x[2] + m[r][3] * x[3];
            *v0 = row(0);
            *v1 = row(1);
            *v2 = row(2);
            *v3 = row(3);
        });
    }

    /// Multiplies by a diagonal on `(q0, q1)`; local index = bit(q0) + 2·bit(q1).
    pub fn apply_diag2(&mut self, q0: usize, q1: usize, d: [C64; 4]) {
        self.check_qubits(&[q0, q1]);
        for_each_quad(&mut self.amps, q0, q1, move |_, v0, v1, v2, v3| {
            *v0 *= d[0];
            *v1 *= d[1];
            *v2 *= d[2];
            *v3 *= d[3];
        });
    }

    /// CNOT: flips `target` where `control` is 1 (a swap, no arithmetic).
    pub fn apply_cx(&mut self, control: usize, target: usize) {
        self.check_qubits(&[control, target]);
        for_each_quad(&mut self.amps, control, target, |_, _, v1, _, v3| {
            std::mem::swap(v1, v3);
        });
    }

    /// SWAP of two qubits.
    pub fn apply_swap(&mut self, a: usize, b: usize) {
        self.check_qubits(&[a, b]);
        for_each_quad(&mut self.amps, a, b, |_, _, v1, v2, _| std::mem::swap(v1, v2));
    }

    /// Toffoli: flips `target` where both controls are 1.
    pub fn apply_ccx(&mut self, c0: usize, c1: usize, target: usize) {
        self.check_qubits(&[c0, c1, target]);
        let mask = (1usize << c0) | (1usize << c1);
        for_each_pair(&mut self.amps, target, move |i, a, b| {
            if i & mask == mask {
                std::mem::swap(a, b);
            }
        });
    }

    /// Fredkin: swaps `a` and `b` where `control` is 1.
    pub fn apply_cswap(&mut self, control: usize, a: usize, b: usize) {
        self.check_qubits(&[control, a, b]);
        let mask = 1usize << control;
        for_each_quad(&mut self.amps, a, b, move |i, _, v1, v2, _| {
            if i & mask != 0 {
                std::mem::swap(v1, v2);
            }
        });
    }

    /// Multiplies every amplitude by `s`.
    pub fn scale(&mut self, s: C64) {
        for_each_amp(&mut self.amps, move |_, a| *a *= s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(re: f64, im: f64) -> C64 {
        C64::new(re, im)
    }

    /// A deterministic pseudo-random state (not normalized; the kernels are linear).
    fn state(n: usize, seed: u64) -> StateVector {
        let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        StateVector::from_amplitudes((0..1usize << n).map(|_| c(next(), next())).collect()).unwrap()
    }

    /// The kernels agree with an index-by-index reference on both the serial and the
    /// parallel paths, for every qubit position (low, middle, above the block size).
    #[test]
    fn kernels_match_reference_serial_and_parallel() {
        // Only ever lowered (tests run concurrently), so the 15-qubit case is parallel.
        set_parallel_threshold(parallel_threshold().min(12));
        let m: Mat2 = [[c(0.3, 0.1), c(-0.2, 0.5)], [c(0.7, -0.4), c(0.05, 0.9)]];
        for n in [5usize, 15] {
            let s0 = state(n, n as u64);
            for q in [0, 1, n / 2, n - 1] {
                let mut s = s0.clone();
                s.apply_mat1(q, &m);
                for i in 0..1usize << n {
                    let bit = (i >> q) & 1;
                    let i0 = i & !(1 << q);
                    let i1 = i0 | (1 << q);
                    let want = m[bit][0] * s0.amps[i0] + m[bit][1] * s0.amps[i1];
                    assert!((s.amps[i] - want).norm() < 1e-14, "n={n} q={q} i={i}");
                }
                for q1 in [0, 2, n - 1] {
                    if q1 == q {
                        continue;
                    }
                    let mut s = s0.clone();
                    s.apply_cx(q, q1);
                    for i in 0..1usize << n {
                        let src = if (i >> q) & 1 == 1 { i ^ (1 << q1) } else { i };
                        assert_eq!(s.amps[i], s0.amps[src], "cx n={n} {q},{q1} i={i}");
                    }
                }
            }
        }
    }

    #[test]
    fn toffoli_and_cswap_permute_basis_states() {
        set_parallel_threshold(parallel_threshold().min(12));
        for n in [3usize, 14] {
            let s0 = state(n, 7);
            let mut s = s0.clone();
            s.apply_ccx(0, n - 1, 1);
            for i in 0..1usize << n {
                let on = (i & 1 == 1) && ((i >> (n - 1)) & 1 == 1);
                let src = if on { i ^ 2 } else { i };
                assert_eq!(s.amps[i], s0.amps[src]);
            }
            let mut s = s0.clone();
            s.apply_cswap(1, 0, n - 1);
            for i in 0..1usize << n {
                let (a, b) = (i & 1, (i >> (n - 1)) & 1);
                let src = if (i >> 1) & 1 == 1 && a != b {
                    i ^ 1 ^ (1 << (n - 1))
                } else {
                    i
                };
                assert_eq!(s.amps[i], s0.amps[src]);
            }
        }
    }

    #[test]
    #[should_panic(expected = "qubit 3 out of range")]
    fn kernels_reject_out_of_range_qubits() {
        StateVector::zero(3).unwrap().apply_cx(0, 3);
    }

    #[test]
    fn rejects_bad_sizes() {
        assert!(StateVector::zero(0).is_err());
        assert!(StateVector::from_amplitudes(vec![c(1.0, 0.0); 3]).is_err());
        assert_eq!(StateVector::zero(3).unwrap().norm_sqr(), 1.0);
    }
}
