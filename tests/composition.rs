//! Composition: models used as sub-modules of other models (a VAE from an encoder and a
//! decoder; nested twice), with parameters nested in the outer struct and gradient struct, and
//! gradients derived through the inlined sub-model code.

mod common;

use shapegrad::prelude::*;
use shapegrad::Model;

shapegrad::model! {
    /// x → (μ, log σ²).
    pub struct Encoder {
        dims { B: batch, D_IN = 4, H = 6, Z = 2 }
        params { w: [D_IN, H] = glorot, b: [H] = zeros, wm: [H, Z] = glorot, wv: [H, Z] = glorot }
        fn hidden(x: [B, D_IN]) -> [B, H] { tanh(x @ w + b) }
        fn mean(x: [B, D_IN]) -> [B, Z] { hidden(x) @ wm }
        fn logvar(x: [B, D_IN]) -> [B, Z] { hidden(x) @ wv }
    }

    /// z → x̂.
    pub struct Decoder {
        dims { B: batch, Z = 2, H = 6, D_OUT = 4 }
        params { w: [Z, H] = glorot, b: [H] = zeros, wo: [H, D_OUT] = glorot, bo: [D_OUT] = zeros }
        fn forward(z: [B, Z]) -> [B, D_OUT] { tanh(z @ w + b) @ wo + bo }
    }

    /// A VAE: reparameterisation with caller-supplied noise ε, reconstruction + KL.
    pub struct Vae {
        dims { B: batch, Z = 2 }
        params { enc: Encoder, dec: Decoder, beta: [] = constant(0.5) }
        fn loss(x: [B, 4], eps: [B, Z]) -> [] {
            let mu = enc.mean(x);
            let lv = enc.logvar(x);
            let z = mu + exp(0.5 * lv) * eps;
            let recon = mean(sum(square(dec.forward(z) - x), axis = 1));
            let kl = mean(sum(-0.5 * (1.0 + lv - square(mu) - exp(lv)), axis = 1));
            recon + sigmoid(beta) * kl
        }
    }

    /// Two levels of nesting, and a sub-model function with the caller's name.
    pub struct Outer {
        dims { B: batch }
        params { vae: Vae, scale: [] = constant(1.0) }
        fn loss(x: [B, 4], eps: [B, 2]) -> [] { square(scale) * vae.loss(x, eps) }
    }
}

#[allow(clippy::type_complexity)]
fn inputs<E: shapegrad::dfdx::shapes::Dtype>(
    dev: &Cpu,
) -> (
    Tensor<(usize, Const<4>), E, Cpu>,
    Tensor<(usize, Const<2>), E, Cpu>,
) {
    let f = |v: f64| E::from_f64(v).unwrap();
    let x: Vec<E> = (0..12).map(|i| f(((i * 5 % 7) as f64 / 7.0) - 0.5)).collect();
    let e: Vec<E> = (0..6).map(|i| f(((i * 3 % 5) as f64 / 5.0) - 0.4)).collect();
    (
        dev.tensor_from_vec(x, (3usize, Const::<4>)),
        dev.tensor_from_vec(e, (3usize, Const::<2>)),
    )
}

#[test]
fn vae_gradient_matches_finite_differences_and_tape() {
    let dev = Cpu::default();
    let m: Vae<f64, Cpu> = Vae::new(&dev, 7);
    let (x, eps) = inputs::<f64>(&dev);
    let (l, g) = m.loss_and_grad(&x, &eps).unwrap();
    assert_eq!(l, m.loss(&x, &eps).unwrap());
    // The gradient struct nests like the model.
    assert_eq!(g.enc.w.as_vec().len(), 24);
    assert_eq!(g.dec.wo.as_vec().len(), 24);
    let d = to_flat(&g);
    let fd = common::fd_params(&m, 1e-6, |mm| mm.loss(&x, &eps).unwrap());
    let worst = common::worst_diff(&fd, &d);
    assert!(
        worst < 1e-6,
        "VAE gradient vs finite differences: worst rel. err {worst:e}"
    );

    let m32: Vae<f32, Cpu> = Vae::new(&dev, 7);
    let (x32, e32) = inputs::<f32>(&dev);
    let (_, gd, _) = m32.loss_and_grad_inputs(&x32, &e32).unwrap();
    let (_, gt, _) = m32.loss_tape(&x32, &e32).unwrap();
    let tape = common::worst_diff(&to_flat(&gd), &to_flat(&gt));
    assert!(tape < 1e-5, "VAE derived vs tape: {tape:e}");
}

#[test]
fn nested_models_name_their_parameters_by_path() {
    let dev = Cpu::default();
    let m: Outer<f64, Cpu> = Outer::new(&dev, 1);
    let names: Vec<String> = shapegrad::params::param_infos(&m)
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert!(names.contains(&"vae.enc.w".to_string()), "{names:?}");
    assert!(names.contains(&"vae.dec.bo".to_string()), "{names:?}");
    // Own parameters first, then each sub-model's, in declaration order.
    assert_eq!(names.first().map(String::as_str), Some("scale"));
    assert_eq!(names.last().map(String::as_str), Some("vae.dec.bo"));
    let (x, eps) = inputs::<f64>(&dev);
    let (l, g) = m.loss_and_grad(&x, &eps).unwrap();
    let (l_inner, g_inner) = m.vae.loss_and_grad(&x, &eps).unwrap();
    assert!((l - l_inner).abs() < 1e-12, "scale starts at 1");
    // d(s² L)/dθ = s² dL/dθ = dL/dθ at s = 1: the nested gradient is the inner model's.
    assert!(common::worst_diff(&to_flat(&g.vae), &to_flat(&g_inner)) < 1e-12);
    // and d/ds = 2 s L
    assert!((g.scale.as_vec()[0] - 2.0 * l).abs() < 1e-12);
    let _ = m.zero_grads();
}
