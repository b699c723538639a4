//! The gate set: matrices, derivatives and parameter-shift rules, one place per gate.
//!
//! Conventions (as Qiskit / OpenQASM 2): `RX(θ) = exp(-iθX/2)`, likewise `RY`, `RZ`, and
//! `RXX(θ) = exp(-iθ X⊗X/2)`, `RYY`, `RZZ`; `P(λ) = diag(1, e^{iλ})`;
//! `U3(θ,φ,λ) = [[cos θ/2, −e^{iλ} sin θ/2], [e^{iφ} sin θ/2, e^{i(φ+λ)} cos θ/2]]`
//! `= e^{i(φ+λ)/2} RZ(φ) RY(θ) RZ(λ)`; `U2(φ,λ) = U3(π/2,φ,λ)`. Multi-qubit gates list their
//! qubits control(s) first; a gate's local basis index is `Σ_j bit(qubits[j]) · 2^j`.
//!
//! # Parameter-shift rules, and why they hold
//!
//! If a gate is `exp(-iθG)` and `G` has eigenvalues `{g_j}`, the expectation is a trigonometric
//! polynomial in θ whose frequencies are the differences `g_j − g_k`. Then
//! `f(θ+s) − f(θ−s) = Σ_ω 2 sin(ωs) (−a_ω sin ωθ + b_ω cos ωθ)` while
//! `f'(θ) = Σ_ω ω (−a_ω sin ωθ + b_ω cos ωθ)`, so shifts `s_k` with weights `c_k` are exact when
//! `Σ_k 2 c_k sin(ω s_k) = ω` for every frequency ω.
//!
//! - `RX RY RZ RXX RYY RZZ` (G = P/2, eigenvalues ±1/2, ω ∈ {1}) and each angle of `U2`/`U3`
//!   (each enters one Pauli rotation of the RZ·RY·RZ form): `2c sin s = 1` gives the two-term
//!   rule `f' = [f(θ+π/2) − f(θ−π/2)]/2`.
//! - `P`/`U1` (`= e^{iλ/2} RZ(λ)`, global phase irrelevant) and `CPhase` (G = −|11><11|,
//!   eigenvalues {0, −1}, ω ∈ {1}): the same two-term rule.
//! - `CRX CRY CRZ` (G = |1><1| ⊗ P/2, eigenvalues {0, 0, ±1/2}, ω ∈ {1/2, 1}): with shifts π/2
//!   and 3π/2, `f' = c₊[f(θ+π/2) − f(θ−π/2)] − c₋[f(θ+3π/2) − f(θ−3π/2)]` needs
//!   for ω = 1 (`sin π/2 = 1`, `sin 3π/2 = −1`): `2c₊ + 2c₋ = 1`, and
//!   for ω = 1/2 (`sin π/4 = sin 3π/4 = 1/√2`): `(2c₊ − 2c₋)/√2 = 1/2`;
//!   so `c₊ + c₋ = 1/2`, `c₊ − c₋ = 1/(2√2)`, i.e. `c± = (√2 ± 1)/(4√2)`. A test checks the
//!   rule against adjoint gradients, and one checks that the two-term rule would be wrong here.

use super::{Mat2, Mat4, StateVector, C64};
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, PI, SQRT_2};

/// One gate of the simulator's set. Parameterized gates take their angles from the circuit.
#[derive(Debug, Clone, PartialEq)]
pub enum Gate {
    /// Identity (kept so imported circuits keep their structure; applies nothing).
    I,
    H,
    X,
    Y,
    Z,
    S,
    Sdg,
    T,
    Tdg,
    SX,
    SXdg,
    RX,
    RY,
    RZ,
    /// Phase `diag(1, e^{iλ})`, also `U1`.
    P,
    U2,
    U3,
    CNOT,
    CY,
    CZ,
    CH,
    SWAP,
    CRX,
    CRY,
    CRZ,
    /// Controlled phase `diag(1, 1, 1, e^{iθ})`, also `CU1`.
    CPhase,
    RXX,
    RYY,
    RZZ,
    Toffoli,
    CSWAP,
    /// Any one-qubit matrix (must be unitary for probabilities to make sense).
    Unitary1(Box<Mat2>),
    /// Any two-qubit matrix in the local basis `bit(q0) + 2·bit(q1)`.
    Unitary2(Box<Mat4>),
}

/// How a gate acts on the state: the kernel to call and its matrix. Derivatives use the same
/// kernels with non-unitary matrices.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Action {
    Identity,
    Mat1(Mat2),
    Diag1([C64; 2]),
    /// `qubits[0]` controls `m` on `qubits[1]`.
    Ctrl1(Mat2),
    /// `|1><1| ⊗ m`: the control-0 block is zeroed (derivative of a controlled gate).
    CtrlOnly1(Mat2),
    Mat2(Mat4),
    Diag2([C64; 4]),
    Cx,
    Swap,
    Ccx,
    Cswap,
}

