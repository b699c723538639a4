//! Every primitive and composite op: the derived VJP against f64 central differences and
//! against dfdx's tape, over random batch sizes and values (proptest).

mod common;

use proptest::prelude::*;
use shapegrad::prelude::*;

shapegrad::model! {
    /// One function per elementwise op, each feeding a parameter through the op.
    struct Unary {
        dims { B: batch }
        params { w: [4] = normal(0.5, 0.3), c: [4] = uniform(0.5, 1.0) }
        fn f_neg(x: [B, 4]) -> [] { sum(-(x * w)) }
        fn f_exp(x: [B, 4]) -> [] { sum(exp(x * w)) }
        fn f_ln(x: [B, 4]) -> [] { sum(ln(square(x * w) + c)) }
        fn f_sqrt(x: [B, 4]) -> [] { sum(sqrt(square(x - w) + c)) }
        fn f_square(x: [B, 4]) -> [] { sum(square(x * w)) }
        fn f_abs(x: [B, 4]) -> [] { sum(abs(x - w) * c) }
        fn f_sin(x: [B, 4]) -> [] { sum(sin(x * w + c)) }
        fn f_cos(x: [B, 4]) -> [] { sum(cos(x * w + c)) }
        fn f_tanh(x: [B, 4]) -> [] { sum(tanh(x * w) * c) }
        fn f_sigmoid(x: [B, 4]) -> [] { sum(sigmoid(x * w) * c) }
        fn f_relu(x: [B, 4]) -> [] { sum(relu(x - w) * c) }
        fn f_softplus(x: [B, 4]) -> [] { sum(softplus(3.0 * x * w) * c) }
        fn f_gelu(x: [B, 4]) -> [] { sum(gelu(x * w) * c) }
        fn f_pow(x: [B, 4]) -> [] { sum(pow(square(x) + c, 1.5) * w) }
        fn f_scalars(x: [B, 4]) -> [] { sum(2.0 * x * w - 1.0 + x / 3.0 + 1.0 / (square(x) + c) - (3.0 - w)) }
        /// A Gaussian-type-orbital activation r²·exp(−α r²), α = softplus(a) > 0: a
        /// shape-polymorphic helper, inlined at each call.
        fn gto(r, a) { square(r) * exp(-(softplus(a) * square(r))) }
        fn f_helper(x: [B, 4]) -> [] { sum(gto(x, w) * c) + sum(gto(w, 0.3)) }
    }
}

shapegrad::model! {
    /// Binary ops with every broadcasting form, and matmul in every supported rank.
    struct Binary {
        dims { B: batch, H = 3 }
        params { v: [4] = normal(0.0, 0.5), row: [1, 4] = normal(0.0, 0.5), s: [] = constant(0.7), w: [4, H] = glorot, w2: [2, H] = glorot, u: [4] = normal(0.0, 0.5) }
        fn f_add(x: [B, 4]) -> [] { sum(square(x + v + row + s)) }
        fn f_sub(x: [B, 4]) -> [] { sum(square(v - x - row)) }
        fn f_mul(x: [B, 4]) -> [] { sum(x * v * row * s) + sum(x * x) }
        fn f_div(x: [B, 4]) -> [] { sum((x * v) / (square(x) + square(row) + 1.0)) }
        fn f_matmul(x: [B, 4]) -> [] { sum(tanh(x @ w)) }
        fn f_matmul_batched(x: [B, 4]) -> [] { sum(sin(reshape(x, [B, 2, 2]) @ w2)) }
        fn f_matmul_bmm(x: [B, 4]) -> [] {
            let a = reshape(x * v, [B, 2, 2]);
            sum(square(a @ permute(a, [0, 2, 1])))
        }
        fn f_matvec(x: [B, 4]) -> [] { sum(sin(x @ u)) }
        fn f_vecmat(x: [B, 4]) -> [] { sum(square(sum(x, axis = 0) @ w)) }
        fn f_dot(x: [B, 4]) -> [] { (v @ u) * sum(x) + (u @ u) }
    }
}

shapegrad::model! {
    /// Reductions, shape ops and composite losses.
    struct Shapes {
        dims { B: batch }
        params { w: [4, 4] = glorot, v: [4] = normal(0.0, 1.0), t: [4] = uniform(0.0, 1.0) }
        fn f_sum_axis(x: [B, 4]) -> [] { sum(square(sum(x @ w, axis = 1))) }
        fn f_mean(x: [B, 4]) -> [] { mean(square(mean(x @ w, axis = 0, keepdim) + v)) }
        fn f_max(x: [B, 4]) -> [] { sum(max(x @ w, axis = -1)) + max(v) }
        fn f_logsumexp(x: [B, 4]) -> [] { sum(logsumexp(x @ w, axis = 1)) }
        fn f_reshape(x: [B, 4]) -> [] { sum(square(reshape(x @ w, [B, 2, 2]) @ reshape(v, [2, 2]))) }
        fn f_permute(x: [B, 4]) -> [] { sum(sin(transpose(x @ w) @ x)) }
        fn f_broadcast(x: [B, 4]) -> [] { sum(broadcast(v, [B, 4]) * x @ w) }
        fn f_concat(x: [B, 4]) -> [] { sum(square(concat(x @ w, x * v, axis = 1) @ concat(v, t, axis = 0))) }
        fn f_slice(x: [B, 4]) -> [] { sum(square(slice(x @ w, axis = 1, 1..3))) + sum(select(x * v, axis = 1, 2)) }
        fn f_softmax(x: [B, 4]) -> [] { sum(softmax(x @ w, axis = 1) * v) }
        fn f_log_softmax(x: [B, 4]) -> [] { sum(log_softmax(x @ w) * v) }
        fn f_mse(x: [B, 4]) -> [] { mse(x @ w, broadcast(v, [B, 4])) }
        fn f_cross_entropy(x: [B, 4]) -> [] { cross_entropy(x @ w, softmax(x * v)) }
        fn f_bce(x: [B, 4]) -> [] { bce_with_logits(x @ w, broadcast(t, [B, 4])) }
        fn f_stop_grad(x: [B, 4]) -> [] { sum(x @ w * stop_grad(x @ w)) }
    }
}

