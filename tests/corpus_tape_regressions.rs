//! Regressions found by the gradient corpus.
//!
//! **The `_tape` oracle panicked when one value was both operands of an op** (fixed: the emitter
//! now gives a repeated operand its own id on the tape with a recorded identity). For
//! `let h = x * w; sum(h * h)` the generated `loss_tape` passes the same traced tensor as both
//! operands of `*`, and dfdx's tape asserts that a binary op's operands have different ids
//! (`dfdx-0.13.0/src/tensor/gradients.rs:139`, `assertion left != right failed`). The derived
//! gradient (`loss_and_grad`) is right — the corpus checks it against finite differences. The
//! same happens for `u @ u`, `a @ a`, and `reshape(m, …) @ reshape(m, …)` (a reshape keeps the
//! id). The emitter already makes taped `permute`s contiguous for the same reason; a fix would
//! copy (e.g. `.contiguous()` or `* 1`) the second operand on the tape when both operands are
//! the same node.
//!

use shapegrad::prelude::*;

shapegrad::model! {
    struct SameOperand {
        dims { B: batch }
        params { w: [2] = ones, u: [2] = ones }
        fn square_by_mul(x: [B, 2]) -> [] { let h = x * w; sum(h * h) }
        fn dot_with_itself(x: [B, 2]) -> [] { sum(x * w) * (u @ u) }
    }
}

fn x() -> Tensor<(usize, Const<2>), f32, Cpu> {
    Cpu::default().tensor_from_vec(vec![0.5, -1.0, 2.0, 0.25], (2usize, Const::<2>))
}

#[test]
fn derived_gradient_of_h_times_h_is_right() {
    let m: SameOperand<f32, Cpu> = SameOperand::new(&Cpu::default(), 0);
    let (l, g, (gx,)) = m.square_by_mul_and_grad_inputs(&x()).unwrap();
    // L = Σ (x w)², w = 1: L = Σ x², ∂L/∂w_j = Σ_b 2 x_bj², ∂L/∂x = 2x.
    assert!((l - (0.25 + 1.0 + 4.0 + 0.0625)).abs() < 1e-6);
    assert_eq!(g.w.as_vec(), vec![2.0 * (0.25 + 4.0), 2.0 * (1.0 + 0.0625)]);
    assert_eq!(gx.as_vec(), vec![1.0, -2.0, 4.0, 0.5]);
}

#[test]
fn tape_oracle_with_h_times_h_matches_the_derived_gradient() {
    let m: SameOperand<f32, Cpu> = SameOperand::new(&Cpu::default(), 0);
    let (l, g, (gx,)) = m.square_by_mul_tape(&x()).unwrap();
    let (ld, gd, (gxd,)) = m.square_by_mul_and_grad_inputs(&x()).unwrap();
    assert_eq!(l, ld);
    assert_eq!(g.w.as_vec(), gd.w.as_vec());
    assert_eq!(gx.as_vec(), gxd.as_vec());
}

#[test]
fn tape_oracle_with_u_matmul_u_matches_the_derived_gradient() {
    let m: SameOperand<f32, Cpu> = SameOperand::new(&Cpu::default(), 0);
    let (_, g, _) = m.dot_with_itself_tape(&x()).unwrap();
    let (_, gd) = m.dot_with_itself_and_grad(&x()).unwrap();
    assert_eq!(g.u.as_vec(), gd.u.as_vec());
    assert_eq!(g.w.as_vec(), gd.w.as_vec());
}
