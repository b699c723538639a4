//! Hessian-vector products derived at compile time (reverse over reverse), and the dense
//! Hessian built from them, against finite differences of the derived gradient (f64).

use shapegrad::hessian::dense_hessian;
use shapegrad::prelude::*;
use shapegrad::Model;

shapegrad::model! {
    struct Net {
        dims { B: batch, H = 5 }
        params { w1: [3, H] = glorot, b1: [H] = normal(0.0, 0.3), w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 3], y: [B, 1]) -> [] {
            let h = tanh(x @ w1 + b1);
            mean(square(h @ w2 + b2 - y)) + 0.01 * sum(square(w1)) + mean(softplus(h))
                + mean(sigmoid(x @ w1 - b1))
        }
    }

    /// Rosenbrock in the DSL: p = (x, y), f = (1 − x)² + 100 (y − x²)².
    struct Rosenbrock {
        params { p: [2] = constant(-1.2) }
        fn loss() -> [] {
            let x = select(p, axis = 0, 0);
            let y = select(p, axis = 0, 1);
            square(1.0 - x) + 100.0 * square(y - square(x))
        }
    }
}

#[allow(clippy::type_complexity)]
fn data(
    dev: &Cpu,
) -> (
    Tensor<(usize, Const<3>), f64, Cpu>,
    Tensor<(usize, Const<1>), f64, Cpu>,
) {
    let x: Vec<f64> = (0..12).map(|i| ((i * 7 % 11) as f64 / 11.0) - 0.4).collect();
    let y: Vec<f64> = (0..4).map(|i| (i as f64 * 0.3).sin()).collect();
    (
        dev.tensor_from_vec(x, (4usize, Const::<3>)),
        dev.tensor_from_vec(y, (4usize, Const::<1>)),
    )
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

#[test]
fn hvp_matches_finite_differences_of_the_gradient() {
    let dev = Cpu::default();
    let m: Net<f64, Cpu> = Net::new(&dev, 5);
    let (x, y) = data(&dev);
    let p = to_flat(&m);
    let v: Vec<f64> = (0..p.len())
        .map(|i| ((i * 37 % 17) as f64 / 17.0) - 0.5)
        .collect();
    let mut tangent = m.zero_grads();
    set_flat(&mut tangent, &v).unwrap();
    let (l, g, hv) = m.loss_hvp(&x, &y, &tangent).unwrap();
    let (l2, g2) = m.loss_and_grad(&x, &y).unwrap();
    assert_eq!(l, l2);
    assert_eq!(to_flat(&g), to_flat(&g2));
    // (∇f(p + h v) − ∇f(p − h v)) / 2h
    let h = 1e-5;
    let grad_at = |q: Vec<f64>| {
        let mut mm = m.clone();
        set_flat(&mut mm, &q).unwrap();
        to_flat(&mm.loss_and_grad(&x, &y).unwrap().1)
    };
    let up = grad_at(p.iter().zip(&v).map(|(a, b)| a + h * b).collect());
    let down = grad_at(p.iter().zip(&v).map(|(a, b)| a - h * b).collect());
    let hv = to_flat(&hv);
    let worst = (0..p.len())
        .map(|i| rel((up[i] - down[i]) / (2.0 * h), hv[i]))
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-6,
        "HVP vs finite differences: worst rel. err {worst:e}"
    );
}

#[test]
fn dense_hessian_is_symmetric_and_matches_finite_differences() {
    let dev = Cpu::default();
    let m: Net<f64, Cpu> = Net::new(&dev, 9);
    let (x, y) = data(&dev);
    let hess = dense_hessian(&m, |mm, v| Ok(mm.loss_hvp(&x, &y, v)?.2)).unwrap();
    let p = to_flat(&m);
    let n = p.len();
    assert_eq!(hess.len(), n * n);
    let h = 1e-5;
    let mut worst: f64 = 0.0;
    for j in 0..n {
        let mut mm = m.clone();
        let mut q = p.clone();
        q[j] += h;
        set_flat(&mut mm, &q).unwrap();
        let up = to_flat(&mm.loss_and_grad(&x, &y).unwrap().1);
        q[j] -= 2.0 * h;
        set_flat(&mut mm, &q).unwrap();
        let down = to_flat(&mm.loss_and_grad(&x, &y).unwrap().1);
        for i in 0..n {
            worst = worst.max(rel((up[i] - down[i]) / (2.0 * h), hess[i * n + j]));
            worst = worst.max(rel(hess[i * n + j], hess[j * n + i]));
        }
    }
    assert!(worst < 1e-6, "dense Hessian: worst rel. err {worst:e}");
}

#[test]
fn rosenbrock_hessian_is_the_closed_form() {
    let dev = Cpu::default();
    let mut m: Rosenbrock<f64, Cpu> = Rosenbrock::new(&dev, 0);
    set_flat(&mut m, &[0.7, -0.3]).unwrap();
    let hess = dense_hessian(&m, |mm, v| Ok(mm.loss_hvp(v)?.2)).unwrap();
    let (x, y) = (0.7f64, -0.3f64);
    let want = [
        2.0 - 400.0 * (y - x * x) + 800.0 * x * x,
        -400.0 * x,
        -400.0 * x,
        200.0,
    ];
    for (a, b) in hess.iter().zip(want) {
        assert!((a - b).abs() < 1e-9, "{hess:?} vs {want:?}");
    }
}
