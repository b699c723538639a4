//! State-vector kernels against this machine's memory bandwidth, and adjoint vs
//! parameter-shift gradients. Run with `cargo bench --bench statevector`; one parseable line
//! per figure, medians after warm-up:
//!
//! ```text
//! statevector bandwidth threads=1 gbps=...
//! statevector gate=RY n=20 qubit=10 mode=rayon us=... gbps=...
//! statevector grad n=10 P=60 adjoint_ms=... param_shift_ms=... ratio=...
//! ```
//!
//! A one-qubit gate reads and writes every amplitude once: `2 · 16 · 2^n` bytes per pass
//! (CNOT touches half the amplitudes but streams every cache line of the state, so the same
//! byte count is used; its "effective bandwidth" is comparable to RY's).

use shapegrad::quantum::{
    gradient, parallel_threshold, set_parallel_threshold, Circuit, Gate, GradMethod, Hamiltonian, Mat2,
    StateVector, C64,
};
use std::hint::black_box;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds per call of `f`, timing batches of `inner` calls after one warm-up batch.
fn time<F: FnMut()>(samples: usize, inner: usize, mut f: F) -> f64 {
    for _ in 0..inner {
        f();
    }
    median(
        (0..samples)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..inner {
                    f();
                }
                t.elapsed().as_secs_f64() / inner as f64
            })
            .collect(),
    )
}

fn bandwidth() {
    // 256 MiB source and destination: far beyond the caches.
    let len = 1usize << 25;
    let src: Vec<f64> = (0..len).map(|i| i as f64).collect();
    let mut dst = vec![0.0f64; len];
    let bytes = 2.0 * 8.0 * len as f64;
    let s1 = time(7, 1, || {
        dst.copy_from_slice(black_box(&src));
        black_box(&dst);
    });
    println!("statevector bandwidth threads=1 gbps={:.1}", bytes / s1 / 1e9);
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let part = len.div_ceil(threads);
    let sn = time(7, 1, || {
        std::thread::scope(|sc| {
            for (d, s) in dst.chunks_mut(part).zip(src.chunks(part)) {
                sc.spawn(move || d.copy_from_slice(s));
            }
        });
        black_box(&dst);
    });
    println!(
        "statevector bandwidth threads={threads} gbps={:.1}",
        bytes / sn / 1e9
    );
}

fn gates() {
    let m = Gate::RY.matrix(&[0.37]);
    let ry: Mat2 = [[m[0][0], m[0][1]], [m[1][0], m[1][1]]];
    let default = parallel_threshold();
    for n in [12usize, 16, 20, 22, 24] {
        let mut s = StateVector::zero(n).unwrap();
        // Spread the amplitude so no kernel sees only zeros.
        let a = C64::new((1.0 / (1u64 << n) as f64).sqrt(), 0.0);
        s.amplitudes_mut().iter_mut().for_each(|x| *x = a);
        let bytes = 2.0 * 16.0 * (1u64 << n) as f64;
        let inner = (1usize << 22 >> n).max(1);
        let samples = if n >= 22 { 9 } else { 15 };
        let q = n / 2;
        // The default configuration first, then the serial kernels for comparison (the two
        // differ only from the parallel threshold on).
        for serial in [false, true] {
            if serial && n < default {
                continue;
            }
            set_parallel_threshold(if serial { usize::MAX } else { default });
            let mode = if n < default || serial { "serial" } else { "rayon" };
            let t = time(samples, inner, || s.apply_mat1(q, black_box(&ry)));
            println!(
                "statevector gate=RY n={n} qubit={q} mode={mode} us={:.2} gbps={:.1}",
                t * 1e6,
                bytes / t / 1e9
            );
            // The lowest qubit (pairs are adjacent: the most loop overhead per amplitude).
            let t = time(samples, inner, || s.apply_mat1(0, black_box(&ry)));
            println!(
                "statevector gate=RY n={n} qubit=0 mode={mode} us={:.2} gbps={:.1}",
                t * 1e6,
                bytes / t / 1e9
            );
            let t = time(samples, inner, || s.apply_cx(q, (q + 1) % n));
            println!(
                "statevector gate=CNOT n={n} qubit={q} mode={mode} us={:.2} gbps={:.1}",
                t * 1e6,
                bytes / t / 1e9
            );
        }
        set_parallel_threshold(default);
    }
}

fn grads() {
    let n = 10;
    let wires: Vec<usize> = (0..n).collect();
    let h = Hamiltonian::parse("Z0 + 0.5*Z4Z5 - 0.3*X9").unwrap();
    for p in [30usize, 60, 120, 240] {
        let mut c = Circuit::new(n).unwrap();
        c.strongly_entangling_layers(&wires, p / (3 * n), None, 0)
            .unwrap();
        let w: Vec<f64> = (0..c.num_weights()).map(|i| (i as f64 * 0.61).sin()).collect();
        let adj = time(9, 3, || {
            black_box(gradient(&c, &[], &w, &h, GradMethod::Adjoint).unwrap());
        });
        let ps = time(5, 1, || {
            black_box(gradient(&c, &[], &w, &h, GradMethod::ParameterShift).unwrap());
        });
        println!(
            "statevector grad n={n} P={p} adjoint_ms={:.3} param_shift_ms={:.3} ratio={:.1}",
            adj * 1e3,
            ps * 1e3,
            ps / adj
        );
    }
}

fn main() {
    bandwidth();
    gates();
    grads();
}
