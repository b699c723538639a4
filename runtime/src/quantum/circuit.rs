//! Parameterized circuits: gates whose angles are expressions of trainable weights and encoded
//! inputs, templates for common layers, and execution with gate fusion.
//!
//! Every gate angle is an [`Angle`] expression. Most are affine (`0.5·w3 + 0.1`, `x0`), but the
//! OpenQASM importer substitutes call-site angles into user gate bodies such as
//! `u1((lambda+phi)/2)`, which may be any arithmetic; keeping a small expression tree lets every
//! gradient method apply the chain rule exactly, summing over every gate that shares a
//! parameter. Gradients are first taken per *angle slot* (one per gate angle, in gate order) and
//! then pulled back through the expressions to the inputs and weights.

use super::gates::{mul2, Action, Gate};
use super::{Mat2, Mat4, StateVector, C64};
use crate::{Error, Result};
use std::ops::{Add, Div, Mul, Neg, Sub};

/// A function allowed in angle expressions (the OpenQASM 2 set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Sqrt,
}

/// A gate angle as an expression of the circuit's parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Angle {
    /// A fixed number (not differentiated).
    Const(f64),
    /// Trainable weight `i`.
    Weight(usize),
    /// Encoded input feature `i` (angle encoding).
    Input(usize),
    Neg(Box<Angle>),
    Add(Box<Angle>, Box<Angle>),
    Sub(Box<Angle>, Box<Angle>),
    Mul(Box<Angle>, Box<Angle>),
    Div(Box<Angle>, Box<Angle>),
    Pow(Box<Angle>, Box<Angle>),
    Call(Func, Box<Angle>),
}

impl Angle {
    /// Trainable weight `i`.
    pub fn weight(i: usize) -> Angle {
        Angle::Weight(i)
    }
    /// Input feature `i`.
    pub fn input(i: usize) -> Angle {
        Angle::Input(i)
    }
    /// `coeff · self + offset`, the usual way to share a parameter between gates.
    pub fn affine(self, coeff: f64, offset: f64) -> Angle {
        self * coeff + offset
    }

    /// The value for these inputs and weights. An index out of range reads as NaN (the circuit
    /// checks lengths before it evaluates, so this only shows when called directly).
    pub fn eval(&self, inputs: &[f64], weights: &[f64]) -> f64 {
        use Angle::*;
        match self {
            Const(v) => *v,
            Weight(i) => weights.get(*i).copied().unwrap_or(f64::NAN),
            Input(i) => inputs.get(*i).copied().unwrap_or(f64::NAN),
            Neg(a) => -a.eval(inputs, weights),
            Add(a, b) => a.eval(inputs, weights) + b.eval(inputs, weights),
            Sub(a, b) => a.eval(inputs, weights) - b.eval(inputs, weights),
            Mul(a, b) => a.eval(inputs, weights) * b.eval(inputs, weights),
            Div(a, b) => a.eval(inputs, weights) / b.eval(inputs, weights),
            Pow(a, b) => a.eval(inputs, weights).powf(b.eval(inputs, weights)),
            Call(f, a) => {
                let x = a.eval(inputs, weights);
                match f {
                    Func::Sin => x.sin(),
                    Func::Cos => x.cos(),
                    Func::Tan => x.tan(),
                    Func::Exp => x.exp(),
                    Func::Ln => x.ln(),
                    Func::Sqrt => x.sqrt(),
                }
            }
        }
    }

    /// Whether the expression depends on any input or weight.
    pub fn is_constant(&self) -> bool {
        use Angle::*;
        match self {
            Const(_) => true,
            Weight(_) | Input(_) => false,
            Neg(a) | Call(_, a) => a.is_constant(),
            Add(a, b) | Sub(a, b) | Mul(a, b) | Div(a, b) | Pow(a, b) => a.is_constant() && b.is_constant(),
        }
    }

