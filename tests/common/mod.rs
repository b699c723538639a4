//! Shared gradient checks: the derived gradient against f64 central differences and against
//! dfdx's tape (f32), for any model function `f(x: [B, 4]) -> []`.
#![allow(dead_code)]

use shapegrad::prelude::*;
use shapegrad::Model;

pub type X<E> = Tensor<(usize, Const<4>), E, Cpu>;

/// Relative error with a floor of 1, so tiny gradients are compared absolutely.
pub fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1.0)
}

pub fn input<E: shapegrad::dfdx::shapes::Dtype>(dev: &Cpu, b: usize, vals: &[f64]) -> X<E> {
    let data: Vec<E> = (0..b * 4)
        .map(|i| E::from_f64(vals[i % vals.len()]).unwrap())
        .collect();
    dev.tensor_from_vec(data, (b, Const::<4>))
}

/// Worst relative error between the derived gradient (params and input) and f64 central
/// differences of `loss`.
pub fn fd_worst<M: Model<f64, Cpu>>(
    model: &M,
    x: &X<f64>,
    loss: impl Fn(&M, &X<f64>) -> f64,
    derived_params: &M::Grads,
    derived_x: &X<f64>,
) -> f64 {
    let h = 1e-5;
    let fd = fd_params(model, h, |m| loss(m, x));
    let mut worst = worst_diff(&fd, &to_flat(derived_params));
    let xv = x.as_vec();
    let dx = derived_x.as_vec();
    let dev = Cpu::default();
    for i in 0..xv.len() {
        let mut v = xv.clone();
        v[i] += h;
        let up = loss(model, &dev.tensor_from_vec(v.clone(), *x.shape()));
        v[i] -= 2.0 * h;
        let down = loss(model, &dev.tensor_from_vec(v, *x.shape()));
        worst = worst.max(rel_err((up - down) / (2.0 * h), dx[i]));
    }
    worst
}

/// Central differences (step `h`) of `loss` in every parameter of `model`, in `to_flat` order.
pub fn fd_params<M: Model<f64, Cpu>>(model: &M, h: f64, loss: impl Fn(&M) -> f64) -> Vec<f64> {
    let p0 = to_flat(model);
    let mut m = model.clone();
    (0..p0.len())
        .map(|i| {
            let mut p = p0.clone();
            p[i] += h;
            set_flat(&mut m, &p).unwrap();
            let up = loss(&m);
            p[i] -= 2.0 * h;
            set_flat(&mut m, &p).unwrap();
            let down = loss(&m);
            (up - down) / (2.0 * h)
        })
        .collect()
}

/// Worst relative error between two flat vectors.
pub fn worst_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| rel_err(*x, *y)).fold(0.0, f64::max)
}

/// Checks function `$f` of `$Model` on a batch of `$b` rows: the derived gradient against
/// f64 central differences (≤ 1e-6) and against dfdx's tape in f32 (≤ 1e-5). Returns both
/// worst errors. `$fg` and `$ft` are `$f`'s `_and_grad_inputs` and `_tape` methods.
#[macro_export]
macro_rules! check_grad {
    ($Model:ident, $f:ident, $fg:ident, $ft:ident, $seed:expr, $b:expr, $vals:expr) => {{
        let dev = Cpu::default();
        let m64: $Model<f64, Cpu> = $Model::new(&dev, $seed);
        let x64 = common::input::<f64>(&dev, $b, $vals);
        let (_, gp, (gx,)) = m64.$fg(&x64).unwrap();
        let fd = common::fd_worst(&m64, &x64, |m, x| m.$f(x).unwrap(), &gp, &gx);
        let m32: $Model<f32, Cpu> = $Model::new(&dev, $seed);
        let x32 = common::input::<f32>(&dev, $b, $vals);
        let (l_d, gp_d, (gx_d,)) = m32.$fg(&x32).unwrap();
        let (l_t, gp_t, (gx_t,)) = m32.$ft(&x32).unwrap();
        let mut tape = common::rel_err(l_d as f64, l_t as f64);
        tape = tape.max(common::worst_diff(&to_flat(&gp_d), &to_flat(&gp_t)));
        let to64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
        tape = tape.max(common::worst_diff(&to64(gx_d.as_vec()), &to64(gx_t.as_vec())));
        assert!(
            fd <= 1e-6,
            "{}::{}: derived vs finite differences: worst rel. err {fd:e}",
            stringify!($Model),
            stringify!($f)
        );
        assert!(
            tape <= 1e-5,
            "{}::{}: derived vs dfdx tape: worst rel. err {tape:e}",
            stringify!($Model),
            stringify!($f)
        );
        (fd, tape)
    }};
}

/// Deterministic pseudo-random values in `[lo, hi)` (xorshift), for test inputs.
pub fn vals(n: usize, seed: u64, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}