/// A parameter-shift recipe: `∂f/∂θ = Σ c_k f(θ + s_k)`.
pub(crate) type ShiftRule = &'static [(f64, f64)];

const TWO_TERM: ShiftRule = &[(0.5, FRAC_PI_2), (-0.5, -FRAC_PI_2)];
/// `c± = (√2 ± 1)/(4√2)`, shifts ±π/2 and ±3π/2 (see the module docs).
const C_PLUS: f64 = (SQRT_2 + 1.0) / (4.0 * SQRT_2);
const C_MINUS: f64 = (SQRT_2 - 1.0) / (4.0 * SQRT_2);
const FOUR_TERM: ShiftRule = &[
    (C_PLUS, FRAC_PI_2),
    (-C_PLUS, -FRAC_PI_2),
    (-C_MINUS, 3.0 * FRAC_PI_2),
    (C_MINUS, -3.0 * FRAC_PI_2),
];

fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}
const ZERO: C64 = C64::new(0.0, 0.0);
const ONE: C64 = C64::new(1.0, 0.0);
const IM: C64 = C64::new(0.0, 1.0);

fn cis(x: f64) -> C64 {
    C64::from_polar(1.0, x)
}

pub(crate) fn rx(t: f64) -> Mat2 {
    let (s, co) = (t / 2.0).sin_cos();
    [[c(co, 0.0), c(0.0, -s)], [c(0.0, -s), c(co, 0.0)]]
}
pub(crate) fn ry(t: f64) -> Mat2 {
    let (s, co) = (t / 2.0).sin_cos();
    [[c(co, 0.0), c(-s, 0.0)], [c(s, 0.0), c(co, 0.0)]]
}
pub(crate) fn rz(t: f64) -> Mat2 {
    [[cis(-t / 2.0), ZERO], [ZERO, cis(t / 2.0)]]
}
fn d_rx(t: f64) -> Mat2 {
    let (s, co) = (t / 2.0).sin_cos();
    [
        [c(-s / 2.0, 0.0), c(0.0, -co / 2.0)],
        [c(0.0, -co / 2.0), c(-s / 2.0, 0.0)],
    ]
}
fn d_ry(t: f64) -> Mat2 {
    let (s, co) = (t / 2.0).sin_cos();
    [
        [c(-s / 2.0, 0.0), c(-co / 2.0, 0.0)],
        [c(co / 2.0, 0.0), c(-s / 2.0, 0.0)],
    ]
}
fn d_rz(t: f64) -> Mat2 {
    [[-IM / 2.0 * cis(-t / 2.0), ZERO], [ZERO, IM / 2.0 * cis(t / 2.0)]]
}
pub(crate) fn u3(t: f64, p: f64, l: f64) -> Mat2 {
    let (s, co) = (t / 2.0).sin_cos();
    [[c(co, 0.0), -cis(l) * s], [cis(p) * s, cis(p + l) * co]]
}
/// `∂U3/∂(θ, φ, λ)[slot]`.
fn d_u3(t: f64, p: f64, l: f64, slot: usize) -> Mat2 {
    let (s, co) = (t / 2.0).sin_cos();
    match slot {
        0 => [
            [c(-s / 2.0, 0.0), -cis(l) * co / 2.0],
            [cis(p) * co / 2.0, -cis(p + l) * s / 2.0],
        ],
        1 => [[ZERO, ZERO], [IM * cis(p) * s, IM * cis(p + l) * co]],
        _ => [[ZERO, -IM * cis(l) * s], [ZERO, IM * cis(p + l) * co]],
    }
}

/// Two-qubit Pauli products in the local basis, as (permutation target, phase) per column:
/// `G|j> = phase_j |perm_j>`.
fn pauli2(kind: &Gate) -> Mat4 {
    let mut g = [[ZERO; 4]; 4];
    match kind {
        Gate::RXX => {
            for j in 0..4 {
                g[3 - j][j] = ONE;
            }
        }
        Gate::RYY => {
            // Y|0> = i|1>, Y|1> = −i|0> on each qubit.
            g[3][0] = -ONE;
            g[2][1] = ONE;
            g[1][2] = ONE;
            g[0][3] = -ONE;
        }
        _ => {
            let d = [ONE, -ONE, -ONE, ONE];
            for j in 0..4 {
                g[j][j] = d[j];
            }
        }
    }
    g
}