    /// Adds `seed · ∂self/∂p` to `grad_inputs`/`grad_weights` (reverse mode over the tree).
    pub fn backprop(
        &self,
        inputs: &[f64],
        weights: &[f64],
        seed: f64,
        grad_inputs: &mut [f64],
        grad_weights: &mut [f64],
    ) {
        use Angle::*;
        let ev = |a: &Angle| a.eval(inputs, weights);
        let mut go = |a: &Angle, s: f64| a.backprop(inputs, weights, s, grad_inputs, grad_weights);
        match self {
            Const(_) => {}
            // Out-of-range indices are ignored; via a circuit they cannot occur.
            Weight(i) => {
                if let Some(g) = grad_weights.get_mut(*i) {
                    *g += seed;
                }
            }
            Input(i) => {
                if let Some(g) = grad_inputs.get_mut(*i) {
                    *g += seed;
                }
            }
            Neg(a) => go(a, -seed),
            Add(a, b) => {
                go(a, seed);
                go(b, seed);
            }
            Sub(a, b) => {
                go(a, seed);
                go(b, -seed);
            }
            Mul(a, b) => {
                let (x, y) = (ev(a), ev(b));
                go(a, seed * y);
                go(b, seed * x);
            }
            Div(a, b) => {
                let (x, y) = (ev(a), ev(b));
                go(a, seed / y);
                go(b, -seed * x / (y * y));
            }
            Pow(a, b) => {
                let (x, y) = (ev(a), ev(b));
                if !a.is_constant() {
                    go(a, seed * y * x.powf(y - 1.0));
                }
                if !b.is_constant() {
                    go(b, seed * x.powf(y) * x.ln());
                }
            }
            Call(f, a) => {
                let x = ev(a);
                let d = match f {
                    Func::Sin => x.cos(),
                    Func::Cos => -x.sin(),
                    Func::Tan => 1.0 / (x.cos() * x.cos()),
                    Func::Exp => x.exp(),
                    Func::Ln => 1.0 / x,
                    Func::Sqrt => 0.5 / x.sqrt(),
                };
                go(a, seed * d);
            }
        }
    }

    /// `(1 + largest input index, 1 + largest weight index)` used, 0 where none.
    fn param_extent(&self) -> (usize, usize) {
        use Angle::*;
        match self {
            Const(_) => (0, 0),
            Weight(i) => (0, i + 1),
            Input(i) => (i + 1, 0),
            Neg(a) | Call(_, a) => a.param_extent(),
            Add(a, b) | Sub(a, b) | Mul(a, b) | Div(a, b) | Pow(a, b) => {
                let (x, y) = (a.param_extent(), b.param_extent());
                (x.0.max(y.0), x.1.max(y.1))
            }
        }
    }
}

impl From<f64> for Angle {
    fn from(v: f64) -> Angle {
        Angle::Const(v)
    }
}

macro_rules! angle_binop {
    ($tr:ident, $m:ident, $var:ident) => {
        impl $tr<Angle> for Angle {
            type Output = Angle;
            fn $m(self, rhs: Angle) -> Angle {
                Angle::$var(Box::new(self), Box::new(rhs))
            }
        }
        impl $tr<f64> for Angle {
            type Output = Angle;
            fn $m(self, rhs: f64) -> Angle {
                Angle::$var(Box::new(self), Box::new(Angle::Const(rhs)))
            }
        }
        impl $tr<Angle> for f64 {
            type Output = Angle;
            fn $m(self, rhs: Angle) -> Angle {
                Angle::$var(Box::new(Angle::Const(self)), Box::new(rhs))
            }
        }
    };
}
angle_binop!(Add, add, Add);
angle_binop!(Sub, sub, Sub);
angle_binop!(Mul, mul, Mul);
angle_binop!(Div, div, Div);

impl Neg for Angle {
    type Output = Angle;
    fn neg(self) -> Angle {
        Angle::Neg(Box::new(self))
    }
}

/// One gate application.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub gate: Gate,
    /// Control(s) first, as [`Gate`] documents.
    pub qubits: Vec<usize>,
    pub angles: Vec<Angle>,
}

/// The rotation axis of an embedding or entangler template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    X,
    Y,
    Z,
}

impl Rotation {
    fn gate(self) -> Gate {
        match self {
            Rotation::X => Gate::RX,
            Rotation::Y => Gate::RY,
            Rotation::Z => Gate::RZ,
        }
    }
}

/// A parameterized circuit on `n` qubits, starting from `|0…0>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Circuit {
    n: usize,
    ops: Vec<Op>,
    /// First angle slot of each op; `slot_start[ops.len()]` is the total.
    slot_start: Vec<usize>,
    num_inputs: usize,
    num_weights: usize,
}

