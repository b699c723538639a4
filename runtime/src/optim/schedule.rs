//! Learning-rate schedules: pure functions of the step number, so a run that resumes from a
//! checkpoint at step `k` gets exactly the rates it would have had.
//!
//! They compose: [`Warmup`] ramps any schedule in, [`Sequence`] switches from one schedule to
//! another at a step (the second sees steps counted from the switch).

/// A learning rate as a function of the optimizer step (0-based).
pub trait LrSchedule {
    /// The learning rate to use for step `step`.
    fn lr(&self, step: u64) -> f64;
}

impl<S: LrSchedule + ?Sized> LrSchedule for Box<S> {
    fn lr(&self, step: u64) -> f64 {
        (**self).lr(step)
    }
}

impl<S: LrSchedule + ?Sized> LrSchedule for &S {
    fn lr(&self, step: u64) -> f64 {
        (**self).lr(step)
    }
}

/// The same rate at every step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant(pub f64);

impl LrSchedule for Constant {
    fn lr(&self, _: u64) -> f64 {
        self.0
    }
}

/// `base × gamma^⌊step / every⌋`: drops by `gamma` every `every` steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepDecay {
    /// Rate before the first drop.
    pub base: f64,
    /// Steps between drops (0 is treated as 1).
    pub every: u64,
    /// Factor per drop.
    pub gamma: f64,
}

impl StepDecay {
    /// Drops `base` by `gamma` every `every` steps.
    pub fn new(base: f64, every: u64, gamma: f64) -> Self {
        Self { base, every, gamma }
    }
}

impl LrSchedule for StepDecay {
    fn lr(&self, step: u64) -> f64 {
        let k = step / self.every.max(1);
        self.base * self.gamma.powf(k as f64)
    }
}

/// `base × gamma^step`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exponential {
    /// Rate at step 0.
    pub base: f64,
    /// Factor per step.
    pub gamma: f64,
}

impl LrSchedule for Exponential {
    fn lr(&self, step: u64) -> f64 {
        self.base * self.gamma.powf(step as f64)
    }
}

/// Cosine annealing from `base` to `min` over `total` steps, then `min`:
/// `min + (base − min)(1 + cos(π t / T)) / 2`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cosine {
    /// Rate at step 0.
    pub base: f64,
    /// Rate from step `total` on.
    pub min: f64,
    /// Length of the decay.
    pub total: u64,
}

impl Cosine {
    /// Anneals `base` to `min` over `total` steps.
    pub fn new(base: f64, min: f64, total: u64) -> Self {
        Self { base, min, total }
    }
}

impl LrSchedule for Cosine {
    fn lr(&self, step: u64) -> f64 {
        if self.total == 0 || step >= self.total {
            return self.min;
        }
        let t = step as f64 / self.total as f64;
        self.min + (self.base - self.min) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
    }
}

/// Linear warm-up: during the first `steps` steps the inner schedule's rate is multiplied by
/// `(step + 1) / steps`, then the inner schedule runs unchanged. Warm-up keeps Adam's first,
/// badly estimated second moments from producing huge early steps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Warmup<S> {
    /// Warm-up length.
    pub steps: u64,
    /// The schedule being warmed up (it sees the global step).
    pub inner: S,
}

impl<S: LrSchedule> Warmup<S> {
    /// Ramps `inner` in over `steps` steps.
    pub fn new(steps: u64, inner: S) -> Self {
        Self { steps, inner }
    }
}

impl<S: LrSchedule> LrSchedule for Warmup<S> {
    fn lr(&self, step: u64) -> f64 {
        let r = self.inner.lr(step);
        if step < self.steps {
            r * (step + 1) as f64 / self.steps as f64
        } else {
            r
        }
    }
}

/// `first` for steps `< at`, then `second` with steps counted from `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sequence<A, B> {
    /// Schedule before the switch.
    pub first: A,
    /// Schedule after the switch.
    pub second: B,
    /// Step of the switch.
    pub at: u64,
}

impl<A: LrSchedule, B: LrSchedule> Sequence<A, B> {
    /// Runs `first`, then from step `at` on `second` (restarted at its step 0).
    pub fn new(first: A, at: u64, second: B) -> Self {
        Self { first, second, at }
    }
}

impl<A: LrSchedule, B: LrSchedule> LrSchedule for Sequence<A, B> {
    fn lr(&self, step: u64) -> f64 {
        if step < self.at {
            self.first.lr(step)
        } else {
            self.second.lr(step - self.at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn step_decay_drops_at_boundaries() {
        let s = StepDecay::new(1.0, 10, 0.5);
        assert!(close(s.lr(0), 1.0) && close(s.lr(9), 1.0));
        assert!(close(s.lr(10), 0.5) && close(s.lr(25), 0.25));
    }

    #[test]
    fn cosine_endpoints_and_midpoint() {
        let s = Cosine::new(1.0, 0.1, 100);
        assert!(close(s.lr(0), 1.0));
        assert!(close(s.lr(50), 0.55));
        assert!(close(s.lr(100), 0.1) && close(s.lr(1000), 0.1));
        assert!((1..100).all(|t| s.lr(t) < s.lr(t - 1)));
    }

    #[test]
    fn warmup_then_cosine_composes() {
        let s = Warmup::new(4, Cosine::new(1.0, 0.0, 100));
        assert!(close(s.lr(0), 0.25 * Cosine::new(1.0, 0.0, 100).lr(0)));
        assert!(close(s.lr(3), Cosine::new(1.0, 0.0, 100).lr(3)));
        assert!(close(s.lr(50), 0.5));
        let q = Sequence::new(Constant(0.1), 10, StepDecay::new(0.05, 5, 0.1));
        assert!(close(q.lr(9), 0.1) && close(q.lr(10), 0.05) && close(q.lr(15), 0.005));
        let boxed: Box<dyn LrSchedule> = Box::new(q);
        assert!(close(boxed.lr(15), 0.005));
    }
}
