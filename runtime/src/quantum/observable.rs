//! Observables: Pauli strings and Hamiltonians (real weighted sums of them), exact expectation
//! values, and shot-based estimates from seeded sampling.
//!
//! A Pauli string is applied without matrices: `P|i> = phase(i)·|i ⊕ x>` where `x` has the
//! bits of the X and Y factors and `phase(i) = i^{#Y} · (−1)^{popcount(i ∧ z)}` with `z` the
//! bits of the Z and Y factors (`Y|0> = i|1>`, `Y|1> = −i|0>`). So `<ψ|P|ψ>` is one pass over
//! the state, and so is accumulating `λ += c·Pψ` for the adjoint method.

use super::state::{for_each_amp, sum_amps};
use super::{ParseError, StateVector, C64};
use crate::{Error, Result};
use rand::{Rng, SeedableRng};
use std::fmt;

/// A single-qubit Pauli factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pauli {
    X,
    Y,
    Z,
}

/// A tensor product of Pauli factors on distinct qubits (identity elsewhere).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PauliString {
    /// `(qubit, factor)` sorted by qubit.
    factors: Vec<(usize, Pauli)>,
    x_mask: usize,
    z_mask: usize,
    /// Number of Y factors mod 4 (the `i^{#Y}` phase).
    y_count: u8,
}

impl PauliString {
    /// The identity.
    pub fn identity() -> PauliString {
        PauliString::default()
    }

    /// From `(qubit, factor)` pairs; a qubit may appear only once.
    pub fn new(factors: &[(usize, Pauli)]) -> Result<PauliString> {
        let mut f = factors.to_vec();
        f.sort_by_key(|&(q, _)| q);
        for w in f.windows(2) {
            if w[0].0 == w[1].0 {
                return Err(Error::Other(format!("Pauli string names qubit {} twice", w[0].0)));
            }
        }
        if let Some(&(q, _)) = f.iter().find(|(q, _)| *q >= StateVector::MAX_QUBITS) {
            return Err(Error::Other(format!(
                "Pauli string on qubit {q}, beyond the simulator's 30"
            )));
        }
        let (mut x_mask, mut z_mask, mut y_count) = (0, 0, 0u8);
        for &(q, p) in &f {
            match p {
                Pauli::X => x_mask |= 1 << q,
                Pauli::Z => z_mask |= 1 << q,
                Pauli::Y => {
                    x_mask |= 1 << q;
                    z_mask |= 1 << q;
                    y_count = (y_count + 1) % 4;
                }
            }
        }
        Ok(PauliString {
            factors: f,
            x_mask,
            z_mask,
            y_count,
        })
    }

    /// The factors, sorted by qubit.
    pub fn factors(&self) -> &[(usize, Pauli)] {
        &self.factors
    }

    /// 1 + the highest qubit named (0 for the identity).
    pub fn min_qubits(&self) -> usize {
        self.factors.last().map_or(0, |&(q, _)| q + 1)
    }

    /// `phase(i)` such that `P|i> = phase(i) |i ⊕ x>`.
    #[inline]
    fn phase(&self, i: usize) -> C64 {
        pauli_phase(self.y_count as u32, self.z_mask, i)
    }

    /// Panics (like an out-of-range slice index) if the string names a qubit the state lacks;
    /// [`Hamiltonian::check_qubits`] is the fallible check, and layers run it up front.
    #[track_caller]
    fn assert_fits(&self, state: &StateVector) {
        assert!(
            self.min_qubits() <= state.num_qubits(),
            "Pauli string `{self}` names a qubit beyond the state's {}",
            state.num_qubits()
        );
    }

    /// `<ψ|P|ψ>` (real since P is Hermitian).
    pub fn expectation(&self, state: &StateVector) -> f64 {
        self.assert_fits(state);
        let a = state.amplitudes();
        if self.x_mask == 0 {
            let z = self.z_mask;
            sum_amps(a, move |i, v| {
                let p = v.norm_sqr();
                C64::new(if (i & z).count_ones() % 2 == 1 { -p } else { p }, 0.0)
            })
            .re
        } else {
            // (Pψ)[j] = phase(j ⊕ x) ψ[j ⊕ x].
            let x = self.x_mask;
            sum_amps(a, |j, v| v.conj() * self.phase(j ^ x) * a[j ^ x]).re
        }
    }

