//! Custom ops with a user-supplied VJP: shapes checked at the call, the Rust VJP called by
//! the derived backward pass, composed with the rest of the model's gradient.

mod common;

use shapegrad::custom::{CustomOp, HostTensor};
use shapegrad::prelude::*;
use shapegrad::Model;

/// softsign(x) = x / (1 + |x|), with its exact derivative 1 / (1 + |x|)².
struct Softsign;

impl CustomOp for Softsign {
    fn name(&self) -> &str {
        "softsign"
    }
    fn forward(&self, inputs: &[HostTensor]) -> shapegrad::Result<Vec<f64>> {
        Ok(inputs[0].data.iter().map(|x| x / (1.0 + x.abs())).collect())
    }
    fn vjp(&self, inputs: &[HostTensor], _y: &[f64], g: &[f64]) -> shapegrad::Result<Vec<Vec<f64>>> {
        Ok(vec![inputs[0]
            .data
            .iter()
            .zip(g)
            .map(|(x, g)| g / (1.0 + x.abs()).powi(2))
            .collect()])
    }
}

/// A bilinear op of two operands, `out[b] = Σ_k x[b,k] · w[k]`, to check gradients reach
/// both inputs (one of them a parameter).
struct Bilinear;

impl CustomOp for Bilinear {
    fn name(&self) -> &str {
        "bilinear"
    }
    fn forward(&self, inputs: &[HostTensor]) -> shapegrad::Result<Vec<f64>> {
        let (x, w) = (&inputs[0], &inputs[1]);
        let k = w.data.len();
        Ok(x.data
            .chunks(k)
            .map(|row| row.iter().zip(&w.data).map(|(a, b)| a * b).sum())
            .collect())
    }
    fn vjp(&self, inputs: &[HostTensor], _y: &[f64], g: &[f64]) -> shapegrad::Result<Vec<Vec<f64>>> {
        let (x, w) = (&inputs[0], &inputs[1]);
        let k = w.data.len();
        let gx = x
            .data
            .iter()
            .enumerate()
            .map(|(i, _)| g[i / k] * w.data[i % k])
            .collect();
        let mut gw = vec![0.0; k];
        for (i, xv) in x.data.iter().enumerate() {
            gw[i % k] += g[i / k] * xv;
        }
        Ok(vec![gx, gw])
    }
}

shapegrad::model! {
    struct Hybrid {
        dims { B: batch, H = 3 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, v: [H] = normal(0.0, 1.0) }
        extern fn softsign(x: [B, H]) -> [B, H] = Softsign;
        extern fn bilinear(x: [B, H], w: [H]) -> [B] = Bilinear;
        fn loss(x: [B, 2], y: [B]) -> [] {
            let h = softsign(x @ w1 + b1);
            mean(square(tanh(bilinear(h, v)) - y))
        }
    }
}

#[test]
fn custom_op_gradients_match_finite_differences() {
    let dev = Cpu::default();
    let m: Hybrid<f64, Cpu> = Hybrid::new(&dev, 4);
    let x = dev.tensor_from_vec(
        vec![0.3, -0.7, 1.2, 0.4, -0.2, 0.9, 0.5, 0.5],
        (4usize, Const::<2>),
    );
    let y = dev.tensor_from_vec(vec![0.1, -0.3, 0.5, 0.2], (4usize,));
    let (l, g, (gx, _)) = m.loss_and_grad_inputs(&x, &y).unwrap();
    assert_eq!(l, m.loss(&x, &y).unwrap());
    let d = to_flat(&g);
    let h = 1e-6;
    let fd = common::fd_params(&m, h, |mm| mm.loss(&x, &y).unwrap());
    let mut worst = fd
        .iter()
        .zip(&d)
        .map(|(f, d)| (f - d).abs() / d.abs().max(1.0))
        .fold(0.0, f64::max);
    let xv = x.as_vec();
    let gxv = gx.as_vec();
    for i in 0..xv.len() {
        let mut v = xv.clone();
        v[i] += h;
        let up = m
            .loss(&dev.tensor_from_vec(v.clone(), (4usize, Const::<2>)), &y)
            .unwrap();
        v[i] -= 2.0 * h;
        let down = m.loss(&dev.tensor_from_vec(v, (4usize, Const::<2>)), &y).unwrap();
        worst = worst.max(((up - down) / (2.0 * h) - gxv[i]).abs() / gxv[i].abs().max(1.0));
    }
    assert!(
        worst < 1e-6,
        "custom-op gradient vs finite differences: worst rel. err {worst:e}"
    );
    let _ = m.zero_grads();
}

/// An op that returns the wrong number of values is a `Result` error naming the op.
struct Broken;
impl CustomOp for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn forward(&self, _: &[HostTensor]) -> shapegrad::Result<Vec<f64>> {
        Ok(vec![1.0])
    }
    fn vjp(&self, _: &[HostTensor], _: &[f64], _: &[f64]) -> shapegrad::Result<Vec<Vec<f64>>> {
        Ok(vec![])
    }
}

shapegrad::model! {
    struct UsesBroken {
        dims { B: batch }
        params { w: [2] = ones }
        extern fn broken(x: [B, 2]) -> [B, 2] = Broken;
        fn f(x: [B, 2]) -> [] { sum(broken(x * w)) }
    }
}

#[test]
fn a_custom_op_with_the_wrong_output_length_is_an_error_not_a_panic() {
    let dev = Cpu::default();
    let m: UsesBroken<f32, Cpu> = UsesBroken::new(&dev, 0);
    let x = dev.tensor_from_vec(vec![1.0f32; 6], (3usize, Const::<2>));
    let err = m.f(&x).unwrap_err().to_string();
    assert!(
        err.contains("broken") && err.contains("6 values") && err.contains("1 values"),
        "{err}"
    );
}
