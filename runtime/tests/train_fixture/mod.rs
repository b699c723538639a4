//! Test fixtures for the training runtime: small hand-written "bags of tensors" implementing
//! `Params`/`Model` the way generated models will, with gradients of closed-form objectives.
//! They are fixtures, not ML models: they exist so optimizers, checkpoints, gradcheck and the
//! training loop can be tested before (and independently of) the macro.
#![allow(dead_code)]

use shapegrad_runtime::dfdx::prelude::*;
use shapegrad_runtime::params::{set_flat, to_flat};
use shapegrad_runtime::{Model, Params, Result, TensorPairVisitor, TensorVisitor, TensorVisitorMut};

/// A nested sub-struct, so dotted names (`head.w`) are exercised.
#[derive(Clone, Debug)]
pub struct Head<E: Dtype, D: Device<E>> {
    pub w: Tensor<Rank2<2, 3>, E, D>,
    pub b: Tensor<Rank1<3>, E, D>,
}

/// Three tensors of different ranks: `scale` (scalar), `head.w` [2, 3], `head.b` [3].
/// Ten scalars in all. Its gradient type is itself (same names, same shapes).
#[derive(Clone, Debug)]
pub struct Bag<E: Dtype, D: Device<E>> {
    pub scale: Tensor<Rank0, E, D>,
    pub head: Head<E, D>,
}

pub const BAG_NAMES: [&str; 3] = ["scale", "head.w", "head.b"];
pub const BAG_P: usize = 10;

impl<E: Dtype, D: Device<E>> Bag<E, D> {
    /// A bag holding `values` (length 10, in visiting order).
    pub fn from_flat(dev: &D, values: &[f64]) -> Self {
        let mut b = Bag {
            scale: dev.zeros(),
            head: Head {
                w: dev.zeros(),
                b: dev.zeros(),
            },
        };
        set_flat(&mut b, values).expect("10 values");
        b
    }
}

impl<E: Dtype, D: Device<E>> Params<E, D> for Bag<E, D> {
    fn visit_params<V: TensorVisitor<E, D>>(&self, prefix: &str, v: &mut V) -> Result<()> {
        let p = |n: &str| shapegrad_runtime::params::join_name(prefix, n);
        v.visit(&p("scale"), &self.scale)?;
        v.visit(&p("head.w"), &self.head.w)?;
        v.visit(&p("head.b"), &self.head.b)
    }
    fn visit_params_mut<V: TensorVisitorMut<E, D>>(&mut self, prefix: &str, v: &mut V) -> Result<()> {
        let p = |n: &str| shapegrad_runtime::params::join_name(prefix, n);
        v.visit(&p("scale"), &mut self.scale)?;
        v.visit(&p("head.w"), &mut self.head.w)?;
        v.visit(&p("head.b"), &mut self.head.b)
    }
}

impl<E: Dtype, D: Device<E>> Model<E, D> for Bag<E, D> {
    type Grads = Bag<E, D>;
    fn zero_grads(&self) -> Self::Grads {
        let dev = self.scale.device();
        Bag {
            scale: dev.zeros(),
            head: Head {
                w: dev.zeros(),
                b: dev.zeros(),
            },
        }
    }
    fn visit_with_grads<V: TensorPairVisitor<E, D>>(
        &mut self,
        g: &Self::Grads,
        prefix: &str,
        v: &mut V,
    ) -> Result<()> {
        let p = |n: &str| shapegrad_runtime::params::join_name(prefix, n);
        v.visit(&p("scale"), &mut self.scale, &g.scale)?;
        v.visit(&p("head.w"), &mut self.head.w, &g.head.w)?;
        v.visit(&p("head.b"), &mut self.head.b, &g.head.b)
    }
}

/// A convex quadratic bowl `½ Σ cᵢ (θᵢ − tᵢ)²` over the flat parameters.
#[derive(Clone, Debug)]
pub struct Bowl {
    pub center: Vec<f64>,
    pub curvature: Vec<f64>,
}

