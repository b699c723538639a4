//! `scan` and backpropagation through time: an Elman RNN and a GRU over a sequence whose
//! length is a run-time dim; the derived BPTT gradient against f64 finite differences and
//! dfdx's tape, for the final state and for every state (`scan_all`).

mod common;

use proc_macro2::TokenStream;
use shapegrad::prelude::*;

shapegrad::model! {
    /// Elman: h ← tanh(x Wx + h Wh + b).
    pub struct Elman {
        dims { B: batch, T: batch, I = 3, H = 4 }
        params { wx: [I, H] = glorot, wh: [H, H] = glorot, b: [H] = normal(0.0, 0.2), wo: [H, 1] = glorot }
        fn cell(h: [B, H], x: [B, I]) -> [B, H] { tanh(x @ wx + h @ wh + b) }
        fn loss(xs: [B, T, I], h0: [B, H], y: [B, 1]) -> [] { mse(scan(cell, xs, h0, axis = 1) @ wo, y) }
        fn loss_all(xs: [B, T, I], h0: [B, H]) -> [] { mean(square(scan_all(cell, xs, h0, axis = 1))) }
    }

    /// GRU (Cho et al.), gates z and r, candidate n.
    pub struct Gru {
        dims { B: batch, T: batch, I = 3, H = 4 }
        params {
            wz: [I, H] = glorot, uz: [H, H] = glorot, bz: [H] = zeros,
            wr: [I, H] = glorot, ur: [H, H] = glorot, br: [H] = zeros,
            wn: [I, H] = glorot, un: [H, H] = glorot, bn: [H] = normal(0.0, 0.1),
            wo: [H, 1] = glorot
        }
        fn cell(h: [B, H], x: [B, I]) -> [B, H] {
            let z = sigmoid(x @ wz + h @ uz + bz);
            let r = sigmoid(x @ wr + h @ ur + br);
            let n = tanh(x @ wn + (r * h) @ un + bn);
            (1.0 - z) * n + z * h
        }
        fn loss(xs: [B, T, I], y: [B, 1]) -> [] {
            let h0 = 0.0 * sum(xs, axis = 1) @ wz;
            mse(scan(cell, xs, h0, axis = 1) @ wo, y)
        }
    }
}

fn seq<E: shapegrad::dfdx::shapes::Dtype>(
    dev: &Cpu,
    b: usize,
    t: usize,
) -> Tensor<(usize, usize, Const<3>), E, Cpu> {
    let v: Vec<E> = (0..b * t * 3)
        .map(|i| E::from_f64(((i * 7 % 13) as f64 / 13.0 - 0.5) * 1.5).unwrap())
        .collect();
    dev.tensor_from_vec(v, (b, t, Const::<3>))
}

fn fd_check<M: shapegrad::Model<f64, Cpu>>(m: &M, loss: impl Fn(&M) -> f64, grads: &M::Grads) -> f64 {
    let p = to_flat(m);
    let d = to_flat(grads);
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    for i in 0..p.len() {
        let mut mm = m.clone();
        let mut q = p.clone();
        q[i] += h;
        set_flat(&mut mm, &q).unwrap();
        let up = loss(&mm);
        q[i] -= 2.0 * h;
        set_flat(&mut mm, &q).unwrap();
        let down = loss(&mm);
        worst = worst.max(common::rel_err((up - down) / (2.0 * h), d[i]));
    }
    worst
}