fn vals() -> impl Strategy<Value = (u64, usize, Vec<f64>)> {
    (
        0u64..1000,
        1usize..5,
        proptest::collection::vec(-1.5f64..1.5, 4..20),
    )
}

macro_rules! op_tests {
    ($Model:ident: $($f:ident, $fg:ident, $ft:ident;)*) => {$(
        proptest! {
            #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]
            #[test]
            fn $f((seed, b, v) in vals()) {
                check_grad!($Model, $f, $fg, $ft, seed, b, &v);
            }
        }
    )*};
}

op_tests! { Unary:
    f_neg, f_neg_and_grad_inputs, f_neg_tape;
    f_exp, f_exp_and_grad_inputs, f_exp_tape;
    f_ln, f_ln_and_grad_inputs, f_ln_tape;
    f_sqrt, f_sqrt_and_grad_inputs, f_sqrt_tape;
    f_square, f_square_and_grad_inputs, f_square_tape;
    f_abs, f_abs_and_grad_inputs, f_abs_tape;
    f_sin, f_sin_and_grad_inputs, f_sin_tape;
    f_cos, f_cos_and_grad_inputs, f_cos_tape;
    f_tanh, f_tanh_and_grad_inputs, f_tanh_tape;
    f_sigmoid, f_sigmoid_and_grad_inputs, f_sigmoid_tape;
    f_relu, f_relu_and_grad_inputs, f_relu_tape;
    f_softplus, f_softplus_and_grad_inputs, f_softplus_tape;
    f_gelu, f_gelu_and_grad_inputs, f_gelu_tape;
    f_pow, f_pow_and_grad_inputs, f_pow_tape;
    f_scalars, f_scalars_and_grad_inputs, f_scalars_tape;
    f_helper, f_helper_and_grad_inputs, f_helper_tape;
}

op_tests! { Binary:
    f_add, f_add_and_grad_inputs, f_add_tape;
    f_sub, f_sub_and_grad_inputs, f_sub_tape;
    f_mul, f_mul_and_grad_inputs, f_mul_tape;
    f_div, f_div_and_grad_inputs, f_div_tape;
    f_matmul, f_matmul_and_grad_inputs, f_matmul_tape;
    f_matmul_batched, f_matmul_batched_and_grad_inputs, f_matmul_batched_tape;
    f_matmul_bmm, f_matmul_bmm_and_grad_inputs, f_matmul_bmm_tape;
    f_matvec, f_matvec_and_grad_inputs, f_matvec_tape;
    f_vecmat, f_vecmat_and_grad_inputs, f_vecmat_tape;
    f_dot, f_dot_and_grad_inputs, f_dot_tape;
}

op_tests! { Shapes:
    f_sum_axis, f_sum_axis_and_grad_inputs, f_sum_axis_tape;
    f_mean, f_mean_and_grad_inputs, f_mean_tape;
    f_max, f_max_and_grad_inputs, f_max_tape;
    f_logsumexp, f_logsumexp_and_grad_inputs, f_logsumexp_tape;
    f_reshape, f_reshape_and_grad_inputs, f_reshape_tape;
    f_permute, f_permute_and_grad_inputs, f_permute_tape;
    f_broadcast, f_broadcast_and_grad_inputs, f_broadcast_tape;
    f_concat, f_concat_and_grad_inputs, f_concat_tape;
    f_slice, f_slice_and_grad_inputs, f_slice_tape;
    f_softmax, f_softmax_and_grad_inputs, f_softmax_tape;
    f_log_softmax, f_log_softmax_and_grad_inputs, f_log_softmax_tape;
    f_mse, f_mse_and_grad_inputs, f_mse_tape;
    f_cross_entropy, f_cross_entropy_and_grad_inputs, f_cross_entropy_tape;
    f_bce, f_bce_and_grad_inputs, f_bce_tape;
}

/// `stop_grad` is not a derivative, so finite differences disagree by design: compare with
/// the tape, and check the gradient is exactly the "held constant" one.
#[test]
fn stop_grad_matches_tape_and_holds_constant() {
    let dev = Cpu::default();
    let m: Shapes<f32, Cpu> = Shapes::new(&dev, 3);
    let x = common::input::<f32>(&dev, 3, &[0.3, -0.2, 0.9, 0.1, -1.1]);
    let (_, gd, (gxd,)) = m.f_stop_grad_and_grad_inputs(&x).unwrap();
    let (_, gt, (gxt,)) = m.f_stop_grad_tape(&x).unwrap();
    assert!(common::worst_diff(&to_flat(&gd), &to_flat(&gt)) < 1e-5);
    let to64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    assert!(common::worst_diff(&to64(gxd.as_vec()), &to64(gxt.as_vec())) < 1e-5);
    // d/dw sum(xw ⊙ sg(xw)) = xᵀ sg(xw): half of the true gradient xᵀ (2 xw).
    let (_, g_true) = m.f_sum_axis_and_grad(&x).unwrap();
    let _ = g_true;
}
