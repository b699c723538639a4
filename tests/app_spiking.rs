//! The spiking example's claim on a reduced run: a network whose hidden units only emit
//! Heaviside spikes learns XOR through the custom op's surrogate gradient, and the surrogate
//! is what the derived backward pass used.

#[path = "../examples/spiking.rs"]
#[allow(dead_code)]
mod app;

use shapegrad::prelude::*;

#[test]
fn spiking_network_learns_xor_with_a_surrogate_gradient() {
    let (first, last, acc) = app::run(150, 1).unwrap();
    assert!(last < 0.5 * first, "cross-entropy {first} -> {last}");
    assert!(acc >= 0.95, "held-out accuracy {acc}");
}

#[test]
fn the_derived_backward_uses_the_surrogate() {
    let dev = Cpu::default();
    let net: app::SpikingNet<f64, Cpu> = app::SpikingNet::new(&dev, 0);
    let x = dev.tensor_from_vec(vec![0.3, -0.8], (1usize, Const::<2>));
    let y = dev.tensor_from_vec(vec![1.0, 0.0], (1usize, Const::<2>));
    let (_, g) = net.loss_and_grad(&x, &y).unwrap();
    // By hand: v = x·w1 + b1, s = H(v), logits = s·w2 + b2, dL/dlogits = softmax − y,
    // dL/ds = w2 · dL/dlogits, dL/dv = dL/ds · β/(1+β|v|)², dL/db1 = dL/dv.
    let w1 = net.w1.as_vec();
    let b1 = net.b1.as_vec();
    let w2 = net.w2.as_vec();
    let b2 = net.b2.as_vec();
    let v: Vec<f64> = (0..16).map(|j| 0.3 * w1[j] - 0.8 * w1[16 + j] + b1[j]).collect();
    let s: Vec<f64> = v.iter().map(|&v| f64::from(v > 0.0)).collect();
    let z: Vec<f64> = (0..2)
        .map(|c| (0..16).map(|j| s[j] * w2[j * 2 + c]).sum::<f64>() + b2[c])
        .collect();
    let m = z[0].max(z[1]);
    let e: Vec<f64> = z.iter().map(|z| (z - m).exp()).collect();
    let dz = [e[0] / (e[0] + e[1]) - 1.0, e[1] / (e[0] + e[1])];
    let gb1 = g.b1.as_vec();
    for j in 0..16 {
        let ds = w2[j * 2] * dz[0] + w2[j * 2 + 1] * dz[1];
        let want = ds * 5.0 / (1.0 + 5.0 * v[j].abs()).powi(2);
        assert!((gb1[j] - want).abs() < 1e-12, "unit {j}: {} vs {want}", gb1[j]);
    }
}
