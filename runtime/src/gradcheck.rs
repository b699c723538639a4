//! Gradient checking: a model's derived gradient against `f64` central differences of its loss.
//!
//! `∂L/∂θᵢ ≈ (L(θ + hᵢeᵢ) − L(θ − hᵢeᵢ)) / 2hᵢ`, with `hᵢ = eps · max(1, |θᵢ|)`. The truncation
//! error is `O(h²)` and the round-off `O(ε_mach · |L| / h)`, so `eps ≈ 1e-6` balances them for an
//! `f64` model. Check an `f64` instance of a model: an `f32` loss has round-off near 1e-7 ·|L|,
//! which swamps any useful `h`. (The step is rounded to the model's dtype and the rounded step
//! is used in the quotient, so an `f32` check is still unbiased, only noisy.)

use std::fmt;

use dfdx::shapes::Dtype;
use dfdx::tensor_ops::Device;

use crate::data::shuffled_indices;
use crate::error::{Error, Result};
use crate::params::{param_infos, set_flat, to_flat, Model};

/// Settings of [`gradcheck`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradcheckConfig {
    /// Relative finite-difference step (1e-6).
    pub eps: f64,
    /// Relative tolerance (1e-5).
    pub rtol: f64,
    /// Absolute tolerance (1e-8): gradients that are zero up to round-off pass.
    pub atol: f64,
    /// Check at most this many entries, chosen at random from `seed` (`None` = all). Each entry
    /// costs two loss evaluations.
    pub max_entries: Option<usize>,
    /// Seed of the entry sample.
    pub seed: u64,
}

impl Default for GradcheckConfig {
    fn default() -> Self {
        Self {
            eps: 1e-6,
            rtol: 1e-5,
            atol: 1e-8,
            max_entries: None,
            seed: 0,
        }
    }
}

/// One checked entry.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryCheck {
    /// Dotted parameter name.
    pub name: String,
    /// Index within the parameter (row-major).
    pub index: usize,
    /// Index in the flat parameter vector.
    pub flat_index: usize,
    /// The derived gradient.
    pub analytic: f64,
    /// The central difference.
    pub numeric: f64,
    /// `|analytic − numeric| / max(|analytic|, |numeric|)` (0 when both are 0).
    pub rel_err: f64,
    /// `|analytic − numeric| / (atol + rtol · max(|analytic|, |numeric|))`: above 1 fails.
    pub violation: f64,
}

/// The result of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcheckReport {
    /// The entry with the largest violation (None when the model has no parameters).
    pub worst: Option<EntryCheck>,
    /// Entries checked.
    pub checked: usize,
    /// Entries over the tolerance.
    pub failures: usize,
    /// Tolerances used.
    pub rtol: f64,
    /// Tolerances used.
    pub atol: f64,
}

impl GradcheckReport {
    /// Whether every checked entry is within tolerance.
    pub fn passed(&self) -> bool {
        self.failures == 0
    }
    /// `Ok(self)` when passed, else an error carrying the report's text.
    pub fn into_result(self) -> Result<Self> {
        if self.passed() {
            Ok(self)
        } else {
            Err(Error::Other(self.to_string()))
        }
    }
}

impl fmt::Display for GradcheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "FAILED" };
        write!(
            f,
            "gradcheck {verdict}: {} of {} entries over tolerance (rtol {:e}, atol {:e})",
            self.failures, self.checked, self.rtol, self.atol
        )?;
        if let Some(w) = &self.worst {
            write!(
                f,
                "; worst `{}`[{}] (flat {}): derived {:e}, central difference {:e}, relative error {:.3e}",
                w.name, w.index, w.flat_index, w.analytic, w.numeric, w.rel_err
            )?;
        }
        Ok(())
    }
}

/// Compares `grads` (the derived gradient of `loss` at `model`) with central differences of
/// `loss`. `loss` is evaluated on a private copy of the model; `model` is not changed.
pub fn gradcheck<E, D, M, F>(
    model: &M,
    grads: &M::Grads,
    mut loss: F,
    cfg: &GradcheckConfig,
) -> Result<GradcheckReport>
where
    E: Dtype,
    D: Device<E>,
    M: Model<E, D>,
    F: FnMut(&M) -> Result<f64>,
{
    let infos = param_infos(model);
    let x = to_flat(model);
    let analytic = to_flat(grads);
    if analytic.len() != x.len() {
        return Err(Error::Shape {
            context: "gradcheck".into(),
            tensor: "gradient".into(),
            expected: format!("{} entries (the model's parameters)", x.len()),
            found: format!("{} entries", analytic.len()),
        });
    }
    // flat index -> (parameter, index within it)
    let mut owner = Vec::with_capacity(x.len());
    for (k, info) in infos.iter().enumerate() {
        owner.extend((0..info.numel()).map(|i| (k, i)));
    }
    let mut entries: Vec<usize> = match cfg.max_entries {
        Some(m) if m < x.len() => shuffled_indices(x.len(), cfg.seed).into_iter().take(m).collect(),
        _ => (0..x.len()).collect(),
    };
    entries.sort_unstable();

    let round = |v: f64| E::from_f64(v).and_then(|e| e.to_f64()).unwrap_or(v);
    let mut probe = model.clone();
    let mut xp = x.clone();
    let mut report = GradcheckReport {
        worst: None,
        checked: 0,
        failures: 0,
        rtol: cfg.rtol,
        atol: cfg.atol,
    };
    for i in entries {
        let h = cfg.eps * x[i].abs().max(1.0);
        let (hi, lo) = (round(x[i] + h), round(x[i] - h));
        xp[i] = hi;
        set_flat(&mut probe, &xp)?;
        let fp = loss(&probe)?;
        xp[i] = lo;
        set_flat(&mut probe, &xp)?;
        let fm = loss(&probe)?;
        xp[i] = x[i];
        let numeric = (fp - fm) / (hi - lo);
        let a = analytic[i];
        let diff = (a - numeric).abs();
        let scale = a.abs().max(numeric.abs());
        let rel_err = if diff == 0.0 { 0.0 } else { diff / scale };
        let violation = if diff == 0.0 {
            0.0
        } else {
            diff / (cfg.atol + cfg.rtol * scale)
        };
        // NaN compares false: count it as the worst possible.
        let violation = if violation.is_nan() {
            f64::INFINITY
        } else {
            violation
        };
        report.checked += 1;
        if violation > 1.0 {
            report.failures += 1;
        }
        if report.worst.as_ref().is_none_or(|w| violation > w.violation) {
            let (k, index) = owner[i];
            report.worst = Some(EntryCheck {
                name: infos[k].name.clone(),
                index,
                flat_index: i,
                analytic: a,
                numeric,
                rel_err,
                violation,
            });
        }
    }
    Ok(report)
}