    /// `out += coeff · P ψ`.
    pub fn apply_add(&self, coeff: f64, state: &StateVector, out: &mut [C64]) {
        self.assert_fits(state);
        assert_eq!(out.len(), state.amplitudes().len(), "output buffer size");
        let a = state.amplitudes();
        let x = self.x_mask;
        for_each_amp(out, |j, o| *o += coeff * self.phase(j ^ x) * a[j ^ x]);
    }
}

/// `i^{y_count} · (−1)^{popcount(i ∧ z)}`: the phase of a Pauli product on basis state `i`.
#[inline]
fn pauli_phase(y_count: u32, z: usize, i: usize) -> C64 {
    let base = match y_count % 4 {
        0 => C64::new(1.0, 0.0),
        1 => C64::new(0.0, 1.0),
        2 => C64::new(-1.0, 0.0),
        _ => C64::new(0.0, -1.0),
    };
    if (i & z).count_ones() % 2 == 1 {
        -base
    } else {
        base
    }
}

/// `<a| P Π |b>` where `P` has X on the bits of `x`, Z on those of `z` (Y on both) and `Π`
/// projects onto the `ctrl` bits all 1 (`ctrl` disjoint from `x`, so `P` and `Π` commute).
/// One read-only pass over both states.
pub(crate) fn masked_pauli_inner(a: &StateVector, b: &StateVector, x: usize, z: usize, ctrl: usize) -> C64 {
    let y_count = (x & z).count_ones();
    let b = b.amplitudes();
    sum_amps(a.amplitudes(), move |j, v| {
        if j & ctrl == ctrl {
            v.conj() * pauli_phase(y_count, z, j ^ x) * b[j ^ x]
        } else {
            C64::new(0.0, 0.0)
        }
    })
}

impl fmt::Display for PauliString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.factors.is_empty() {
            return f.write_str("I");
        }
        for (q, p) in &self.factors {
            write!(f, "{p:?}{q}")?;
        }
        Ok(())
    }
}

/// A real linear combination of Pauli strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hamiltonian {
    terms: Vec<(f64, PauliString)>,
}

/// A shot-based estimate: the sample mean and its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShotEstimate {
    pub mean: f64,
    pub std_err: f64,
}

impl Hamiltonian {
    /// From `(coefficient, string)` terms.
    pub fn new(terms: Vec<(f64, PauliString)>) -> Hamiltonian {
        Hamiltonian { terms }
    }

    /// A single Pauli string with coefficient 1.
    pub fn single(p: PauliString) -> Hamiltonian {
        Hamiltonian {
            terms: vec![(1.0, p)],
        }
    }

    /// `Z_q`, the usual readout.
    pub fn z(q: usize) -> Result<Hamiltonian> {
        Ok(Hamiltonian::single(PauliString::new(&[(q, Pauli::Z)])?))
    }

    /// The terms.
    pub fn terms(&self) -> &[(f64, PauliString)] {
        &self.terms
    }

    /// 1 + the highest qubit named.
    pub fn min_qubits(&self) -> usize {
        self.terms.iter().map(|(_, p)| p.min_qubits()).max().unwrap_or(0)
    }

    /// Parses e.g. `"0.5*Z0Z2 - 0.8*X1X2 + 0.3*Y2 + 0.6*X0"`: terms joined by `+`/`-`, each an
    /// optional coefficient (optionally followed by `*`) and Pauli factors `X3`, `Y0`, `Z12`
    /// (separated by nothing, spaces or `*`); `I` (or a bare number) is the identity. Errors
    /// give the 1-based column.
    pub fn parse(text: &str) -> std::result::Result<Hamiltonian, ParseError> {
        HParser {
            s: text.as_bytes(),
            pos: 0,
            num_qubits: StateVector::MAX_QUBITS,
        }
        .parse()
    }

    /// Like [`Hamiltonian::parse`], and also rejects (with its column) any qubit index
    /// `>= num_qubits`, for observables of a known register.
    pub fn parse_for(text: &str, num_qubits: usize) -> std::result::Result<Hamiltonian, ParseError> {
        HParser {
            s: text.as_bytes(),
            pos: 0,
            num_qubits,
        }
        .parse()
    }

    /// `<ψ|H|ψ>`.
    pub fn expectation(&self, state: &StateVector) -> f64 {
        self.terms.iter().map(|(c, p)| c * p.expectation(state)).sum()
    }

    /// `out += coeff · H ψ`.
    pub fn apply_add(&self, coeff: f64, state: &StateVector, out: &mut [C64]) {
        for (c, p) in &self.terms {
            p.apply_add(coeff * c, state, out);
        }
    }

