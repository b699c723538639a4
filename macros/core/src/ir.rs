//! The IR: an SSA graph of primitive tensor ops. Node ids are topologically ordered (a node's
//! inputs always have smaller ids), so a forward sweep is a walk up the ids and the reverse
//! sweep of [`crate::diff`] a walk down. Derived gradients are new nodes of the same graph, which
//! is what makes differentiating twice (Hessian-vector products) possible.

use crate::shape::{Dim, Shape};
use proc_macro2::Span;
use std::rc::Rc;

pub type NodeId = usize;

/// Elementwise one-input ops. `Step` and `Sign` appear only in derived gradients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unary {
    Neg,
    Exp,
    Ln,
    Sqrt,
    Square,
    Abs,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    /// 1 where x > 0, else 0. Derivative zero.
    Step,
    /// -1, 0 or 1. Derivative zero.
    Sign,
}

/// Elementwise two-input ops on equal shapes (the lowering inserts broadcasts first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binary {
    Add,
    Sub,
    Mul,
    Div,
    /// `(y, g) ↦ g · (1 − y²)`: tanh's VJP from its output, one fused pass instead of four ops.
    /// Appears only in derived gradients.
    TanhVjp,
    /// `(y, g) ↦ g · y · (1 − y)`: sigmoid's VJP from its output. Only in derived gradients.
    SigmoidVjp,
}

/// A scalar known at compile time up to run-time dims: `c / (d1 * d2 * …)`. `mean` over a batch
/// divides by the batch size, which only the run time knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub c: f64,
    pub inv_dims: Vec<Dim>,
}

impl Scalar {
    pub fn lit(c: f64) -> Self {
        Scalar {
            c,
            inv_dims: Vec::new(),
        }
    }
    /// The product `self · other`.
    pub fn times(&self, other: &Scalar) -> Scalar {
        Scalar {
            c: self.c * other.c,
            inv_dims: self.inv_dims.iter().chain(&other.inv_dims).cloned().collect(),
        }
    }
}

/// A primitive op. Each has exactly one place (a file under [`crate::ops`]) holding its
/// forward emission and its VJP; shape rules for user-facing ops live there too.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The i-th function argument.
    Input(usize),
    /// The i-th parameter of the model.
    Param(usize),
    /// A constant tensor, every entry `c`.
    Fill(f64),
    Unary(Unary),
    /// `x * s`.
    Scale(Scalar),
    /// `x + c`.
    AddScalar(f64),
    /// `x ^ c`.
    PowScalar(f64),
    Binary(Binary),
    /// 1 where a == b, else 0. Derivative zero (the VJP of `max`).
    EqMask,
    /// Matrix product; ranks (1|2|3) @ (1|2|3) as dfdx supports them.
    MatMul,
    /// `op(a) @ op(b)` of two matrices, op = transpose where the flag says: the products of
    /// derived gradients (`g @ bᵀ`, `aᵀ @ g`) with the transposes folded into the kernel call
    /// instead of materialized. Only in derived gradients.
    MatMulT {
        ta: bool,
        tb: bool,
    },
    /// Sum over the given axes of the input (removed from the shape).
    Sum(Vec<usize>),
    /// Max over the given axes of the input (removed from the shape).
    Max(Vec<usize>),
    /// Inserts the given axes of the output shape; the only op that broadcasts, so its VJP (a
    /// sum) is the one place that un-broadcasts gradients.
    Broadcast(Vec<usize>),
    /// Same elements, the node's shape.
    Reshape,
    /// Output axis i is input axis `perm[i]`.
    Permute(Vec<usize>),
    /// Joins two inputs along `axis`; the first has `left` entries there.
    Concat {
        axis: usize,
        left: usize,
    },
    /// `start..end` along an axis.
    Slice {
        axis: usize,
        start: usize,
        end: usize,
    },
    /// Embeds the input at `start` along `axis` into zeros of the node's shape (slice's VJP).
    Pad {
        axis: usize,
        start: usize,
        len: usize,
    },
    /// Identity forward, zero gradient.
    StopGrad,
    /// The i-th custom op of the model (Rust forward, Rust VJP).
    Custom(usize),
    /// The custom op's VJP: inputs are the op's inputs, its output and the upstream gradient;
    /// the value is a tuple with one gradient per op input, of the shapes given.
    CustomVjp {
        op: usize,
        in_shapes: Vec<Shape>,
    },
    /// Element `k` of a tuple-valued node.
    Proj(usize),
    /// `scan`: runs the body over `axis` of input 0 (`xs`) from state input 1 (`h0`); the value
    /// is every state stacked, `[T, …h]`. Further inputs are the parameters the body reads.
    Scan(Rc<ScanBody>),
    /// The last entry along axis 0 (the final state of a scan; T is known at run time).
    Last,
    /// Embeds the input as the last entry along axis 0 of zeros of the node's shape.
    PadLast,
    /// Backpropagation through time: inputs `[xs, h0, states, g_states, params…]`, value the
    /// tuple `(g_xs, g_h0, g_params…)`.
    ScanVjp(Rc<ScanVjpBody>),
}