impl Circuit {
    /// An empty circuit on `n` qubits (1..=30).
    pub fn new(n: usize) -> Result<Circuit> {
        if n == 0 || n > StateVector::MAX_QUBITS {
            return Err(Error::Other(format!(
                "Circuit::new: {n} qubits, supported are 1..={}",
                StateVector::MAX_QUBITS
            )));
        }
        Ok(Circuit {
            n,
            ops: Vec::new(),
            slot_start: vec![0],
            num_inputs: 0,
            num_weights: 0,
        })
    }

    /// Number of qubits.
    pub fn num_qubits(&self) -> usize {
        self.n
    }
    /// Number of input features the angles read (1 + largest index used, or as reserved).
    pub fn num_inputs(&self) -> usize {
        self.num_inputs
    }
    /// Number of trainable weights (1 + largest index used, or as reserved).
    pub fn num_weights(&self) -> usize {
        self.num_weights
    }
    /// The gates in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }
    /// Total number of gate angles (slots).
    pub fn num_slots(&self) -> usize {
        self.slot_start[self.ops.len()]
    }

    /// Declares at least `num_inputs` inputs and `num_weights` weights, for parameters that no
    /// gate reads (their gradient is zero) or to fix a layer's width before adding gates.
    pub fn reserve_params(&mut self, num_inputs: usize, num_weights: usize) -> &mut Self {
        self.num_inputs = self.num_inputs.max(num_inputs);
        self.num_weights = self.num_weights.max(num_weights);
        self
    }

    /// Appends a gate after checking its qubit and angle counts and that the qubits are
    /// distinct and in range.
    pub fn add(&mut self, gate: Gate, qubits: &[usize], angles: Vec<Angle>) -> Result<&mut Self> {
        let name = gate.name();
        if qubits.len() != gate.num_qubits() {
            return Err(Error::Other(format!(
                "gate `{name}` acts on {} qubit(s), got {}",
                gate.num_qubits(),
                qubits.len()
            )));
        }
        if angles.len() != gate.num_angles() {
            return Err(Error::Other(format!(
                "gate `{name}` takes {} angle(s), got {}",
                gate.num_angles(),
                angles.len()
            )));
        }
        for (j, &q) in qubits.iter().enumerate() {
            if q >= self.n {
                return Err(Error::Other(format!(
                    "gate `{name}` on qubit {q}, but the circuit has {} qubits",
                    self.n
                )));
            }
            if qubits[..j].contains(&q) {
                return Err(Error::Other(format!("gate `{name}` names qubit {q} twice")));
            }
        }
        for a in &angles {
            let (i, w) = a.param_extent();
            self.num_inputs = self.num_inputs.max(i);
            self.num_weights = self.num_weights.max(w);
        }
        let next = self.num_slots() + angles.len();
        self.ops.push(Op {
            gate,
            qubits: qubits.to_vec(),
            angles,
        });
        self.slot_start.push(next);
        Ok(self)
    }

    /// Appends all gates of `other` (same qubit count), keeping its parameter indices.
    pub fn extend(&mut self, other: &Circuit) -> Result<&mut Self> {
        if other.n != self.n {
            return Err(Error::Other(format!(
                "Circuit::extend: {} qubits into {}",
                other.n, self.n
            )));
        }
        for op in &other.ops {
            self.add(op.gate.clone(), &op.qubits, op.angles.clone())?;
        }
        self.reserve_params(other.num_inputs, other.num_weights);
        Ok(self)
    }

    /// Checks input and weight lengths (a `Shape` error names the one at fault).
    pub(crate) fn check_params(&self, context: &str, inputs: &[f64], weights: &[f64]) -> Result<()> {
        if inputs.len() != self.num_inputs {
            return Err(Error::Shape {
                context: context.into(),
                tensor: "inputs".into(),
                expected: format!("[{}]", self.num_inputs),
                found: format!("[{}]", inputs.len()),
            });
        }
        if weights.len() != self.num_weights {
            return Err(Error::Shape {
                context: context.into(),
                tensor: "weights".into(),
                expected: format!("[{}]", self.num_weights),
                found: format!("[{}]", weights.len()),
            });
        }
        Ok(())
    }

    /// The value of every angle slot, in gate order.
    pub fn slot_values(&self, inputs: &[f64], weights: &[f64]) -> Result<Vec<f64>> {
        self.check_params("Circuit::slot_values", inputs, weights)?;
        Ok(self.slots_unchecked(inputs, weights))
    }