    /// Checks every qubit named exists in an `n`-qubit state.
    pub fn check_qubits(&self, n: usize) -> Result<()> {
        if self.min_qubits() > n {
            return Err(Error::Other(format!(
                "observable `{self}` names qubit {}, but the circuit has {n} qubits",
                self.min_qubits() - 1
            )));
        }
        Ok(())
    }

    /// Estimates `<H>` from `shots` measurements per term, as hardware would: each term's
    /// qubits are rotated into its eigenbasis (H for X, H·S† for Y) on a copy of the state, the
    /// copy is sampled with a seeded RNG and the parities averaged. Terms use independent
    /// shots, so the variance is `Σ c² (1 − m²)/shots`.
    pub fn estimate(&self, state: &StateVector, shots: usize, seed: u64) -> Result<ShotEstimate> {
        if shots == 0 {
            return Err(Error::Empty {
                context: "Hamiltonian::estimate".into(),
                tensor: "shots".into(),
                dim: "shots".into(),
            });
        }
        self.check_qubits(state.num_qubits())?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (mut mean, mut var) = (0.0, 0.0);
        let mut rotated = state.clone();
        for (c, p) in &self.terms {
            if p.factors.is_empty() {
                mean += c;
                continue;
            }
            rotated.copy_from(state);
            let h = super::gates::Gate::H.action(&[]);
            let sdg = super::gates::Gate::Sdg.action(&[]);
            for &(q, f) in &p.factors {
                match f {
                    Pauli::Z => {}
                    Pauli::X => h.apply(&mut rotated, &[q]),
                    Pauli::Y => {
                        sdg.apply(&mut rotated, &[q]);
                        h.apply(&mut rotated, &[q]);
                    }
                }
            }
            let support: usize = p.factors.iter().map(|&(q, _)| 1usize << q).sum();
            let samples = sample_with(&rotated, shots, &mut rng);
            let plus = samples
                .iter()
                .filter(|&&s| (s & support).count_ones().is_multiple_of(2))
                .count();
            let m = (2 * plus) as f64 / shots as f64 - 1.0;
            mean += c * m;
            var += c * c * (1.0 - m * m) / shots as f64;
        }
        Ok(ShotEstimate {
            mean,
            std_err: var.sqrt(),
        })
    }
}

/// Draws `shots` basis states (indices, bit k = qubit k) from `|ψ|²` with a seeded RNG.
pub fn sample(state: &StateVector, shots: usize, seed: u64) -> Vec<usize> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    sample_with(state, shots, &mut rng)
}

fn sample_with(state: &StateVector, shots: usize, rng: &mut impl Rng) -> Vec<usize> {
    let mut cdf = Vec::with_capacity(state.amplitudes().len());
    let mut acc = 0.0;
    for a in state.amplitudes() {
        acc += a.norm_sqr();
        cdf.push(acc);
    }
    let last = cdf.len() - 1;
    (0..shots)
        .map(|_| {
            let u = rng.gen::<f64>() * acc;
            cdf.partition_point(|&c| c <= u).min(last)
        })
        .collect()
}

impl fmt::Display for Hamiltonian {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, (c, p)) in self.terms.iter().enumerate() {
            if k == 0 {
                write!(f, "{c}*{p}")?;
            } else if *c < 0.0 {
                write!(f, " - {}*{p}", -c)?;
            } else {
                write!(f, " + {c}*{p}")?;
            }
        }
        if self.terms.is_empty() {
            f.write_str("0")?;
        }
        Ok(())
    }
}

struct HParser<'a> {
    s: &'a [u8],
    pos: usize,
    num_qubits: usize,
}