/// The body of a scan: a graph of `Input(0)` = state h, `Input(1)` = slice x_t, and the
/// model's parameters, whose node `out` is the next state.
#[derive(Debug)]
pub struct ScanBody {
    pub graph: Graph,
    pub out: NodeId,
    pub axis: usize,
    /// Global indices of the parameters the body reads (the scan node's inputs 2..).
    pub captured: Vec<usize>,
    pub h_shape: Shape,
    pub x_shape: Shape,
    pub xs_shape: Shape,
}

/// The body's VJP: the body graph plus `Input(2)` = the state's cotangent and the derived
/// gradient nodes `[g_h, g_x, g_params…]` (parameters in `captured` order).
#[derive(Debug)]
pub struct ScanVjpBody {
    pub scan: Rc<ScanBody>,
    pub graph: Graph,
    pub outputs: Vec<NodeId>,
    pub param_shapes: Vec<Shape>,
}

/// Scan bodies compare by identity: two scans are the same op only if they share a body.
impl PartialEq for ScanBody {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl PartialEq for ScanVjpBody {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// One SSA value.
#[derive(Debug, Clone)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<NodeId>,
    pub shape: Shape,
    /// Where the user wrote it (or what it was derived from).
    pub span: Span,
}

/// A function's graph: its inputs are `Op::Input` nodes, parameters `Op::Param` nodes.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub nodes: Vec<Node>,
}

impl Graph {
    pub fn push(&mut self, op: Op, inputs: Vec<NodeId>, shape: Shape, span: Span) -> NodeId {
        debug_assert!(inputs.iter().all(|&i| i < self.nodes.len()));
        self.nodes.push(Node {
            op,
            inputs,
            shape,
            span,
        });
        self.nodes.len() - 1
    }

    pub fn shape(&self, id: NodeId) -> &Shape {
        &self.nodes[id].shape
    }

    fn span(&self, id: NodeId) -> Span {
        self.nodes[id].span
    }

    // Builders used by VJP rules and composite ops. Their operands are already shape-checked,
    // so they compute output shapes without reporting errors.