    pub(crate) fn slots_unchecked(&self, inputs: &[f64], weights: &[f64]) -> Vec<f64> {
        self.ops
            .iter()
            .flat_map(|op| op.angles.iter().map(|a| a.eval(inputs, weights)))
            .collect()
    }

    /// The angles of op `k` within a slot vector.
    pub(crate) fn op_slots<'a>(&self, k: usize, slots: &'a [f64]) -> &'a [f64] {
        &slots[self.slot_start[k]..self.slot_start[k + 1]]
    }
    pub(crate) fn slot_start(&self, k: usize) -> usize {
        self.slot_start[k]
    }

    /// Pulls per-slot derivatives back to inputs and weights through the angle expressions;
    /// a parameter shared by several gates sums their contributions.
    pub(crate) fn pull_back(&self, inputs: &[f64], weights: &[f64], d_slots: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let mut gi = vec![0.0; self.num_inputs];
        let mut gw = vec![0.0; self.num_weights];
        let mut s = 0;
        for op in &self.ops {
            for a in &op.angles {
                if d_slots[s] != 0.0 {
                    a.backprop(inputs, weights, d_slots[s], &mut gi, &mut gw);
                }
                s += 1;
            }
        }
        (gi, gw)
    }

    /// Runs the circuit from `|0…0>` and returns the final state.
    pub fn run(&self, inputs: &[f64], weights: &[f64]) -> Result<StateVector> {
        self.check_params("Circuit::run", inputs, weights)?;
        let slots = self.slots_unchecked(inputs, weights);
        let mut state = StateVector::zero(self.n)?;
        self.apply_slots(&mut state, &slots, true);
        Ok(state)
    }

    /// Applies all gates with the given slot values to `state`. With `fuse`, runs of one-qubit
    /// gates on the same qubit (not interrupted by a multi-qubit gate on that qubit) are
    /// multiplied into one 2x2 matrix first: one pass over the state instead of several, which
    /// is what pays for memory-bound states (layers of RZ·RY·RZ become one pass per qubit).
    pub(crate) fn apply_slots(&self, state: &mut StateVector, slots: &[f64], fuse: bool) {
        let mut pending: Vec<Option<Mat2>> = vec![None; if fuse { self.n } else { 0 }];
        for (k, op) in self.ops.iter().enumerate() {
            let action = op.gate.action(self.op_slots(k, slots));
            if matches!(action, Action::Identity) {
                continue;
            }
            if fuse {
                if let (1, Some(m)) = (op.qubits.len(), action.as_mat1()) {
                    let q = op.qubits[0];
                    pending[q] = Some(match &pending[q] {
                        Some(prev) => mul2(&m, prev),
                        None => m,
                    });
                    continue;
                }
                for &q in &op.qubits {
                    flush(state, q, &mut pending[q]);
                }
            }
            action.apply(state, &op.qubits);
        }
        for (q, p) in pending.iter_mut().enumerate() {
            flush(state, q, p);
        }
    }
}

impl Circuit {
    /// OpenQASM 2.0 text of the circuit with every angle evaluated at `(inputs, weights)`,
    /// readable by [`parse_qasm`](super::parse_qasm) and by other tools (qelib1 names; `ryy`,
    /// which qelib1 lacks, is defined in the file as Qiskit does). Numbers are written in full
    /// precision, so a round trip reproduces the state. Arbitrary unitaries have no OpenQASM 2
    /// form and are an error.
    pub fn to_qasm(&self, inputs: &[f64], weights: &[f64]) -> Result<String> {
        self.check_params("Circuit::to_qasm", inputs, weights)?;
        let mut out = String::from("OPENQASM 2.0;\ninclude \"qelib1.inc\";\n");
        if self.ops.iter().any(|o| o.gate == Gate::RYY) {
            out.push_str(
                "gate ryy(theta) a, b { rx(pi/2) a; rx(pi/2) b; cx a, b; rz(theta) b; cx a, b; \
                 rx(-pi/2) a; rx(-pi/2) b; }\n",
            );
        }
        out.push_str(&format!("qreg q[{}];\n", self.n));
        for op in &self.ops {
            if matches!(op.gate, Gate::Unitary1(_) | Gate::Unitary2(_)) {
                return Err(Error::Other(format!(
                    "Circuit::to_qasm: `{}` on {:?} has no OpenQASM 2.0 form",
                    op.gate.name(),
                    op.qubits
                )));
            }
            out.push_str(op.gate.name());
            if !op.angles.is_empty() {
                let mut vals = Vec::with_capacity(op.angles.len());
                for a in &op.angles {
                    let v = a.eval(inputs, weights);
                    if !v.is_finite() {
                        return Err(Error::NonFinite {
                            context: "Circuit::to_qasm".into(),
                            tensor: format!("angle of `{}`", op.gate.name()),
                            index: vals.len(),
                            value: v,
                        });
                    }
                    vals.push(format!("{v:?}"));
                }
                out.push_str(&format!("({})", vals.join(", ")));
            }
            let qs: Vec<String> = op.qubits.iter().map(|q| format!("q[{q}]")).collect();
            out.push_str(&format!(" {};\n", qs.join(", ")));
        }
        Ok(out)
    }
}