impl Bowl {
    /// Ten-dimensional bowl with curvatures 1..10 (condition number 10).
    pub fn standard() -> Self {
        Bowl {
            center: (0..BAG_P).map(|i| (i as f64 * 0.7).sin()).collect(),
            curvature: (0..BAG_P).map(|i| 1.0 + i as f64).collect(),
        }
    }
    pub fn value_grad_flat(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let mut f = 0.0;
        let mut g = vec![0.0; x.len()];
        for i in 0..x.len() {
            let d = x[i] - self.center[i];
            f += 0.5 * self.curvature[i] * d * d;
            g[i] = self.curvature[i] * d;
        }
        (f, g)
    }
    /// `(loss, grads)` of a bag, as a generated `loss_and_grad` would return them.
    pub fn loss_and_grad<E: Dtype, D: Device<E>>(&self, m: &Bag<E, D>) -> Result<(E, Bag<E, D>)> {
        let (f, g) = self.value_grad_flat(&to_flat(m));
        let mut grads = m.zero_grads();
        set_flat(&mut grads, &g)?;
        Ok((E::from_f64(f).unwrap(), grads))
    }
}

/// One 2-vector parameter `xy`, for the 2-D Rosenbrock function.
#[derive(Clone, Debug)]
pub struct Point<E: Dtype, D: Device<E>> {
    pub xy: Tensor<Rank1<2>, E, D>,
}

impl<E: Dtype, D: Device<E>> Params<E, D> for Point<E, D> {
    fn visit_params<V: TensorVisitor<E, D>>(&self, prefix: &str, v: &mut V) -> Result<()> {
        v.visit(&shapegrad_runtime::params::join_name(prefix, "xy"), &self.xy)
    }
    fn visit_params_mut<V: TensorVisitorMut<E, D>>(&mut self, prefix: &str, v: &mut V) -> Result<()> {
        v.visit(&shapegrad_runtime::params::join_name(prefix, "xy"), &mut self.xy)
    }
}

impl<E: Dtype, D: Device<E>> Model<E, D> for Point<E, D> {
    type Grads = Point<E, D>;
    fn zero_grads(&self) -> Self::Grads {
        Point {
            xy: self.xy.device().zeros(),
        }
    }
    fn visit_with_grads<V: TensorPairVisitor<E, D>>(
        &mut self,
        g: &Self::Grads,
        prefix: &str,
        v: &mut V,
    ) -> Result<()> {
        v.visit(
            &shapegrad_runtime::params::join_name(prefix, "xy"),
            &mut self.xy,
            &g.xy,
        )
    }
}

/// Rosenbrock `(1 − x)² + 100 (y − x²)²`, its gradient and Hessian.
pub fn rosenbrock(p: &[f64]) -> (f64, Vec<f64>) {
    let (x, y) = (p[0], p[1]);
    let f = (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2);
    let g = vec![-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)];
    (f, g)
}

pub fn rosenbrock_hessian(p: &[f64]) -> Vec<f64> {
    let (x, y) = (p[0], p[1]);
    vec![
        2.0 - 400.0 * (y - x * x) + 800.0 * x * x,
        -400.0 * x,
        -400.0 * x,
        200.0,
    ]
}

/// `(loss, grads)` of Rosenbrock at a point fixture.
pub fn rosenbrock_model<E: Dtype, D: Device<E>>(m: &Point<E, D>) -> Result<(E, Point<E, D>)> {
    let (f, g) = rosenbrock(&to_flat(m));
    let mut grads = m.zero_grads();
    set_flat(&mut grads, &g)?;
    Ok((E::from_f64(f).unwrap(), grads))
}

pub fn point<E: Dtype, D: Device<E>>(dev: &D, x: f64, y: f64) -> Point<E, D> {
    let mut p = Point { xy: dev.zeros() };
    set_flat(&mut p, &[x, y]).unwrap();
    p
}

pub fn dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}