    pub fn unary(&mut self, u: Unary, x: NodeId) -> NodeId {
        let s = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::Unary(u), vec![x], s, sp)
    }
    pub fn binary(&mut self, b: Binary, x: NodeId, y: NodeId) -> NodeId {
        let s = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::Binary(b), vec![x, y], s, sp)
    }
    pub fn add(&mut self, x: NodeId, y: NodeId) -> NodeId {
        self.binary(Binary::Add, x, y)
    }
    pub fn sub(&mut self, x: NodeId, y: NodeId) -> NodeId {
        self.binary(Binary::Sub, x, y)
    }
    /// `x * y`; a constant operand (a fill, possibly scaled and broadcast, as derived seeds
    /// are) becomes a [`Op::Scale`] of the other, so `mean`'s and `mse`'s seeds cost no ops.
    pub fn mul(&mut self, x: NodeId, y: NodeId) -> NodeId {
        if let Some(c) = self.constant(y) {
            return self.scale(x, c);
        }
        if let Some(c) = self.constant(x) {
            return self.scale(y, c);
        }
        self.binary(Binary::Mul, x, y)
    }
    /// The value of `id` when every entry is one compile-time scalar: a fill, a scale of one,
    /// or a broadcast of one.
    fn constant(&self, id: NodeId) -> Option<Scalar> {
        let node = &self.nodes[id];
        match &node.op {
            Op::Fill(c) => Some(Scalar::lit(*c)),
            Op::Scale(s) => self.constant(node.inputs[0]).map(|c| c.times(s)),
            Op::Broadcast(_) => self.constant(node.inputs[0]),
            _ => None,
        }
    }
    pub fn div(&mut self, x: NodeId, y: NodeId) -> NodeId {
        self.binary(Binary::Div, x, y)
    }
    pub fn neg(&mut self, x: NodeId) -> NodeId {
        self.unary(Unary::Neg, x)
    }
    /// `x * s`; a scale of a scale is one scale, a literal fill is scaled at compile time.
    pub fn scale(&mut self, x: NodeId, s: Scalar) -> NodeId {
        match &self.nodes[x].op {
            Op::Scale(inner) => {
                let s = inner.times(&s);
                let x = self.nodes[x].inputs[0];
                return self.scale(x, s);
            }
            Op::Fill(c) if s.inv_dims.is_empty() => {
                let (c, shape, span) = (c * s.c, self.shape(x).clone(), self.span(x));
                return self.fill(shape, c, span);
            }
            _ => {}
        }
        let sh = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::Scale(s), vec![x], sh, sp)
    }
    pub fn scale_lit(&mut self, x: NodeId, c: f64) -> NodeId {
        self.scale(x, Scalar::lit(c))
    }
    pub fn add_scalar(&mut self, x: NodeId, c: f64) -> NodeId {
        let sh = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::AddScalar(c), vec![x], sh, sp)
    }
    pub fn pow_scalar(&mut self, x: NodeId, c: f64) -> NodeId {
        let sh = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::PowScalar(c), vec![x], sh, sp)
    }
    pub fn fill(&mut self, shape: Shape, c: f64, span: Span) -> NodeId {
        self.push(Op::Fill(c), vec![], shape, span)
    }
    pub fn stop_grad(&mut self, x: NodeId) -> NodeId {
        let sh = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::StopGrad, vec![x], sh, sp)
    }
    pub fn eq_mask(&mut self, x: NodeId, y: NodeId) -> NodeId {
        let sh = self.shape(x).clone();
        let sp = self.span(x);
        self.push(Op::EqMask, vec![x, y], sh, sp)
    }
    /// Sum over `axes` (sorted, unique).
    pub fn sum(&mut self, x: NodeId, axes: Vec<usize>) -> NodeId {
        if axes.is_empty() {
            return x;
        }
        let sh = self.shape(x).without_axes(&axes);
        let sp = self.span(x);
        self.push(Op::Sum(axes), vec![x], sh, sp)
    }
    pub fn max(&mut self, x: NodeId, axes: Vec<usize>) -> NodeId {
        if axes.is_empty() {
            return x;
        }
        let sh = self.shape(x).without_axes(&axes);
        let sp = self.span(x);
        self.push(Op::Max(axes), vec![x], sh, sp)
    }
    /// Broadcast `x` to `to`, inserting `axes` of `to`.
    pub fn broadcast(&mut self, x: NodeId, to: Shape, axes: Vec<usize>) -> NodeId {
        if axes.is_empty() {
            return x;
        }
        let sp = self.span(x);
        self.push(Op::Broadcast(axes), vec![x], to, sp)
    }
    pub fn reshape(&mut self, x: NodeId, to: Shape) -> NodeId {
        if *self.shape(x) == to {
            return x;
        }
        let sp = self.span(x);
        self.push(Op::Reshape, vec![x], to, sp)
    }
    pub fn permute(&mut self, x: NodeId, perm: Vec<usize>) -> NodeId {
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return x;
        }
        let s = self.shape(x);
        let out = Shape(perm.iter().map(|&p| s.0[p].clone()).collect());
        let sp = self.span(x);
        self.push(Op::Permute(perm), vec![x], out, sp)
    }
    /// Swaps the last two axes.
    pub fn transpose(&mut self, x: NodeId) -> NodeId {
        let r = self.shape(x).rank();
        let mut perm: Vec<usize> = (0..r).collect();
        if r >= 2 {
            perm.swap(r - 1, r - 2);
        }
        self.permute(x, perm)
    }
    pub fn matmul(&mut self, x: NodeId, y: NodeId) -> NodeId {
        let out = crate::ops::matmul::out_shape(self.shape(x), self.shape(y))
            .expect("matmul operands checked before building");
        let sp = self.span(x);
        self.push(Op::MatMul, vec![x, y], out, sp)
    }
    /// `op(x) @ op(y)` for matrices (see [`Op::MatMulT`]).
    pub fn matmul_t(&mut self, x: NodeId, y: NodeId, ta: bool, tb: bool) -> NodeId {
        let (sx, sy) = (self.shape(x), self.shape(y));
        let rows = sx.0[usize::from(ta)].clone();
        let cols = sy.0[usize::from(!tb)].clone();
        let sp = self.span(x);
        self.push(Op::MatMulT { ta, tb }, vec![x, y], Shape(vec![rows, cols]), sp)
    }
    pub fn slice(&mut self, x: NodeId, axis: usize, start: usize, end: usize) -> NodeId {
        let mut sh = self.shape(x).clone();
        sh.0[axis] = Dim::lit(end - start);
        let sp = self.span(x);
        self.push(Op::Slice { axis, start, end }, vec![x], sh, sp)
    }
    pub fn pad(&mut self, x: NodeId, axis: usize, start: usize, to: Shape) -> NodeId {
        let sp = self.span(x);
        let len = self.shape(x).0[axis].as_lit().unwrap_or(0);
        self.push(Op::Pad { axis, start, len }, vec![x], to, sp)
    }
}
