//! Strong-Wolfe line search (Nocedal & Wright, *Numerical Optimization*, 2nd ed., Algorithms 3.5
//! and 3.6) with safeguarded cubic interpolation.
//!
//! Along a direction `d`, `φ(α) = f(x + αd)`. A step is accepted when it decreases `f` enough
//! (Armijo: `φ(α) ≤ φ(0) + c₁αφ'(0)`) and the slope has flattened (curvature:
//! `|φ'(α)| ≤ c₂|φ'(0)|`). The strong curvature condition guarantees `sᵀy > 0`, which keeps the
//! L-BFGS inverse-Hessian estimate positive definite. Points where `f` is not finite count as
//! "too far", so a search can back off from an overflow instead of failing.

use super::objective::{dot, grad_len_error, Objective};
use crate::error::Result;

/// Parameters of the strong-Wolfe search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StrongWolfe {
    /// Sufficient-decrease constant `c₁` (1e-4).
    pub c1: f64,
    /// Curvature constant `c₂` (0.9 for quasi-Newton; smaller means a more exact search).
    pub c2: f64,
    /// Most objective evaluations per search (25).
    pub max_evals: usize,
    /// Largest step tried (1e10).
    pub alpha_max: f64,
}

impl Default for StrongWolfe {
    fn default() -> Self {
        Self {
            c1: 1e-4,
            c2: 0.9,
            max_evals: 25,
            alpha_max: 1e10,
        }
    }
}

/// One evaluated point of a line search.
#[derive(Debug, Clone)]
pub struct LineSearchResult {
    /// Step length `α`.
    pub alpha: f64,
    /// `x + αd`.
    pub x: Vec<f64>,
    /// `f(x + αd)`.
    pub f: f64,
    /// `∇f(x + αd)`.
    pub g: Vec<f64>,
}

#[derive(Debug, Clone)]
struct Pt {
    a: f64,
    f: f64,
    /// `φ'(a)`; NaN where `f` or the gradient is not finite.
    d: f64,
    x: Vec<f64>,
    g: Vec<f64>,
}

impl Pt {
    fn bad(&self) -> bool {
        !self.f.is_finite() || !self.d.is_finite()
    }
    fn into_result(self) -> LineSearchResult {
        LineSearchResult {
            alpha: self.a,
            x: self.x,
            f: self.f,
            g: self.g,
        }
    }
}

/// What a search found: an accepted step, or (on failure) the best point that satisfied the
/// Armijo condition, if any, and the number of evaluations spent.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub accepted: Option<LineSearchResult>,
    pub best_armijo: Option<LineSearchResult>,
    pub evals: usize,
}