/// Applies a pending fused matrix, as a diagonal when it is one (half the arithmetic).
fn flush(state: &mut StateVector, q: usize, pending: &mut Option<Mat2>) {
    if let Some(m) = pending.take() {
        let zero = C64::new(0.0, 0.0);
        if m[0][1] == zero && m[1][0] == zero {
            state.apply_diag1(q, [m[0][0], m[1][1]]);
        } else {
            state.apply_mat1(q, &m);
        }
    }
}

/// Convenience builders, one per gate. Each validates like [`Circuit::add`].
impl Circuit {
    pub fn h(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::H, &[q], vec![])
    }
    pub fn x(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::X, &[q], vec![])
    }
    pub fn y(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::Y, &[q], vec![])
    }
    pub fn z(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::Z, &[q], vec![])
    }
    pub fn s(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::S, &[q], vec![])
    }
    pub fn sdg(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::Sdg, &[q], vec![])
    }
    pub fn t(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::T, &[q], vec![])
    }
    pub fn tdg(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::Tdg, &[q], vec![])
    }
    pub fn sx(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::SX, &[q], vec![])
    }
    pub fn sxdg(&mut self, q: usize) -> Result<&mut Self> {
        self.add(Gate::SXdg, &[q], vec![])
    }
    pub fn rx(&mut self, q: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::RX, &[q], vec![a.into()])
    }
    pub fn ry(&mut self, q: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::RY, &[q], vec![a.into()])
    }
    pub fn rz(&mut self, q: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::RZ, &[q], vec![a.into()])
    }
    /// Phase gate `diag(1, e^{iλ})` (= U1).
    pub fn p(&mut self, q: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::P, &[q], vec![a.into()])
    }
    pub fn u2(&mut self, q: usize, phi: impl Into<Angle>, lam: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::U2, &[q], vec![phi.into(), lam.into()])
    }
    pub fn u3(
        &mut self,
        q: usize,
        theta: impl Into<Angle>,
        phi: impl Into<Angle>,
        lam: impl Into<Angle>,
    ) -> Result<&mut Self> {
        self.add(Gate::U3, &[q], vec![theta.into(), phi.into(), lam.into()])
    }
    pub fn cnot(&mut self, control: usize, target: usize) -> Result<&mut Self> {
        self.add(Gate::CNOT, &[control, target], vec![])
    }
    pub fn cy(&mut self, control: usize, target: usize) -> Result<&mut Self> {
        self.add(Gate::CY, &[control, target], vec![])
    }
    pub fn cz(&mut self, control: usize, target: usize) -> Result<&mut Self> {
        self.add(Gate::CZ, &[control, target], vec![])
    }
    pub fn ch(&mut self, control: usize, target: usize) -> Result<&mut Self> {
        self.add(Gate::CH, &[control, target], vec![])
    }
    pub fn swap(&mut self, a: usize, b: usize) -> Result<&mut Self> {
        self.add(Gate::SWAP, &[a, b], vec![])
    }
    pub fn crx(&mut self, control: usize, target: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::CRX, &[control, target], vec![a.into()])
    }
    pub fn cry(&mut self, control: usize, target: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::CRY, &[control, target], vec![a.into()])
    }
    pub fn crz(&mut self, control: usize, target: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::CRZ, &[control, target], vec![a.into()])
    }
    pub fn cphase(&mut self, control: usize, target: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::CPhase, &[control, target], vec![a.into()])
    }
    pub fn rxx(&mut self, q0: usize, q1: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::RXX, &[q0, q1], vec![a.into()])
    }
    pub fn ryy(&mut self, q0: usize, q1: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::RYY, &[q0, q1], vec![a.into()])
    }
    pub fn rzz(&mut self, q0: usize, q1: usize, a: impl Into<Angle>) -> Result<&mut Self> {
        self.add(Gate::RZZ, &[q0, q1], vec![a.into()])
    }
    pub fn toffoli(&mut self, c0: usize, c1: usize, target: usize) -> Result<&mut Self> {
        self.add(Gate::Toffoli, &[c0, c1, target], vec![])
    }
    pub fn cswap(&mut self, control: usize, a: usize, b: usize) -> Result<&mut Self> {
        self.add(Gate::CSWAP, &[control, a, b], vec![])
    }
    /// An arbitrary one-qubit matrix.
    pub fn unitary1(&mut self, q: usize, m: Mat2) -> Result<&mut Self> {
        self.add(Gate::Unitary1(Box::new(m)), &[q], vec![])
    }
    /// An arbitrary two-qubit matrix, local index `bit(q0) + 2·bit(q1)`.
    pub fn unitary2(&mut self, q0: usize, q1: usize, m: Mat4) -> Result<&mut Self> {
        self.add(Gate::Unitary2(Box::new(m)), &[q0, q1], vec![])
    }
}

