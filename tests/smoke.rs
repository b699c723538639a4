use shapegrad::prelude::*;

shapegrad::model! {
    /// A small regressor.
    pub struct Mlp {
        dims { B: batch, H = 8 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn forward(x: [B, 2]) -> [B, 1] {
            let h = tanh(x @ w1 + b1);
            h @ w2 + b2
        }
        fn loss(x: [B, 2], y: [B, 1]) -> [] {
            mse(forward(x), y)
        }
    }
}

#[test]
fn smoke() {
    let dev = Cpu::default();
    let m: Mlp<f64, Cpu> = Mlp::new(&dev, 1);
    let x = dev.tensor_from_vec(vec![0.1, 0.2, 0.3, -0.4, 0.5, 0.9], (3usize, Const::<2>));
    let y = dev.tensor_from_vec(vec![0.3, -0.2, 0.1], (3usize, Const::<1>));
    let (l, g) = m.loss_and_grad(&x, &y).unwrap();
    let (l2, g2, _) = m.loss_tape(&x, &y).unwrap();
    assert!((l - l2).abs() < 1e-12);
    let a = to_flat(&g);
    let b = to_flat(&g2);
    for (u, v) in a.iter().zip(&b) {
        assert!((u - v).abs() < 1e-10, "{u} {v}");
    }
}
