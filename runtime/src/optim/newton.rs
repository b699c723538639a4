//! Newton's method with Levenberg–Marquardt damping.
//!
//! Each iteration solves `(H + λI) d = −∇f` by Cholesky and tries `x + d`. If `f` decreases the
//! step is taken and `λ` shrinks (towards pure Newton, quadratic convergence); otherwise, or
//! when `H + λI` is not positive definite (a saddle, a maximum), `λ` grows and the step turns
//! towards a short gradient step. One mechanism thus handles indefinite Hessians and
//! overshooting, without a line search.
//!
//! The Hessian is dense: `P²` `f64`s. [`NewtonConfig::max_hessian_bytes`] bounds that, and
//! Newton refuses up front, naming `P` and the bytes it would need, instead of letting the
//! allocator abort the process.

use dfdx::shapes::Dtype;
use dfdx::tensor_ops::Device;

use super::objective::{
    eval_checked, norm_inf, HessianHook, MinimizeReport, ModelObjective, SecondOrderObjective, StopReason,
};
use crate::error::{Error, Result};
use crate::params::{num_params, Model};

/// Settings of [`Newton`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewtonConfig {
    /// Iteration limit (Hessian evaluations) (100).
    pub max_iter: usize,
    /// Stop when `‖∇f‖∞ ≤ gtol` (1e-8).
    pub gtol: f64,
    /// Initial damping `λ` (1e-3).
    pub lambda0: f64,
    /// Factor applied to `λ` after a rejected step (10).
    pub lambda_up: f64,
    /// Factor applied to `λ` after an accepted step (0.1).
    pub lambda_down: f64,
    /// Smallest `λ` (1e-12): keeps a singular Hessian solvable.
    pub lambda_min: f64,
    /// Give up (no progress) when `λ` exceeds this (1e16).
    pub lambda_max: f64,
    /// The most memory the dense Hessian may take (2 GiB).
    pub max_hessian_bytes: u64,
}

impl Default for NewtonConfig {
    fn default() -> Self {
        Self {
            max_iter: 100,
            gtol: 1e-8,
            lambda0: 1e-3,
            lambda_up: 10.0,
            lambda_down: 0.1,
            lambda_min: 1e-12,
            lambda_max: 1e16,
            max_hessian_bytes: 2 << 30,
        }
    }
}

/// Damped Newton.
#[derive(Debug, Clone, Default)]
pub struct Newton {
    /// Settings.
    pub config: NewtonConfig,
}

/// Bytes of a dense `p × p` `f64` matrix, or `None` on overflow.
pub fn hessian_bytes(p: usize) -> Option<u64> {
    (p as u64).checked_mul(p as u64)?.checked_mul(8)
}

fn human(bytes: u64) -> String {
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < units.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{v:.1} {} ({bytes} bytes)", units[u])
    }
}

impl Newton {
    /// Newton with the given settings.
    pub fn new(config: NewtonConfig) -> Self {
        Self { config }
    }

    /// Refuses when a `p × p` Hessian would exceed the memory limit.
    pub fn check_size(&self, p: usize) -> Result<()> {
        let limit = self.config.max_hessian_bytes;
        match hessian_bytes(p) {
            Some(b) if b <= limit => Ok(()),
            b => Err(Error::Other(format!(
                "Newton's method needs a dense {p} × {p} f64 Hessian for P = {p} parameters: {}, \
                 over the limit of {}; use L-BFGS, or raise NewtonConfig::max_hessian_bytes",
                b.map_or("more than 2^64 bytes".to_string(), human),
                human(limit),
            ))),
        }
    }