/// Templates (PennyLane's definitions), each reading a contiguous block of parameters.
impl Circuit {
    /// Angle embedding: `R(x[first_input + i])` on `wires[i]`.
    pub fn angle_embedding(
        &mut self,
        rotation: Rotation,
        wires: &[usize],
        first_input: usize,
    ) -> Result<&mut Self> {
        for (i, &w) in wires.iter().enumerate() {
            self.add(rotation.gate(), &[w], vec![Angle::Input(first_input + i)])?;
        }
        Ok(self)
    }

    /// Basic entangler layers: per layer, `R(w)` on every wire, then a ring of CNOTs
    /// (one CNOT for two wires, none for one). Weight `first_weight + l·n + i`.
    pub fn basic_entangler_layers(
        &mut self,
        rotation: Rotation,
        wires: &[usize],
        layers: usize,
        first_weight: usize,
    ) -> Result<&mut Self> {
        let n = wires.len();
        for l in 0..layers {
            for (i, &w) in wires.iter().enumerate() {
                self.add(
                    rotation.gate(),
                    &[w],
                    vec![Angle::Weight(first_weight + l * n + i)],
                )?;
            }
            match n {
                0 | 1 => {}
                2 => {
                    self.cnot(wires[0], wires[1])?;
                }
                _ => {
                    for i in 0..n {
                        self.cnot(wires[i], wires[(i + 1) % n])?;
                    }
                }
            }
        }
        Ok(self)
    }