/// `exp(-iθG/2) = cos(θ/2) I − i sin(θ/2) G` for an involutory `G`, and its derivative
/// `−sin(θ/2)/2 I − i cos(θ/2)/2 G`.
fn pauli_rot2(g: &Mat4, t: f64, derivative: bool) -> Mat4 {
    let (s, co) = (t / 2.0).sin_cos();
    let (a, b) = if derivative { (-s / 2.0, co / 2.0) } else { (co, s) };
    let mut m = [[ZERO; 4]; 4];
    for r in 0..4 {
        for k in 0..4 {
            m[r][k] = c(0.0, -b) * g[r][k];
        }
        m[r][r] += a;
    }
    m
}

/// `dU/dθ = −i G U` with `G = coeff · P · Π`: `P` the Pauli product with X on the local qubits
/// in `x`, Z on those in `z` (Y where both), `Π` the projector onto the local qubits in `ctrl`
/// all being 1. Lets the adjoint method take a derivative as one read-only pass,
/// `∂F/∂θ = 2 Im <λ|G|ψ_after>`, instead of copying the state and applying `dU/dθ`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Generator {
    pub coeff: f64,
    pub x: u8,
    pub z: u8,
    pub ctrl: u8,
}

impl Generator {
    /// The masks on global qubit indices.
    pub(crate) fn global_masks(&self, qubits: &[usize]) -> (usize, usize, usize) {
        let map = |m: u8| {
            qubits
                .iter()
                .enumerate()
                .filter(|(j, _)| (m >> j) & 1 == 1)
                .map(|(_, &q)| 1usize << q)
                .sum::<usize>()
        };
        (map(self.x), map(self.z), map(self.ctrl))
    }
}

impl Gate {
    /// How many qubits the gate acts on.
    pub fn num_qubits(&self) -> usize {
        use Gate::*;
        match self {
            I | H | X | Y | Z | S | Sdg | T | Tdg | SX | SXdg | RX | RY | RZ | P | U2 | U3 | Unitary1(_) => 1,
            CNOT | CY | CZ | CH | SWAP | CRX | CRY | CRZ | CPhase | RXX | RYY | RZZ | Unitary2(_) => 2,
            Toffoli | CSWAP => 3,
        }
    }

    /// How many angles the gate takes.
    pub fn num_angles(&self) -> usize {
        use Gate::*;
        match self {
            RX | RY | RZ | P | CRX | CRY | CRZ | CPhase | RXX | RYY | RZZ => 1,
            U2 => 2,
            U3 => 3,
            _ => 0,
        }
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        use Gate::*;
        match self {
            I => "id",
            H => "h",
            X => "x",
            Y => "y",
            Z => "z",
            S => "s",
            Sdg => "sdg",
            T => "t",
            Tdg => "tdg",
            SX => "sx",
            SXdg => "sxdg",
            RX => "rx",
            RY => "ry",
            RZ => "rz",
            P => "p",
            U2 => "u2",
            U3 => "u3",
            CNOT => "cx",
            CY => "cy",
            CZ => "cz",
            CH => "ch",
            SWAP => "swap",
            CRX => "crx",
            CRY => "cry",
            CRZ => "crz",
            CPhase => "cp",
            RXX => "rxx",
            RYY => "ryy",
            RZZ => "rzz",
            Toffoli => "ccx",
            CSWAP => "cswap",
            Unitary1(_) => "unitary1",
            Unitary2(_) => "unitary2",
        }
    }