    /// Minimizes `obj` from `x0`.
    pub fn minimize<O: SecondOrderObjective + ?Sized>(
        &self,
        obj: &mut O,
        x0: &[f64],
    ) -> Result<MinimizeReport> {
        let cfg = &self.config;
        let n = obj.dim();
        self.check_size(n)?;
        if x0.len() != n {
            return Err(super::objective::grad_len_error(n, x0.len()));
        }
        let mut x = x0.to_vec();
        let (mut f, mut g) = eval_checked(obj, &x, "Newton starting point")?;
        let mut evals = 1;
        let mut lambda = cfg.lambda0;
        let mut iter = 0;
        let mut a = vec![0.0; n * n];
        loop {
            let gn = norm_inf(&g);
            let reason = if gn <= cfg.gtol {
                Some(StopReason::GradientTolerance)
            } else if iter >= cfg.max_iter {
                Some(StopReason::MaxIterations)
            } else {
                None
            };
            if let Some(reason) = reason {
                return Ok(MinimizeReport {
                    x,
                    f,
                    grad_norm: gn,
                    iterations: iter,
                    evaluations: evals,
                    reason,
                });
            }
            let h = obj.hessian(&x)?;
            if h.len() != n * n {
                return Err(Error::Shape {
                    context: "Newton".into(),
                    tensor: "Hessian".into(),
                    expected: format!("[{n} × {n}] = {} entries", n * n),
                    found: format!("{} entries", h.len()),
                });
            }
            if let Some((i, &v)) = h.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(Error::NonFinite {
                    context: format!("Newton iteration {iter}"),
                    tensor: "Hessian".into(),
                    index: i,
                    value: v,
                });
            }
            iter += 1;
            // Try damped steps until one decreases f.
            loop {
                if lambda > cfg.lambda_max {
                    return Ok(MinimizeReport {
                        x,
                        f,
                        grad_norm: gn,
                        iterations: iter,
                        evaluations: evals,
                        reason: StopReason::NoProgress,
                    });
                }
                a.copy_from_slice(&h);
                for i in 0..n {
                    a[i * n + i] += lambda;
                }
                let Some(d) = cholesky_solve(&mut a, n, &g) else {
                    lambda = (lambda * cfg.lambda_up).max(cfg.lambda_min);
                    continue;
                };
                let xn: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi - di).collect();
                let (fnew, gnew) = obj.value_grad(&xn)?;
                evals += 1;
                if gnew.len() != n {
                    return Err(super::objective::grad_len_error(n, gnew.len()));
                }
                if fnew.is_finite() && gnew.iter().all(|v| v.is_finite()) && fnew <= f {
                    x = xn;
                    f = fnew;
                    g = gnew;
                    lambda = (lambda * cfg.lambda_down).max(cfg.lambda_min);
                    break;
                }
                lambda = (lambda * cfg.lambda_up).max(cfg.lambda_min);
            }
        }
    }

    /// Minimizes a model's loss with a Hessian hook; the model ends at the answer.
    pub fn minimize_model<E, D, M, F, H>(
        &self,
        model: &mut M,
        loss_grad: F,
        hessian: H,
    ) -> Result<MinimizeReport>
    where
        E: Dtype,
        D: Device<E>,
        M: Model<E, D>,
        F: FnMut(&M) -> Result<(E, M::Grads)>,
        H: HessianHook<M>,
    {
        // Refuse before the hook allocates anything.
        self.check_size(num_params(model))?;
        let mut obj = ModelObjective::new(model, loss_grad).with_hessian(hessian);
        let x0 = obj.x0();
        let r = self.minimize(&mut obj, &x0)?;
        obj.finish(&r.x)?;
        Ok(r)
    }
}

/// Solves `A x = b` for symmetric positive definite `A` (row-major `n × n`, overwritten by its
/// Cholesky factor `L` in the lower triangle). `None` when `A` is not positive definite.
pub fn cholesky_solve(a: &mut [f64], n: usize, b: &[f64]) -> Option<Vec<f64>> {
    // A = L Lᵀ, column by column.
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d.is_nan() || d <= 0.0 || d.is_infinite() {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    // L y = b, then Lᵀ x = y.
    let mut y = b.to_vec();
    for i in 0..n {
        let mut s = y[i];
        for k in 0..i {
            s -= a[i * n + k] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= a[k * n + i] * y[k];
        }
        y[i] = s / a[i * n + i];
    }
    Some(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_spd_and_rejects_indefinite() {
        let a = [4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let x_true = [1.0, -2.0, 0.5];
        let b: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * x_true[j]).sum())
            .collect();
        let x = cholesky_solve(&mut a.clone(), 3, &b).unwrap();
        for (u, v) in x.iter().zip(x_true) {
            assert!((u - v).abs() < 1e-12);
        }
        assert!(cholesky_solve(&mut [1.0, 2.0, 2.0, 1.0], 2, &[1.0, 1.0]).is_none());
    }

    #[test]
    fn refuses_a_hessian_over_the_limit_naming_p_and_bytes() {
        let newton = Newton::new(NewtonConfig {
            max_hessian_bytes: 1 << 20,
            ..Default::default()
        });
        assert!(newton.check_size(362).is_ok());
        let e = newton.check_size(1000).unwrap_err().to_string();
        assert!(e.contains("P = 1000") && e.contains("8000000 bytes"), "{e}");
        let e = Newton::default().check_size(usize::MAX).unwrap_err().to_string();
        assert!(e.contains("2^64"), "{e}");
    }
}