impl HParser<'_> {
    fn err<T>(&self, at: usize, msg: impl Into<String>) -> std::result::Result<T, ParseError> {
        Err(ParseError {
            line: 1,
            column: at + 1,
            message: msg.into(),
        })
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }
    fn ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn parse(mut self) -> std::result::Result<Hamiltonian, ParseError> {
        let mut terms = Vec::new();
        self.ws();
        if self.peek().is_none() {
            return self.err(self.pos, "empty observable");
        }
        let mut sign = 1.0;
        if let Some(c @ (b'+' | b'-')) = self.peek() {
            sign = if c == b'-' { -1.0 } else { 1.0 };
            self.pos += 1;
            self.ws();
        }
        loop {
            let (c, p) = self.term()?;
            terms.push((sign * c, p));
            self.ws();
            match self.peek() {
                None => break,
                Some(b'+') => sign = 1.0,
                Some(b'-') => sign = -1.0,
                Some(c) => {
                    return self.err(
                        self.pos,
                        format!("expected `+` or `-` between terms, found `{}`", c as char),
                    )
                }
            }
            self.pos += 1;
            self.ws();
        }
        Ok(Hamiltonian { terms })
    }

    fn term(&mut self) -> std::result::Result<(f64, PauliString), ParseError> {
        let start = self.pos;
        let mut coeff = 1.0;
        let mut have_coeff = false;
        if self.peek().is_some_and(|c| c.is_ascii_digit() || c == b'.') {
            coeff = self.number()?;
            have_coeff = true;
            self.ws();
            if self.peek() == Some(b'*') {
                self.pos += 1;
                self.ws();
            }
        }
        let mut factors: Vec<(usize, Pauli)> = Vec::new();
        let mut identity = false;
        loop {
            let at = self.pos;
            let p = match self.peek() {
                Some(b'X') => Some(Pauli::X),
                Some(b'Y') => Some(Pauli::Y),
                Some(b'Z') => Some(Pauli::Z),
                Some(b'I') => None,
                _ => break,
            };
            self.pos += 1;
            let dstart = self.pos;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
            let digits = std::str::from_utf8(&self.s[dstart..self.pos]).unwrap_or("");
            match p {
                None => identity = true,
                Some(p) => {
                    if digits.is_empty() {
                        return self.err(at, format!("Pauli `{p:?}` needs a qubit index, e.g. `{p:?}0`"));
                    }
                    let q: usize = match digits.parse() {
                        Ok(q) if q < self.num_qubits => q,
                        _ => {
                            let n = self.num_qubits;
                            return self.err(
                                dstart,
                                format!("qubit index `{digits}` out of range: the register has {n} qubits"),
                            );
                        }
                    };
                    if factors.iter().any(|&(r, _)| r == q) {
                        return self.err(at, format!("qubit {q} appears twice in one term"));
                    }
                    factors.push((q, p));
                }
            }
            // Factors may be separated by spaces or `*`.
            let save = self.pos;
            self.ws();
            if self.peek() == Some(b'*') {
                self.pos += 1;
                self.ws();
                if !matches!(self.peek(), Some(b'X' | b'Y' | b'Z' | b'I')) {
                    return self.err(self.pos, "expected a Pauli factor (X, Y, Z or I) after `*`");
                }
            } else if !matches!(self.peek(), Some(b'X' | b'Y' | b'Z' | b'I')) {
                self.pos = save;
                break;
            }
        }
        if factors.is_empty() && !identity && !have_coeff {
            let found = self
                .peek()
                .map_or("end of input".to_string(), |c| format!("`{}`", c as char));
            return self.err(
                if self.pos == start { start } else { self.pos },
                format!("expected a term such as `0.5*Z0X1`, found {found}"),
            );
        }
        let p = PauliString::new(&factors).map_err(|e| ParseError {
            line: 1,
            column: start + 1,
            message: e.to_string(),
        })?;
        Ok((coeff, p))
    }

    fn number(&mut self) -> std::result::Result<f64, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == b'.') {
            self.pos += 1;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            } else {
                self.pos = save;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).unwrap_or("");
        text.parse::<f64>()
            .or_else(|_| self.err(start, format!("malformed number `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_issue_example() {
        let h = Hamiltonian::parse("0.5*Z0Z2 - 0.8*X1X2 + 0.3*Y2 + 0.6*X0").unwrap();
        let t = h.terms();
        assert_eq!(t.len(), 4);
        assert_eq!(t[0].0, 0.5);
        assert_eq!(t[0].1.factors(), &[(0, Pauli::Z), (2, Pauli::Z)]);
        assert_eq!(t[1].0, -0.8);
        assert_eq!(t[1].1.factors(), &[(1, Pauli::X), (2, Pauli::X)]);
        assert_eq!(t[2].1.factors(), &[(2, Pauli::Y)]);
        assert_eq!(h.min_qubits(), 3);
        let h2 = Hamiltonian::parse("-Z0 X2 + 2 * Y1*Z3 + 1.5e-1 + I").unwrap();
        assert_eq!(h2.terms()[0].0, -1.0);
        assert_eq!(h2.terms()[1].1.factors(), &[(1, Pauli::Y), (3, Pauli::Z)]);
        assert_eq!(h2.terms()[2], (0.15, PauliString::identity()));
        assert_eq!(h2.terms()[3], (1.0, PauliString::identity()));
    }

    #[test]
    fn parse_errors_name_the_column() {
        for (text, col) in [
            ("0.5*Z0Z2 - 0.8*Q1", 16),
            ("Z0 + ", 6),
            ("Z0Z0", 3),
            ("X", 1),
            ("Z0 Z1 ?", 7),
            ("", 1),
            ("1..2*Z0", 1),
        ] {
            let e = Hamiltonian::parse(text).unwrap_err();
            assert_eq!((e.line, e.column), (1, col), "{text:?}: {e}");
        }
        let e = Hamiltonian::parse_for("Z0 + 0.5*X1Z3", 3).unwrap_err();
        assert_eq!(e.column, 13, "{e}");
        assert!(Hamiltonian::parse_for("Z0 + 0.5*X1Z2", 3).is_ok());
    }

    /// Matrix-free Pauli application against explicit Kronecker products.
    #[test]
    #[allow(clippy::needless_range_loop)] // index loops read as the matrix formula
    fn pauli_action_matches_dense() {
        let amps: Vec<C64> = (0..8)
            .map(|i| C64::new((i as f64).sin(), (2.0 * i as f64).cos()))
            .collect();
        let s = StateVector::from_amplitudes(amps.clone()).unwrap();
        let p = PauliString::new(&[(0, Pauli::Y), (1, Pauli::X), (2, Pauli::Z)]).unwrap();
        let single = |f: Pauli, b_out: usize, b_in: usize| -> C64 {
            let m = match f {
                Pauli::X => [[0.0, 1.0], [1.0, 0.0]].map(|r| r.map(|x| C64::new(x, 0.0))),
                Pauli::Y => [
                    [C64::new(0.0, 0.0), C64::new(0.0, -1.0)],
                    [C64::new(0.0, 1.0), C64::new(0.0, 0.0)],
                ],
                Pauli::Z => [[1.0, 0.0], [0.0, -1.0]].map(|r| r.map(|x| C64::new(x, 0.0))),
            };
            m[b_out][b_in]
        };
        let mut out = vec![C64::new(0.0, 0.0); 8];
        p.apply_add(1.0, &s, &mut out);
        for i in 0..8usize {
            let mut want = C64::new(0.0, 0.0);
            for j in 0..8usize {
                let mut e = C64::new(1.0, 0.0);
                for &(q, f) in p.factors() {
                    e *= single(f, (i >> q) & 1, (j >> q) & 1);
                }
                want += e * amps[j];
            }
            assert!((out[i] - want).norm() < 1e-14);
        }
        let exp: C64 = amps.iter().zip(&out).map(|(a, b)| a.conj() * b).sum();
        assert!((p.expectation(&s) - exp.re).abs() < 1e-14 && exp.im.abs() < 1e-14);
    }

    #[test]
    fn shot_estimates_converge_and_are_seeded() {
        // |ψ> = RY(0.9)|0> ⊗ H|0>: <Z0> = cos 0.9, <X1> = 1, <Y0> = 0.
        let mut c = super::super::Circuit::new(2).unwrap();
        c.ry(0, 0.9).unwrap().h(1).unwrap();
        let s = c.run(&[], &[]).unwrap();
        let h = Hamiltonian::parse("0.7*Z0 + 0.2*X1 - 0.5*Y0 + 0.1").unwrap();
        let exact = h.expectation(&s);
        assert!((exact - (0.7 * 0.9f64.cos() + 0.2 + 0.1)).abs() < 1e-12);
        let a = h.estimate(&s, 20_000, 7).unwrap();
        let b = h.estimate(&s, 20_000, 7).unwrap();
        assert_eq!(a, b);
        assert!(a.std_err > 0.0 && a.std_err < 0.01);
        assert!((a.mean - exact).abs() < 5.0 * a.std_err, "{a:?} vs {exact}");
        let c2 = h.estimate(&s, 20_000, 8).unwrap();
        assert_ne!(a.mean, c2.mean);
        assert!(h.estimate(&s, 0, 1).is_err());
        // Sampling frequencies follow |ψ|².
        let shots = sample(&s, 40_000, 3);
        let p1 = shots.iter().filter(|&&i| i & 1 == 1).count() as f64 / 40_000.0;
        assert!((p1 - (0.45f64).sin().powi(2)).abs() < 0.01);
    }
}