    /// The kernel and matrix for these angles (`angles.len() == num_angles()`).
    pub(crate) fn action(&self, a: &[f64]) -> Action {
        use Gate::*;
        let h = c(FRAC_1_SQRT_2, 0.0);
        match self {
            I => Action::Identity,
            H => Action::Mat1([[h, h], [h, -h]]),
            X => Action::Mat1([[ZERO, ONE], [ONE, ZERO]]),
            Y => Action::Mat1([[ZERO, -IM], [IM, ZERO]]),
            Z => Action::Diag1([ONE, -ONE]),
            S => Action::Diag1([ONE, IM]),
            Sdg => Action::Diag1([ONE, -IM]),
            T => Action::Diag1([ONE, cis(PI / 4.0)]),
            Tdg => Action::Diag1([ONE, cis(-PI / 4.0)]),
            SX => Action::Mat1([[c(0.5, 0.5), c(0.5, -0.5)], [c(0.5, -0.5), c(0.5, 0.5)]]),
            SXdg => Action::Mat1([[c(0.5, -0.5), c(0.5, 0.5)], [c(0.5, 0.5), c(0.5, -0.5)]]),
            RX => Action::Mat1(rx(a[0])),
            RY => Action::Mat1(ry(a[0])),
            RZ => Action::Diag1([cis(-a[0] / 2.0), cis(a[0] / 2.0)]),
            P => Action::Diag1([ONE, cis(a[0])]),
            U2 => Action::Mat1(u3(FRAC_PI_2, a[0], a[1])),
            U3 => Action::Mat1(u3(a[0], a[1], a[2])),
            CNOT => Action::Cx,
            CY => Action::Ctrl1([[ZERO, -IM], [IM, ZERO]]),
            CZ => Action::Diag2([ONE, ONE, ONE, -ONE]),
            CH => Action::Ctrl1([[h, h], [h, -h]]),
            SWAP => Action::Swap,
            CRX => Action::Ctrl1(rx(a[0])),
            CRY => Action::Ctrl1(ry(a[0])),
            CRZ => Action::Ctrl1(rz(a[0])),
            CPhase => Action::Diag2([ONE, ONE, ONE, cis(a[0])]),
            RXX | RYY => Action::Mat2(pauli_rot2(&pauli2(self), a[0], false)),
            RZZ => {
                let (m, p) = (cis(-a[0] / 2.0), cis(a[0] / 2.0));
                Action::Diag2([m, p, p, m])
            }
            Toffoli => Action::Ccx,
            CSWAP => Action::Cswap,
            Unitary1(m) => Action::Mat1(**m),
            Unitary2(m) => Action::Mat2(**m),
        }
    }

    /// `∂U/∂angles[slot]` as an action (not unitary).
    pub(crate) fn d_action(&self, a: &[f64], slot: usize) -> Action {
        use Gate::*;
        match self {
            RX => Action::Mat1(d_rx(a[0])),
            RY => Action::Mat1(d_ry(a[0])),
            RZ => Action::Mat1(d_rz(a[0])),
            P => Action::Diag1([ZERO, IM * cis(a[0])]),
            U2 => Action::Mat1(d_u3(FRAC_PI_2, a[0], a[1], slot + 1)),
            U3 => Action::Mat1(d_u3(a[0], a[1], a[2], slot)),
            CRX => Action::CtrlOnly1(d_rx(a[0])),
            CRY => Action::CtrlOnly1(d_ry(a[0])),
            CRZ => Action::CtrlOnly1(d_rz(a[0])),
            CPhase => Action::Diag2([ZERO, ZERO, ZERO, IM * cis(a[0])]),
            RXX | RYY | RZZ => Action::Mat2(pauli_rot2(&pauli2(self), a[0], true)),
            // Gates without angles have no derivative; callers only ask for slot < num_angles.
            _ => Action::Mat1([[ZERO; 2]; 2]),
        }
    }

    /// The generator of `angles[slot]` when it enters as `exp(−iθG)` on the left of the gate
    /// (every one-angle gate, and φ of U2/U3 since `U3 = e^{iλ/2} P(φ) RY(θ) RZ(λ)`).
    pub(crate) fn generator(&self, slot: usize) -> Option<Generator> {
        use Gate::*;
        let g = |coeff, x, z, ctrl| Some(Generator { coeff, x, z, ctrl });
        match (self, slot) {
            (RX, _) => g(0.5, 1, 0, 0),
            (RY, _) => g(0.5, 1, 1, 0),
            (RZ, _) => g(0.5, 0, 1, 0),
            (RXX, _) => g(0.5, 3, 0, 0),
            (RYY, _) => g(0.5, 3, 3, 0),
            (RZZ, _) => g(0.5, 0, 3, 0),
            (CRX, _) => g(0.5, 2, 0, 1),
            (CRY, _) => g(0.5, 2, 2, 1),
            (CRZ, _) => g(0.5, 0, 2, 1),
            // diag(1, e^{iθ}) = exp(−iθ·(−|1><1|)).
            (P, _) | (U2, 0) | (U3, 1) => g(-1.0, 0, 0, 1),
            (CPhase, _) => g(-1.0, 0, 0, 3),
            _ => None,
        }
    }

    /// The parameter-shift rule for `angles[slot]` (derivations in the module docs).
    pub(crate) fn shift_rule(&self, _slot: usize) -> ShiftRule {
        match self {
            Gate::CRX | Gate::CRY | Gate::CRZ => FOUR_TERM,
            _ => TWO_TERM,
        }
    }

    /// The gate's matrix in its local basis (`Σ_j bit(qubits[j]) 2^j`), row-major
    /// `2^k × 2^k`. For tests and for users who want to inspect a gate.
    ///
    /// # Panics
    /// If `angles.len() != self.num_angles()`.
    pub fn matrix(&self, angles: &[f64]) -> Vec<Vec<C64>> {
        assert_eq!(
            angles.len(),
            self.num_angles(),
            "gate `{}` takes {} angle(s)",
            self.name(),
            self.num_angles()
        );
        self.action(angles).dense(self.num_qubits())
    }
}

