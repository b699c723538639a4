//! A custom op with a surrogate gradient: spiking neurons.
//!
//! A spiking unit fires (1) when its membrane potential v is positive and stays silent (0)
//! otherwise: a Heaviside step, whose true derivative is zero almost everywhere, so plain
//! backpropagation cannot train it. The surrogate-gradient trick keeps the exact step in the
//! forward pass and uses a smooth stand-in in the backward pass — here the fast sigmoid's
//! derivative β / (1 + β|v|)². In shapegrad that is a custom op: the DSL declares its shapes,
//! Rust gives its forward and VJP, and the macro calls the VJP inside the derived backward pass.
//!
//! `cargo run --release --example spiking` trains a network whose hidden layer only spikes on
//! the XOR of two noisy bits.

use shapegrad::custom::{CustomOp, HostTensor};
use shapegrad::optim::{Adam, Optimizer};
use shapegrad::prelude::*;

/// Heaviside forward, fast-sigmoid surrogate backward.
pub struct Spike {
    /// Sharpness of the surrogate.
    pub beta: f64,
}

impl CustomOp for Spike {
    fn name(&self) -> &str {
        "spike"
    }
    fn forward(&self, inputs: &[HostTensor]) -> shapegrad::Result<Vec<f64>> {
        Ok(inputs[0].data.iter().map(|&v| f64::from(v > 0.0)).collect())
    }
    fn vjp(&self, inputs: &[HostTensor], _out: &[f64], g: &[f64]) -> shapegrad::Result<Vec<Vec<f64>>> {
        let b = self.beta;
        Ok(vec![inputs[0]
            .data
            .iter()
            .zip(g)
            .map(|(&v, &g)| g * b / (1.0 + b * v.abs()).powi(2))
            .collect()])
    }
}

pub const SPIKE: Spike = Spike { beta: 5.0 };

shapegrad::model! {
    /// Two inputs → 16 spiking units → two classes.
    pub struct SpikingNet {
        dims { B: batch, H = 16, C = 2 }
        params { w1: [2, H] = normal(0.0, 1.0), b1: [H] = uniform(-0.5, 0.5), w2: [H, C] = glorot, b2: [C] = zeros }
        extern fn spike(v: [B, H]) -> [B, H] = SPIKE;
        fn logits(x: [B, 2]) -> [B, C] { spike(x @ w1 + b1) @ w2 + b2 }
        fn loss(x: [B, 2], y: [B, C]) -> [] { cross_entropy(logits(x), y) }
    }
}

/// XOR of two noisy bits: inputs near (±1, ±1), class 1 when the signs differ.
pub fn xor_data(n: usize, seed: u64) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let mut u = shapegrad::data::uniform_stream(seed);
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..n {
        let (a, b) = (i % 2, (i / 2) % 2);
        let p = [
            (2.0 * a as f64 - 1.0) + 0.3 * (u() - 0.5),
            (2.0 * b as f64 - 1.0) + 0.3 * (u() - 0.5),
        ];
        x.push(p);
        y.push(if a != b { [0.0, 1.0] } else { [1.0, 0.0] });
    }
    (x, y)
}

/// Trains for `steps` full-batch Adam steps; returns (first loss, last loss, held-out accuracy).
pub fn run(steps: usize, seed: u64) -> shapegrad::Result<(f64, f64, f64)> {
    let dev = Cpu::default();
    let (x, y) = xor_data(256, seed);
    let (xt, yt) = xor_data(256, seed + 1);
    let x = shapegrad::data::tensor_from_rows(&dev, &x);
    let y = shapegrad::data::tensor_from_rows(&dev, &y);
    let mut net: SpikingNet<f64, Cpu> = SpikingNet::new(&dev, seed);
    let mut opt = Adam::new(0.05);
    let first = net.loss(&x, &y)?;
    let mut last = first;
    for _ in 0..steps {
        let (l, g) = net.loss_and_grad(&x, &y)?;
        last = l;
        opt.step(&mut net, &g)?;
    }
    let logits = net
        .logits(&shapegrad::data::tensor_from_rows(&dev, &xt))?
        .as_vec();
    let correct = yt
        .iter()
        .enumerate()
        .filter(|(i, t)| (logits[2 * i + 1] > logits[2 * i]) == (t[1] == 1.0))
        .count();
    Ok((first, last, correct as f64 / yt.len() as f64))
}

fn main() -> shapegrad::Result<()> {
    println!("spiking XOR with a surrogate gradient (Heaviside forward, fast-sigmoid backward)");
    println!(
        "{:>6} {:>10} {:>10} {:>9}",
        "seed", "first CE", "last CE", "accuracy"
    );
    for seed in 0..5 {
        let (first, last, acc) = run(300, seed)?;
        println!("{seed:>6} {first:>10.4} {last:>10.4} {:>8.1}%", 100.0 * acc);
    }
    Ok(())
}