    /// Strongly entangling layers: per layer `l`, `Rot(φ,θ,ω) = RZ(ω)·RY(θ)·RZ(φ)` on each wire
    /// `i` (weights `first_weight + 3(l·n + i) + {0,1,2}` = φ, θ, ω), then
    /// `CNOT(wires[i], wires[(i + r) mod n])` for every `i`, with range `r = ranges[l]`, by
    /// default `(l mod (n−1)) + 1`. Uses `3·layers·n` weights.
    pub fn strongly_entangling_layers(
        &mut self,
        wires: &[usize],
        layers: usize,
        ranges: Option<&[usize]>,
        first_weight: usize,
    ) -> Result<&mut Self> {
        let n = wires.len();
        if let Some(r) = ranges {
            if r.len() != layers {
                return Err(Error::Shape {
                    context: "Circuit::strongly_entangling_layers".into(),
                    tensor: "ranges".into(),
                    expected: format!("[{layers}]"),
                    found: format!("[{}]", r.len()),
                });
            }
        }
        for l in 0..layers {
            for (i, &w) in wires.iter().enumerate() {
                let base = first_weight + 3 * (l * n + i);
                self.rz(w, Angle::Weight(base))?;
                self.ry(w, Angle::Weight(base + 1))?;
                self.rz(w, Angle::Weight(base + 2))?;
            }
            if n > 1 {
                let r = ranges.map_or((l % (n - 1)) + 1, |r| r[l]);
                if r.is_multiple_of(n) {
                    return Err(Error::Other(format!(
                        "strongly_entangling_layers: range {r} maps every wire to itself on {n} wires"
                    )));
                }
                for i in 0..n {
                    self.cnot(wires[i], wires[(i + r) % n])?;
                }
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_validates() {
        let mut c = Circuit::new(3).unwrap();
        assert!(c.cnot(0, 0).is_err());
        assert!(c.h(3).is_err());
        assert!(c.add(Gate::RX, &[0], vec![]).is_err());
        assert!(c.add(Gate::CNOT, &[0], vec![]).is_err());
        c.rx(0, Angle::weight(4) * 0.5 + 0.1)
            .unwrap()
            .ry(1, Angle::input(1))
            .unwrap();
        assert_eq!((c.num_inputs(), c.num_weights(), c.num_slots()), (2, 5, 2));
        assert!(matches!(c.run(&[0.0], &[0.0; 5]), Err(Error::Shape { .. })));
        assert!(Circuit::new(0).is_err());
    }

    #[test]
    fn angle_backprop_matches_finite_differences() {
        let w = Angle::weight(0);
        let x = Angle::input(0);
        let e = Angle::Call(Func::Sin, Box::new(w.clone() * x.clone()))
            + Angle::Pow(Box::new(w.clone() + 2.0), Box::new(Angle::Const(1.5)))
            - (x.clone() / (w.clone() + 3.0))
            + Angle::Call(Func::Sqrt, Box::new(w.clone() * w.clone() + 1.0))
            + Angle::Call(Func::Ln, Box::new(x.clone() + 2.0))
            + -Angle::Call(Func::Exp, Box::new(x.clone() * 0.1))
            + Angle::Call(Func::Tan, Box::new(w.clone() * 0.2))
            + Angle::Call(Func::Cos, Box::new(x.clone()));
        let (wi, xi) = (0.7, -0.4);
        let (mut gi, mut gw) = (vec![0.0], vec![0.0]);
        e.backprop(&[xi], &[wi], 1.0, &mut gi, &mut gw);
        let h = 1e-6;
        let fw = (e.eval(&[xi], &[wi + h]) - e.eval(&[xi], &[wi - h])) / (2.0 * h);
        let fx = (e.eval(&[xi + h], &[wi]) - e.eval(&[xi - h], &[wi])) / (2.0 * h);
        assert!((gw[0] - fw).abs() < 1e-8, "{} {}", gw[0], fw);
        assert!((gi[0] - fx).abs() < 1e-8, "{} {}", gi[0], fx);
    }

    /// Fusion changes how many passes run, not the result.
    #[test]
    fn fused_equals_unfused() {
        let mut c = Circuit::new(4).unwrap();
        c.strongly_entangling_layers(&[0, 1, 2, 3], 2, None, 0).unwrap();
        c.h(1)
            .unwrap()
            .t(1)
            .unwrap()
            .s(2)
            .unwrap()
            .z(2)
            .unwrap()
            .crz(1, 2, 0.3)
            .unwrap();
        c.sx(0).unwrap().u3(0, 0.1, 0.2, 0.3).unwrap();
        let w: Vec<f64> = (0..c.num_weights()).map(|i| 0.1 * i as f64 - 0.7).collect();
        let slots = c.slot_values(&[], &w).unwrap();
        let mut a = StateVector::zero(4).unwrap();
        let mut b = a.clone();
        c.apply_slots(&mut a, &slots, true);
        c.apply_slots(&mut b, &slots, false);
        for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
            assert!((x - y).norm() < 1e-13);
        }
    }

    #[test]
    fn templates_have_pennylane_shapes() {
        let mut c = Circuit::new(4).unwrap();
        c.strongly_entangling_layers(&[0, 1, 2, 3], 3, None, 0).unwrap();
        assert_eq!(c.num_weights(), 36);
        // Layer 1 (range 2) entangles 0→2, 1→3, 2→0, 3→1.
        let cnots: Vec<_> = c
            .ops()
            .iter()
            .filter(|o| o.gate == Gate::CNOT)
            .map(|o| o.qubits.clone())
            .collect();
        assert_eq!(cnots[4..8], [vec![0, 2], vec![1, 3], vec![2, 0], vec![3, 1]]);
        let mut b = Circuit::new(2).unwrap();
        b.angle_embedding(Rotation::Y, &[0, 1], 0).unwrap();
        b.basic_entangler_layers(Rotation::X, &[0, 1], 2, 0).unwrap();
        assert_eq!((b.num_inputs(), b.num_weights(), b.ops().len()), (2, 4, 8));
    }
}