/// The minimizer of the cubic that interpolates `φ` and `φ'` at `a` and `b` (N&W eq. 3.59),
/// or `None` when it does not exist (no real minimizer) or is not finite. Exact for quadratics.
pub(crate) fn cubic_min(a: f64, fa: f64, da: f64, b: f64, fb: f64, db: f64) -> Option<f64> {
    let d1 = da + db - 3.0 * (fa - fb) / (a - b);
    let disc = d1 * d1 - da * db;
    if disc.is_nan() || disc < 0.0 {
        return None;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    let den = db - da + 2.0 * d2;
    if den == 0.0 {
        return None;
    }
    let x = b - (b - a) * (db + d2 - d1) / den;
    x.is_finite().then_some(x)
}

impl StrongWolfe {
    /// Searches along `d` from `x` (where `f(x) = f0`, `∇f(x) = g0`), first trying `alpha0`.
    /// Errors only when the objective itself errors; a failed search is an [`Outcome`] without
    /// an accepted step.
    pub(crate) fn search<O: Objective + ?Sized>(
        &self,
        obj: &mut O,
        x: &[f64],
        f0: f64,
        g0: &[f64],
        d: &[f64],
        alpha0: f64,
    ) -> Result<Outcome> {
        let dphi0 = dot(g0, d);
        let mut out = Outcome {
            accepted: None,
            best_armijo: None,
            evals: 0,
        };
        if dphi0.is_nan() || dphi0 >= 0.0 {
            return Ok(out);
        }
        let mut eval = |a: f64, out: &mut Outcome| -> Result<Pt> {
            let xa: Vec<f64> = x.iter().zip(d).map(|(xi, di)| xi + a * di).collect();
            let (f, g) = obj.value_grad(&xa)?;
            if g.len() != x.len() {
                return Err(grad_len_error(x.len(), g.len()));
            }
            out.evals += 1;
            let slope = if f.is_finite() { dot(&g, d) } else { f64::NAN };
            let p = Pt {
                a,
                f,
                d: slope,
                x: xa,
                g,
            };
            let armijo = !p.bad() && p.f <= f0 + self.c1 * a * dphi0;
            if armijo && out.best_armijo.as_ref().is_none_or(|b| p.f < b.f) {
                out.best_armijo = Some(p.clone().into_result());
            }
            Ok(p)
        };
        let armijo = |p: &Pt| !p.bad() && p.f <= f0 + self.c1 * p.a * dphi0;
        let curvature = |p: &Pt| p.d.abs() <= -self.c2 * dphi0;

        let mut prev = Pt {
            a: 0.0,
            f: f0,
            d: dphi0,
            x: x.to_vec(),
            g: g0.to_vec(),
        };
        let mut a = alpha0.min(self.alpha_max);
        let mut first = true;
        let (mut lo, mut hi) = loop {
            if out.evals >= self.max_evals {
                return Ok(out);
            }
            let cur = eval(a, &mut out)?;
            if !armijo(&cur) || (!first && cur.f >= prev.f) {
                break (prev, cur);
            }
            if curvature(&cur) {
                out.accepted = Some(cur.into_result());
                return Ok(out);
            }
            if cur.d >= 0.0 {
                break (cur, prev);
            }
            if cur.a >= self.alpha_max {
                return Ok(out);
            }
            // Still descending: extrapolate, by the cubic's minimizer kept within
            // [a + 1.1Δ, a + 4Δ] (Moré–Thuente's bounds) so the bracket grows geometrically.
            let step = cur.a - prev.a;
            let (lo_b, hi_b) = (cur.a + 1.1 * step, cur.a + 4.0 * step);
            let next = cubic_min(prev.a, prev.f, prev.d, cur.a, cur.f, cur.d)
                .filter(|c| *c > cur.a)
                .map_or(cur.a + 2.0 * step, |c| c.clamp(lo_b, hi_b));
            a = next.min(self.alpha_max);
            prev = cur;
            first = false;
        };

        // Zoom: `lo` satisfies Armijo and has the lowest f so far; the minimizer is between
        // `lo` and `hi`.
        loop {
            if out.evals >= self.max_evals {
                return Ok(out);
            }
            let w = hi.a - lo.a;
            if w.abs() <= 1e-16 * lo.a.abs().max(1.0) {
                return Ok(out);
            }
            let inner = |c: f64| {
                // Safeguard: stay 10% of the bracket away from its ends, so a poor model of φ
                // still shrinks the bracket.
                let (l, h) = if w > 0.0 { (lo.a, hi.a) } else { (hi.a, lo.a) };
                c.clamp(l + 0.1 * w.abs(), h - 0.1 * w.abs())
            };
            let trial = if hi.bad() {
                None
            } else {
                cubic_min(lo.a, lo.f, lo.d, hi.a, hi.f, hi.d)
            };
            let a = trial.map_or(lo.a + 0.5 * w, inner);
            let cur = eval(a, &mut out)?;
            if !armijo(&cur) || cur.f >= lo.f {
                hi = cur;
            } else {
                if curvature(&cur) {
                    out.accepted = Some(cur.into_result());
                    return Ok(out);
                }
                if cur.d * (hi.a - lo.a) >= 0.0 {
                    hi = lo;
                }
                lo = cur;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::FnObjective;

    #[test]
    fn cubic_is_exact_on_a_quadratic() {
        let phi = |t: f64| (t - 0.3) * (t - 0.3);
        let dphi = |t: f64| 2.0 * (t - 0.3);
        let m = cubic_min(0.0, phi(0.0), dphi(0.0), 1.0, phi(1.0), dphi(1.0)).unwrap();
        assert!((m - 0.3).abs() < 1e-14, "{m}");
        let m = cubic_min(2.0, phi(2.0), dphi(2.0), -1.0, phi(-1.0), dphi(-1.0)).unwrap();
        assert!((m - 0.3).abs() < 1e-14, "{m}");
    }

    #[test]
    fn accepted_step_satisfies_strong_wolfe() {
        // f(x) = x⁴ - 3x² + x from x = 2 along -f'(2).
        let mut obj = FnObjective::new(1, |x: &[f64]| {
            let v = x[0];
            Ok((v.powi(4) - 3.0 * v * v + v, vec![4.0 * v.powi(3) - 6.0 * v + 1.0]))
        });
        let (f0, g0) = obj.value_grad(&[2.0]).unwrap();
        let d = vec![-g0[0]];
        for c2 in [0.9, 0.1, 1e-3] {
            let ls = StrongWolfe {
                c2,
                ..Default::default()
            };
            let out = ls.search(&mut obj, &[2.0], f0, &g0, &d, 1.0).unwrap();
            let r = out.accepted.expect("search succeeds");
            assert!(r.f <= f0 + ls.c1 * r.alpha * g0[0] * d[0]);
            assert!((r.g[0] * d[0]).abs() <= c2 * (g0[0] * d[0]).abs());
        }
    }

    #[test]
    fn backs_off_from_non_finite_values() {
        // f = x² for |x| < 10, NaN beyond: a huge first step must be pulled back.
        let mut obj = FnObjective::new(1, |x: &[f64]| {
            if x[0].abs() < 10.0 {
                Ok((x[0] * x[0], vec![2.0 * x[0]]))
            } else {
                Ok((f64::NAN, vec![f64::NAN]))
            }
        });
        let out = StrongWolfe::default()
            .search(&mut obj, &[1.0], 1.0, &[2.0], &[-1.0], 100.0)
            .unwrap();
        let r = out.accepted.expect("search succeeds");
        assert!(r.f < 1.0 && r.alpha < 10.0);
    }
}