fn dagger2(m: &Mat2) -> Mat2 {
    [[m[0][0].conj(), m[1][0].conj()], [m[0][1].conj(), m[1][1].conj()]]
}

/// `a · b` for 2x2 matrices.
pub(crate) fn mul2(a: &Mat2, b: &Mat2) -> Mat2 {
    let mut r = [[ZERO; 2]; 2];
    for i in 0..2 {
        for j in 0..2 {
            r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j];
        }
    }
    r
}

impl Action {
    /// Applies the action to `qubits` of `state`.
    pub(crate) fn apply(&self, state: &mut StateVector, q: &[usize]) {
        match self {
            Action::Identity => {}
            Action::Mat1(m) => state.apply_mat1(q[0], m),
            Action::Diag1(d) => state.apply_diag1(q[0], *d),
            Action::Ctrl1(m) => state.apply_controlled_mat1(q[0], q[1], m, false),
            Action::CtrlOnly1(m) => state.apply_controlled_mat1(q[0], q[1], m, true),
            Action::Mat2(m) => state.apply_mat2(q[0], q[1], m),
            Action::Diag2(d) => state.apply_diag2(q[0], q[1], *d),
            Action::Cx => state.apply_cx(q[0], q[1]),
            Action::Swap => state.apply_swap(q[0], q[1]),
            Action::Ccx => state.apply_ccx(q[0], q[1], q[2]),
            Action::Cswap => state.apply_cswap(q[0], q[1], q[2]),
        }
    }

    /// The conjugate transpose (the permutation gates are their own inverses).
    pub(crate) fn dagger(&self) -> Action {
        match self {
            Action::Mat1(m) => Action::Mat1(dagger2(m)),
            Action::Diag1(d) => Action::Diag1([d[0].conj(), d[1].conj()]),
            Action::Ctrl1(m) => Action::Ctrl1(dagger2(m)),
            Action::CtrlOnly1(m) => Action::CtrlOnly1(dagger2(m)),
            Action::Mat2(m) => {
                let mut r = [[ZERO; 4]; 4];
                for i in 0..4 {
                    for j in 0..4 {
                        r[i][j] = m[j][i].conj();
                    }
                }
                Action::Mat2(r)
            }
            Action::Diag2(d) => Action::Diag2([d[0].conj(), d[1].conj(), d[2].conj(), d[3].conj()]),
            other => other.clone(),
        }
    }

    /// The one-qubit matrix of a one-qubit action (for fusion), `None` otherwise.
    pub(crate) fn as_mat1(&self) -> Option<Mat2> {
        match self {
            Action::Mat1(m) => Some(*m),
            Action::Diag1(d) => Some([[d[0], ZERO], [ZERO, d[1]]]),
            Action::Identity => Some([[ONE, ZERO], [ZERO, ONE]]),
            _ => None,
        }
    }

