//! Known bugs found by the gradient corpus, kept as minimal reproducers.
//!
//! **The `_tape` oracle panics when one value is both operands of an op.** For
//! `let h = x * w; sum(h * h)` the generated `loss_tape` passes the same traced tensor as both
//! operands of `*`, and dfdx's tape asserts that a binary op's operands have different ids
//! (`dfdx-0.13.0/src/tensor/gradients.rs:139`, `assertion left != right failed`). The derived
//! gradient (`loss_and_grad`) is right — the corpus checks it against finite differences. The
//! same happens for `u @ u`, `a @ a`, and `reshape(m, …) @ reshape(m, …)` (a reshape keeps the
//! id). The emitter already makes taped `permute`s contiguous for the same reason; a fix would
//! copy (e.g. `.contiguous()` or `* 1`) the second operand on the tape when both operands are
//! the same node.
//!
//! These tests assert the panic, so they pass while the bug exists and **fail once it is
//! fixed**: then turn them into plain tests and move the models of `corpus_fd_only!` in
//! `tests/corpus_models.rs` back to the full check.

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
#[should_panic(expected = "left != right")]
fn known_bug_tape_oracle_with_h_times_h() {
    let m: SameOperand<f32, Cpu> = SameOperand::new(&Cpu::default(), 0);
    let _ = m.square_by_mul_tape(&x());
}

#[test]
#[should_panic(expected = "left != right")]
fn known_bug_tape_oracle_with_u_matmul_u() {
    let m: SameOperand<f32, Cpu> = SameOperand::new(&Cpu::default(), 0);
    let _ = m.dot_with_itself_tape(&x());
}