#[test]
fn elman_bptt_matches_finite_differences_and_tape_for_several_lengths() {
    let dev = Cpu::default();
    for t in [1usize, 2, 7] {
        let m: Elman<f64, Cpu> = Elman::new(&dev, 3);
        let xs = seq::<f64>(&dev, 2, t);
        let h0 = dev.tensor_from_vec(
            vec![0.1, -0.2, 0.3, 0.0, 0.5, 0.1, -0.4, 0.2],
            (2usize, Const::<4>),
        );
        let y = dev.tensor_from_vec(vec![0.3, -0.6], (2usize, Const::<1>));
        let (l, g, (gxs, gh0, _)) = m.loss_and_grad_inputs(&xs, &h0, &y).unwrap();
        assert_eq!(l, m.loss(&xs, &h0, &y).unwrap());
        let worst = fd_check(&m, |mm| mm.loss(&xs, &h0, &y).unwrap(), &g);
        assert!(worst < 1e-6, "T = {t}: BPTT vs finite differences: {worst:e}");
        // Input gradients too: the sequence and the initial state.
        let (_, gt, (gxs_t, gh0_t, _)) = m.loss_tape(&xs, &h0, &y).unwrap();
        assert!(
            common::worst_diff(&to_flat(&g), &to_flat(&gt)) < 1e-10,
            "T = {t}: vs tape"
        );
        assert!(common::worst_diff(&gxs.as_vec(), &gxs_t.as_vec()) < 1e-10);
        assert!(common::worst_diff(&gh0.as_vec(), &gh0_t.as_vec()) < 1e-10);

        let (_, ga) = m.loss_all_and_grad(&xs, &h0).unwrap();
        let worst = fd_check(&m, |mm| mm.loss_all(&xs, &h0).unwrap(), &ga);
        assert!(
            worst < 1e-6,
            "T = {t}: scan_all BPTT vs finite differences: {worst:e}"
        );
        let (_, gat, _) = m.loss_all_tape(&xs, &h0).unwrap();
        assert!(common::worst_diff(&to_flat(&ga), &to_flat(&gat)) < 1e-10);
    }
}

#[test]
fn gru_bptt_matches_finite_differences_and_tape() {
    let dev = Cpu::default();
    let m: Gru<f64, Cpu> = Gru::new(&dev, 5);
    let xs = seq::<f64>(&dev, 3, 6);
    let y = dev.tensor_from_vec(vec![0.3, -0.6, 0.1], (3usize, Const::<1>));
    let (_, g) = m.loss_and_grad(&xs, &y).unwrap();
    let worst = fd_check(&m, |mm| mm.loss(&xs, &y).unwrap(), &g);
    assert!(worst < 1e-6, "GRU BPTT vs finite differences: {worst:e}");
    let m32: Gru<f32, Cpu> = Gru::new(&dev, 5);
    let xs32 = seq::<f32>(&dev, 3, 6);
    let y32 = dev.tensor_from_vec(vec![0.3f32, -0.6, 0.1], (3usize, Const::<1>));
    let (_, gd) = m32.loss_and_grad(&xs32, &y32).unwrap();
    let (_, gt, _) = m32.loss_tape(&xs32, &y32).unwrap();
    let tape = common::worst_diff(&to_flat(&gd), &to_flat(&gt));
    assert!(tape < 1e-5, "GRU derived vs tape (f32): {tape:e}");
}

#[test]
fn generated_code_does_not_grow_with_sequence_length() {
    // The same model with a literal length of 10 and of 10 000: the expansion differs only in
    // the literal, because both passes are loops.
    let src = |t: usize| -> TokenStream {
        format!(
            "struct R {{ dims {{ B: batch, H = 4 }} params {{ w: [H, H] = glorot }}
               fn cell(h: [B, H], x: [B, H]) -> [B, H] {{ tanh(h @ w + x) }}
               fn loss(xs: [B, {t}, H], h0: [B, H]) -> [] {{ sum(scan(cell, xs, h0, axis = 1)) }} }}"
        )
        .parse()
        .unwrap()
    };
    let short = shapegrad_compiler_expand(src(10));
    let long = shapegrad_compiler_expand(src(10_000));
    assert_eq!(short.len(), long.len());
    assert!(short.contains("for __t in"));
}

fn shapegrad_compiler_expand(ts: TokenStream) -> String {
    shapegrad_compiler::expand(ts).to_string().replace("10000", "10")
}