    /// Dense matrix on `k` qubits in the local basis, built from the definition of each kernel
    /// (independent of the kernels themselves, so tests can compare the two).
    pub(crate) fn dense(&self, k: usize) -> Vec<Vec<C64>> {
        let dim = 1usize << k;
        let mut m = vec![vec![ZERO; dim]; dim];
        let perm = |m: &mut Vec<Vec<C64>>, f: &dyn Fn(usize) -> usize| {
            for j in 0..dim {
                m[f(j)][j] = ONE;
            }
        };
        match self {
            Action::Identity => perm(&mut m, &|j| j),
            Action::Mat1(a) => {
                for i in 0..2 {
                    for j in 0..2 {
                        m[i][j] = a[i][j];
                    }
                }
            }
            Action::Diag1(d) => {
                m[0][0] = d[0];
                m[1][1] = d[1];
            }
            Action::Ctrl1(a) | Action::CtrlOnly1(a) => {
                if matches!(self, Action::Ctrl1(_)) {
                    m[0][0] = ONE;
                    m[2][2] = ONE;
                }
                // Control is bit 0: act between |c=1,t=0> = 1 and |c=1,t=1> = 3.
                let idx = [1, 3];
                for i in 0..2 {
                    for j in 0..2 {
                        m[idx[i]][idx[j]] = a[i][j];
                    }
                }
            }
            Action::Mat2(a) => {
                for i in 0..4 {
                    for j in 0..4 {
                        m[i][j] = a[i][j];
                    }
                }
            }
            Action::Diag2(d) => {
                for i in 0..4 {
                    m[i][i] = d[i];
                }
            }
            Action::Cx => perm(&mut m, &|j| if j & 1 == 1 { j ^ 2 } else { j }),
            Action::Swap => perm(&mut m, &|j| ((j & 1) << 1) | ((j >> 1) & 1)),
            Action::Ccx => perm(&mut m, &|j| if j & 3 == 3 { j ^ 4 } else { j }),
            Action::Cswap => perm(&mut m, &|j| {
                if j & 1 == 1 && ((j >> 1) & 1) != ((j >> 2) & 1) {
                    j ^ 6
                } else {
                    j
                }
            }),
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type M = Vec<Vec<C64>>;

    fn matmul(a: &M, b: &M) -> M {
        let n = a.len();
        (0..n)
            .map(|i| (0..n).map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum()).collect())
            .collect()
    }
    fn eye(n: usize) -> M {
        (0..n)
            .map(|i| (0..n).map(|j| if i == j { ONE } else { ZERO }).collect())
            .collect()
    }
    fn scale(a: &M, s: C64) -> M {
        a.iter().map(|r| r.iter().map(|x| x * s).collect()).collect()
    }
    fn add(a: &M, b: &M) -> M {
        a.iter()
            .zip(b)
            .map(|(r, s)| r.iter().zip(s).map(|(x, y)| x + y).collect())
            .collect()
    }
    /// `exp(a)` by Taylor series (fine for the small norms used here).
    fn expm(a: &M) -> M {
        let mut term = eye(a.len());
        let mut sum = eye(a.len());
        for k in 1..60 {
            term = scale(&matmul(&term, a), c(1.0 / k as f64, 0.0));
            sum = add(&sum, &term);
        }
        sum
    }
    /// `a ⊗ b` with `b` on the LOW qubit (little-endian: index = bit(q0) + 2 bit(q1)).
    fn kron(hi: &M, lo: &M) -> M {
        let (n, m) = (hi.len(), lo.len());
        let mut r = vec![vec![ZERO; n * m]; n * m];
        for i in 0..n {
            for j in 0..n {
                for k in 0..m {
                    for l in 0..m {
                        r[i * m + k][j * m + l] = hi[i][j] * lo[k][l];
                    }
                }
            }
        }
        r
    }
    fn close(a: &M, b: &M, tol: f64) -> bool {
        a.iter()
            .zip(b)
            .all(|(r, s)| r.iter().zip(s).all(|(x, y)| (x - y).norm() <= tol))
    }
    /// Equal up to a global phase.
    fn close_up_to_phase(a: &M, b: &M) -> bool {
        let (i, j) = (0..a.len())
            .flat_map(|i| (0..a.len()).map(move |j| (i, j)))
            .max_by(|x, y| a[x.0][x.1].norm().total_cmp(&a[y.0][y.1].norm()))
            .unwrap();
        let ph = b[i][j] / a[i][j];
        close(&scale(a, ph), b, 1e-12)
    }
    fn pauli(p: char) -> M {
        match p {
            'X' => vec![vec![ZERO, ONE], vec![ONE, ZERO]],
            'Y' => vec![vec![ZERO, -IM], vec![IM, ZERO]],
            'Z' => vec![vec![ONE, ZERO], vec![ZERO, -ONE]],
            _ => eye(2),
        }
    }
    fn proj1() -> M {
        vec![vec![ZERO, ZERO], vec![ZERO, ONE]]
    }
    fn proj0() -> M {
        vec![vec![ONE, ZERO], vec![ZERO, ZERO]]
    }
    /// `|0><0|_c ⊗ I + |1><1|_c ⊗ u` with the control on the low qubit.
    fn controlled(u: &M) -> M {
        add(&kron(&eye(2), &proj0()), &kron(u, &proj1()))
    }

    /// Every gate against its textbook definition via the matrix exponential.
    #[test]
    fn gate_matrices_match_definitions() {
        let t = 0.731;
        let rot = |p: char, t: f64| expm(&scale(&pauli(p), c(0.0, -t / 2.0)));
        assert!(close(&Gate::RX.matrix(&[t]), &rot('X', t), 1e-12));
        assert!(close(&Gate::RY.matrix(&[t]), &rot('Y', t), 1e-12));
        assert!(close(&Gate::RZ.matrix(&[t]), &rot('Z', t), 1e-12));
        for (g, p) in [(Gate::RXX, 'X'), (Gate::RYY, 'Y'), (Gate::RZZ, 'Z')] {
            let want = expm(&scale(&kron(&pauli(p), &pauli(p)), c(0.0, -t / 2.0)));
            assert!(close(&g.matrix(&[t]), &want, 1e-12), "{g:?}");
        }
        for (g, p) in [(Gate::CRX, 'X'), (Gate::CRY, 'Y'), (Gate::CRZ, 'Z')] {
            assert!(close(&g.matrix(&[t]), &controlled(&rot(p, t)), 1e-12), "{g:?}");
        }
        let h = Gate::H.matrix(&[]);
        let xz = scale(&add(&pauli('X'), &pauli('Z')), c(FRAC_1_SQRT_2, 0.0));
        assert!(close(&h, &xz, 1e-15));
        assert!(close(&Gate::X.matrix(&[]), &pauli('X'), 0.0));
        assert!(close(&Gate::Y.matrix(&[]), &pauli('Y'), 0.0));
        assert!(close(&Gate::Z.matrix(&[]), &pauli('Z'), 0.0));
        let s = Gate::S.matrix(&[]);
        assert!(close(&matmul(&s, &s), &pauli('Z'), 1e-15));
        let tm = Gate::T.matrix(&[]);
        assert!(close(&matmul(&tm, &tm), &s, 1e-15));
        assert!(close(&matmul(&s, &Gate::Sdg.matrix(&[])), &eye(2), 1e-15));
        assert!(close(&matmul(&tm, &Gate::Tdg.matrix(&[])), &eye(2), 1e-15));
        let sx = Gate::SX.matrix(&[]);
        assert!(close(&matmul(&sx, &sx), &pauli('X'), 1e-15));
        assert!(close(&matmul(&sx, &Gate::SXdg.matrix(&[])), &eye(2), 1e-15));
        // SX = e^{iπ/4} RX(π/2) (Qiskit).
        assert!(close(&sx, &scale(&rot('X', FRAC_PI_2), cis(PI / 4.0)), 1e-12));
        // P(λ) = e^{iλ/2} RZ(λ); U3 = e^{i(φ+λ)/2} RZ(φ) RY(θ) RZ(λ); U2 = U3(π/2, φ, λ).
        let (th, ph, la) = (0.3, -1.1, 2.2);
        assert!(close(
            &Gate::P.matrix(&[la]),
            &scale(&rot('Z', la), cis(la / 2.0)),
            1e-12
        ));
        let zyz = matmul(&rot('Z', ph), &matmul(&rot('Y', th), &rot('Z', la)));
        assert!(close(
            &Gate::U3.matrix(&[th, ph, la]),
            &scale(&zyz, cis((ph + la) / 2.0)),
            1e-12
        ));
        assert!(close(
            &Gate::U2.matrix(&[ph, la]),
            &Gate::U3.matrix(&[FRAC_PI_2, ph, la]),
            0.0
        ));
        // H = U2(0, π) exactly; P(π) = Z.
        assert!(close(&Gate::U2.matrix(&[0.0, PI]), &h, 1e-12));
        // Controlled gates (control = first qubit = low bit).
        assert!(close(&Gate::CNOT.matrix(&[]), &controlled(&pauli('X')), 0.0));
        assert!(close(&Gate::CY.matrix(&[]), &controlled(&pauli('Y')), 0.0));
        assert!(close(&Gate::CZ.matrix(&[]), &controlled(&pauli('Z')), 0.0));
        assert!(close(&Gate::CH.matrix(&[]), &controlled(&h), 0.0));
        let pm = Gate::P.matrix(&[la]);
        assert!(close(&Gate::CPhase.matrix(&[la]), &controlled(&pm), 1e-15));
        // SWAP = (I + XX + YY + ZZ)/2.
        let mut sw = eye(4);
        for p in ['X', 'Y', 'Z'] {
            sw = add(&sw, &kron(&pauli(p), &pauli(p)));
        }
        assert!(close(&Gate::SWAP.matrix(&[]), &scale(&sw, c(0.5, 0.0)), 1e-15));
        // Toffoli: controls on bits 0 and 1; CSWAP: control bit 0 swaps bits 1 and 2.
        let tof = Gate::Toffoli.matrix(&[]);
        let p11 = kron(&proj1(), &proj1());
        let not11 = add(&eye(4), &scale(&p11, -ONE));
        let want = add(&kron(&eye(2), &not11), &kron(&pauli('X'), &p11));
        assert!(close(&tof, &want, 0.0));
        let cs = Gate::CSWAP.matrix(&[]);
        let want = add(&kron(&eye(4), &proj0()), &kron(&Gate::SWAP.matrix(&[]), &proj1()));
        assert!(close(&cs, &want, 0.0));
        // Every matrix is unitary.
        let ang = [0.4, -0.9, 1.7];
        for g in all_gates() {
            let m = g.matrix(&ang[..g.num_angles()]);
            let md: M = (0..m.len())
                .map(|i| (0..m.len()).map(|j| m[j][i].conj()).collect())
                .collect();
            assert!(close(&matmul(&md, &m), &eye(m.len()), 1e-12), "{g:?}");
        }
        assert!(close_up_to_phase(&Gate::U2.matrix(&[0.0, PI]), &h));
    }

    pub(crate) fn all_gates() -> Vec<Gate> {
        use Gate::*;
        vec![
            I, H, X, Y, Z, S, Sdg, T, Tdg, SX, SXdg, RX, RY, RZ, P, U2, U3, CNOT, CY, CZ, CH, SWAP, CRX, CRY,
            CRZ, CPhase, RXX, RYY, RZZ, Toffoli, CSWAP,
        ]
    }

    /// Derivative matrices against central differences of the gate matrices.
    #[test]
    fn derivative_matrices_match_finite_differences() {
        let ang = [0.4, -0.9, 1.7];
        let h = 1e-6;
        for g in all_gates() {
            let k = g.num_angles();
            for slot in 0..k {
                let mut p = ang[..k].to_vec();
                let mut m = ang[..k].to_vec();
                p[slot] += h;
                m[slot] -= h;
                let fd = scale(&add(&g.matrix(&p), &scale(&g.matrix(&m), -ONE)), c(0.5 / h, 0.0));
                let d = g.d_action(&ang[..k], slot).dense(g.num_qubits());
                assert!(close(&d, &fd, 1e-8), "{g:?} slot {slot}");
            }
        }
    }

    /// `dU/dθ = −i G U` for every gate with a generator.
    #[test]
    fn generators_match_derivatives() {
        let ang = [0.4, -0.9, 1.7];
        let pauli1 = |x: bool, z: bool| -> M {
            match (x, z) {
                (false, false) => eye(2),
                (true, false) => pauli('X'),
                (true, true) => pauli('Y'),
                (false, true) => pauli('Z'),
            }
        };
        for g in all_gates() {
            let k = g.num_qubits();
            for slot in 0..g.num_angles() {
                let Some(gen) = g.generator(slot) else {
                    continue;
                };
                // G in the local basis: Kronecker product, qubit j on bit j, times the projector.
                let mut gm = eye(1);
                for j in 0..k {
                    let f = pauli1((gen.x >> j) & 1 == 1, (gen.z >> j) & 1 == 1);
                    let f = if (gen.ctrl >> j) & 1 == 1 {
                        matmul(&f, &proj1())
                    } else {
                        f
                    };
                    gm = kron(&f, &gm);
                }
                let want = matmul(&scale(&gm, c(0.0, -gen.coeff)), &g.matrix(&ang[..g.num_angles()]));
                let d = g.d_action(&ang[..g.num_angles()], slot).dense(k);
                assert!(close(&d, &want, 1e-12), "{g:?} slot {slot}");
            }
        }
        assert!(Gate::U3.generator(0).is_none() && Gate::U3.generator(2).is_none());
    }

    /// Each kernel applied to a random 4-qubit state equals the dense matrix embedded on the
    /// chosen (unsorted) qubits.
    #[test]
    fn kernels_apply_the_dense_matrix() {
        let n = 4;
        let amps: Vec<C64> = (0..16)
            .map(|i| c((i as f64 * 0.37).sin(), (i as f64 * 1.3).cos()))
            .collect();
        let ang = [0.4, -0.9, 1.7];
        for g in all_gates() {
            let k = g.num_qubits();
            let qsets: &[&[usize]] = match k {
                1 => &[&[0], &[2], &[3]],
                2 => &[&[0, 1], &[3, 1], &[2, 0]],
                _ => &[&[0, 1, 2], &[3, 0, 2], &[1, 3, 0]],
            };
            let act = g.action(&ang[..g.num_angles()]);
            for acts in [act.clone(), act.dagger(), g.d_action(&ang[..g.num_angles()], 0)] {
                let dense = acts.dense(k);
                for qs in qsets {
                    let mut s = StateVector::from_amplitudes(amps.clone()).unwrap();
                    acts.apply(&mut s, qs);
                    let local = |i: usize| {
                        qs.iter()
                            .enumerate()
                            .map(|(j, &q)| ((i >> q) & 1) << j)
                            .sum::<usize>()
                    };
                    let mask: usize = qs.iter().map(|&q| 1 << q).sum();
                    for i in 0..1usize << n {
                        let mut want = ZERO;
                        for src in 0..1usize << n {
                            if src & !mask == i & !mask {
                                want += dense[local(i)][local(src)] * amps[src];
                            }
                        }
                        assert!((s.amplitudes()[i] - want).norm() < 1e-12, "{g:?} {qs:?}");
                    }
                }
            }
        }
    }
}
