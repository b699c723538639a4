//! A hand-written gradient corpus: DSL models that compose every op and construct the way real
//! models do (MLPs, residual blocks, layer-norm, attention with batched matmul, RBM free energy,
//! autoencoders, recurrent cells unrolled through calls, Fourier features, …). Each model's
//! `loss(x: [B, 4]) -> []` is checked: the derived gradient (parameters and input) against f64
//! central differences (≤ 1e-6) and against dfdx's tape in f32 (≤ 1e-5), via `tests/common`.
//!
//! Run with `--nocapture` to see each model's worst errors (`corpus <model> fd=… tape=…`).

mod common;

use shapegrad::prelude::*;

shapegrad::model! {
    /// Two-layer tanh MLP regressor (`#[grad]` asserts `loss` is scalar).
    struct Mlp2 {
        dims { B: batch, H = 8 }
        params { w1: [4, H] = glorot, b1: [H] = normal(0.0, 0.1), w2: [H, 1] = glorot, b2: [1] = constant(0.1) }
        fn forward(x: [B, 4]) -> [B, 1] { tanh(x @ w1 + b1) @ w2 + b2 }
        #[grad]
        fn loss(x: [B, 4]) -> [] { mean(square(forward(x) - 0.5)) }
    }

    /// Three layers with sigmoid, gelu and softplus activations.
    struct Mlp3 {
        dims { B: batch, H = 6 }
        params { w1: [4, H] = glorot, w2: [H, H] = glorot, w3: [H, 2] = glorot, b: [H] = normal(0.0, 0.2) }
        fn loss(x: [B, 4]) -> [] {
            let h = sigmoid(x @ w1 + b);
            let h = gelu(h @ w2 - b);
            sum(softplus(h @ w3))
        }
    }

    /// Two residual blocks sharing nothing: h + f(h).
    struct Residual {
        dims { B: batch, H = 5 }
        params { a1: [4, H] = glorot, a2: [H, 4] = glorot, c1: [4, H] = glorot, c2: [H, 4] = glorot, b: [H] = zeros }
        fn block1(h: [B, 4]) -> [B, 4] { h + tanh(h @ a1 + b) @ a2 }
        fn block2(h: [B, 4]) -> [B, 4] { h + relu(h @ c1 + 0.1) @ c2 }
        fn loss(x: [B, 4]) -> [] { mean(square(block2(block1(x)))) }
    }

    /// Layer normalisation written with mean and sqrt, then a linear read-out.
    struct LayerNorm {
        dims { B: batch }
        params { gamma: [4] = normal(1.0, 0.2), beta: [4] = normal(0.0, 0.2), w: [4, 2] = glorot }
        fn norm(x: [B, 4]) -> [B, 4] {
            let mu = mean(x, axis = 1, keepdim);
            let d = x - mu;
            let var = mean(square(d), axis = 1, keepdim);
            d / sqrt(var + 1e-3) * gamma + beta
        }
        fn loss(x: [B, 4]) -> [] { sum(sin(norm(x) @ w)) }
    }

    /// Single-head self-attention over 2 tokens of 2 features: softmax(QKᵀ/√d)V with batched
    /// matmuls and a permute.
    struct Attention {
        dims { B: batch, K = 3 }
        params { wq: [2, K] = glorot, wk: [2, K] = glorot, wv: [2, K] = glorot, wo: [K, 1] = glorot }
        fn loss(x: [B, 4]) -> [] {
            let t = reshape(x, [B, 2, 2]);
            let q = t @ wq;
            let k = t @ wk;
            let v = t @ wv;
            let a = softmax(q @ permute(k, [0, 2, 1]) * 0.5773502691896258, axis = 2);
            sum(square(a @ v @ wo))
        }
    }

    /// Softmax regression with cross-entropy against soft targets computed from the input.
    struct SoftmaxClassifier {
        dims { B: batch, C = 3 }
        params { w: [4, C] = glorot, b: [C] = normal(0.0, 0.3), u: [4, C] = normal(0.0, 0.5) }
        fn logits(x: [B, 4]) -> [B, C] { x @ w + b }
        fn loss(x: [B, 4]) -> [] { cross_entropy(logits(x), softmax(x @ u, axis = 1)) }
    }

    /// Logistic regression with the stable binary cross-entropy on logits.
    struct Logistic {
        dims { B: batch }
        params { w: [4, 1] = glorot, b: [1] = zeros, v: [4, 1] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] { bce_with_logits(x @ w + b, sigmoid(x @ v)) }
    }

    /// Restricted Boltzmann machine free energy: −x·a − Σⱼ softplus(xW + c)ⱼ.
    struct RbmFreeEnergy {
        dims { B: batch, H = 5 }
        params { w: [4, H] = normal(0.0, 0.5), a: [4] = normal(0.0, 0.1), c: [H] = normal(0.0, 0.1) }
        fn free_energy(x: [B, 4]) -> [B] { -(x @ a) - sum(softplus(x @ w + c), axis = 1) }
        fn loss(x: [B, 4]) -> [] { mean(free_energy(x)) }
    }

    /// Ising-like energy with couplings J and fields h: Σ (xJ)·x + x·h, squashed.
    struct IsingEnergy {
        dims { B: batch }
        params { j: [4, 4] = normal(0.0, 0.3), h: [4] = normal(0.0, 0.3) }
        fn energy(x: [B, 4]) -> [B] { sum((x @ j) * x, axis = 1) + x @ h }
        fn loss(x: [B, 4]) -> [] { logsumexp(-energy(tanh(x))) }
    }

    /// Gaussian-type orbital activations on radial distances.
    struct Gto {
        dims { B: batch, K = 3 }
        params { alpha: [K] = uniform(0.5, 1.5), coef: [K] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let r2 = sum(x * x, axis = 1, keepdim) + 0.1;
            let r = sqrt(r2);
            sum(r * exp(-(softplus(alpha) * r2)) * coef)
        }
    }

    /// Rotation-invariant network: only |p| of the first two coordinates enters.
    struct RadialNet {
        dims { B: batch, H = 6 }
        params { w1: [1, H] = normal(0.0, 1.0), b1: [H] = zeros, w2: [H, 1] = glorot }
        fn loss(x: [B, 4]) -> [] {
            let p = slice(x, axis = 1, 0..2);
            let r = sqrt(sum(p * p, axis = 1, keepdim) + 1e-2);
            mean(square(tanh(r @ w1 + b1) @ w2 - 1.0))
        }
    }

    /// Powers through every `pow` path (exponent 2, 1, fractional, negative).
    struct Powers {
        dims { B: batch }
        params { w: [4] = normal(0.5, 0.3), c: [4] = uniform(0.5, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            sum(pow(x * w, 2.0) + pow(x + c, 1.0) + pow(square(x) + c, 1.5) + pow(square(x * w) + c, -0.5))
        }
    }

    /// A rational function: division with broadcasting on both sides.
    struct Rational {
        dims { B: batch }
        params { w: [4, 2] = glorot, v: [4, 2] = glorot, s: [2] = uniform(0.5, 1.0) }
        fn loss(x: [B, 4]) -> [] { sum((x @ w) / (1.0 + square(x @ v)) / s + 1.0 / (s + square(x @ w))) }
    }

    /// Features joined with concat before a linear layer.
    struct ConcatFeatures {
        dims { B: batch, H = 3 }
        params { w: [8, H] = glorot, u: [H] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] { sum(tanh(concat(x, square(x), axis = 1) @ w) * u) }
    }

    /// Fourier features: sin and cos of a random projection, concatenated.
    struct Fourier {
        dims { B: batch, F = 3 }
        params { proj: [4, F] = normal(0.0, 1.0), w: [6, 1] = glorot }
        fn loss(x: [B, 4]) -> [] {
            let z = x @ proj;
            mean(square(concat(sin(z), cos(z), axis = 1) @ w))
        }
    }

    /// Slices and selects: a bilinear form between the two halves of the input.
    struct SliceSelect {
        dims { B: batch }
        params { m: [2, 2] = normal(0.0, 1.0), v: [4] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let a = slice(x, axis = 1, 0..2);
            let b = slice(x * v, axis = -1, 2..4);
            sum((a @ m) * b) + sum(square(select(x, axis = 1, 3) * select(v, axis = 0, 1)))
        }
    }

    /// Permutes of a rank-3 view, including one that moves the run-time dim.
    struct Permutes {
        dims { B: batch }
        params { w: [2, 2] = glorot, u: [2] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let t = reshape(x, [B, 2, 2]);
            let p = permute(t, [1, 2, 0]);
            let q = transpose(t) @ w;
            sum(square(sum(p, axis = 2) @ u)) + sum(sin(q))
        }
    }

    /// Explicit and implicit broadcasting: [B, 1] with [4], [1, 4] with [B, 4], a scalar param.
    struct Broadcasts {
        dims { B: batch }
        params { row: [1, 4] = normal(0.0, 1.0), v: [4] = normal(0.0, 1.0), s: [] = constant(0.7) }
        fn loss(x: [B, 4]) -> [] {
            let c = sum(x, axis = 1, keepdim);
            sum(square(c * v + row * x + s)) + sum(broadcast(v, [B, 4]) * x) * s + exp(s)
        }
    }

    /// Max reductions: a max-pool over pairs and a global max.
    struct MaxPool {
        dims { B: batch }
        params { w: [4, 4] = glorot, v: [2] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let h = reshape(x @ w, [B, 2, 2]);
            sum(max(h, axis = 2) * v) + max(x @ w)
        }
    }

    /// Means over several axes of a rank-3 tensor, with keepdim and negative axes.
    struct Means {
        dims { B: batch }
        params { w: [4, 4] = glorot, g: [2] = normal(1.0, 0.1) }
        fn loss(x: [B, 4]) -> [] {
            let t = reshape(x @ w, [B, 2, 2]);
            let m = mean(t, axes = [0, 2], keepdim);
            sum(square(t - m) * g) + sum(mean(t, axis = -1) @ g) * 0.1 + mean(square(t))
        }
    }

    /// Matrix–vector, vector–matrix and dot products.
    struct Products {
        dims { B: batch }
        params { m: [4, 3] = glorot, u: [4] = normal(0.0, 1.0), v: [3] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let a = tanh(x @ m) @ v;
            let b = u @ m;
            sum(square(a)) + sum(b * v) * (u @ u) + sum(x @ u)
        }
    }

    /// Batched matmul with a shared weight and a batch of Gram matrices.
    struct Batched {
        dims { B: batch }
        params { w: [2, 2] = glorot, v: [4] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let a = reshape(x * v, [B, 2, 2]);
            let g = a @ permute(a, [0, 2, 1]);
            sum(sin(g @ w)) + sum(square(a @ a))
        }
    }

    /// An autoencoder: encode, decode, reconstruction error (run-time dims unified through calls).
    struct Autoencoder {
        dims { B: batch, Z = 2 }
        params { we: [4, Z] = glorot, be: [Z] = zeros, wd: [Z, 4] = glorot, bd: [4] = zeros }
        fn encode(x: [B, 4]) -> [B, Z] { tanh(x @ we + be) }
        fn decode(z: [B, Z]) -> [B, 4] { z @ wd + bd }
        fn loss(x: [B, 4]) -> [] { mse(decode(encode(x)), x) }
    }

    /// A gated recurrent cell unrolled over the four inputs by calling it four times.
    struct GatedRnn {
        dims { B: batch, H = 3 }
        params { wx: [1, H] = glorot, wh: [H, H] = glorot, gx: [1, H] = glorot, gh: [H, H] = glorot, out: [H] = normal(0.0, 1.0) }
        fn cell(h: [B, H], x: [B, 1]) -> [B, H] {
            let z = sigmoid(x @ gx + h @ gh);
            z * h + (1.0 - z) * tanh(x @ wx + h @ wh)
        }
        fn loss(x: [B, 4]) -> [] {
            let h0 = tanh(slice(x, axis = 1, 0..1) @ wx);
            let h1 = cell(h0, slice(x, axis = 1, 1..2));
            let h2 = cell(h1, slice(x, axis = 1, 2..3));
            let h3 = cell(h2, slice(x, axis = 1, 3..4));
            mean(square(h3 @ out))
        }
    }

    /// A value used many times: gradients along every use are summed.
    struct SharedUse {
        dims { B: batch }
        params { w: [4, 4] = glorot }
        fn loss(x: [B, 4]) -> [] {
            let h = x @ w;
            sum(h * h * h) * 0.1 + sum(h @ w) + sum(exp(-square(h))) + 0.01 * sum(square(w))
        }
    }

    /// Absolute and Huber-like losses (kinks away from the sampled points).
    struct AbsLoss {
        dims { B: batch }
        params { w: [4, 2] = glorot }
        fn loss(x: [B, 4]) -> [] {
            let r = x @ w - 0.3;
            mean(abs(r)) + mean(sqrt(square(r) + 1.0) - 1.0)
        }
    }

    /// Manual sigmoid and log-sigmoid (`log` is `ln`) next to the built-ins inside one loss.
    struct ManualLogistic {
        dims { B: batch }
        params { w: [4] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let z = x * w;
            sum(1.0 / (1.0 + exp(-z)) * sigmoid(z)) + sum(log(sigmoid(z))) - sum(ln(1.0 + exp(z)) - softplus(z))
        }
    }

    /// Cosine similarity: rows normalised by their norm.
    struct Cosine {
        dims { B: batch }
        params { w: [4, 4] = glorot, t: [4] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let h = x @ w;
            let n = sqrt(sum(h * h, axis = 1, keepdim) + 1e-3);
            sum((h / n) @ t)
        }
    }

    /// Log-softmax and cross-entropy over the last axis of a rank-3 tensor.
    struct SequenceNll {
        dims { B: batch }
        params { w: [2, 2] = glorot, u: [2, 2] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let t = reshape(x, [B, 2, 2]);
            cross_entropy(t @ w, softmax(t @ u)) - mean(log_softmax(t @ u, axis = 1) * t)
        }
    }

    /// Trigonometric and exponential compositions (a periodic potential).
    struct Periodic {
        dims { B: batch }
        params { k: [4] = uniform(0.5, 1.5), a: [4] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] { sum(a * cos(k * x) * exp(-0.5 * square(x)) + sin(cos(x * a))) }
    }

    /// Weight-tied encoder/decoder: the same parameter in two roles (w and wᵀ).
    struct TiedWeights {
        dims { B: batch }
        params { w: [4, 2] = glorot, b: [2] = zeros }
        fn loss(x: [B, 4]) -> [] {
            let z = tanh(x @ w + b);
            mse(z @ transpose(w), x)
        }
    }

    /// Energy-based classifier: logsumexp over classes minus the energy of a soft target.
    struct EnergyClassifier {
        dims { B: batch, C = 3 }
        params { w: [4, C] = glorot }
        fn loss(x: [B, 4]) -> [] {
            let l = x @ w;
            mean(logsumexp(l, axis = 1) - sum(l * softmax(x @ w * 2.0), axis = 1))
        }
    }

    /// A named constant, literal-1 dims and a reshape through a flat vector.
    struct Reshapes {
        dims { B: batch, H = 2 }
        params { w: [4, H] = glorot, m: [1, 4] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] {
            let flat = reshape(m, [4]);
            let h = reshape(x * flat, [B, 2, 2]);
            sum(square(reshape(h, [B, 4]) @ w)) + sum(reshape(m, [2, 2]) @ reshape(m, [2, 2]))
        }
    }

    /// A multiplicative (bilinear) interaction layer and negation chains.
    struct Bilinear {
        dims { B: batch }
        params { p: [4, 3] = glorot, q: [4, 3] = glorot }
        fn loss(x: [B, 4]) -> [] { -sum(-(x @ p) * (x @ q)) - (-mean(-square(x @ p - x @ q))) }
    }

    /// Gradient of a stop-gradient target: the input branch is held constant (tape check only).
    struct StopGradTarget {
        dims { B: batch }
        params { w: [4, 4] = glorot }
        fn loss(x: [B, 4]) -> [] { mse(x @ w, stop_grad(tanh(x @ w))) }
    }
}

shapegrad::model! {
    /// A const-generic width: the model is `ConstWidth<N, E, D>`.
    struct ConstWidth {
        dims { B: batch, N: const }
        params { w: [4, N] = glorot, v: [N] = normal(0.0, 1.0) }
        fn loss(x: [B, 4]) -> [] { sum(tanh(x @ w) * v) }
    }
}

type ConstWidth5<E, D> = ConstWidth<5, E, D>;

const VALS: &[f64] = &[
    0.31, -0.72, 1.13, 0.05, -0.44, 0.87, -1.21, 0.66, 0.19, -0.93, 0.52,
];

/// Derived vs finite differences and vs tape; the tolerances of `tests/common`.
macro_rules! corpus {
    ($($name:ident: $Model:ident;)*) => {$(
        #[test]
        #[allow(non_snake_case)]
        fn $name() {
            let (fd, tape) = check_grad!($Model, loss, loss_and_grad_inputs, loss_tape, 7, 3, VALS);
            println!("corpus {} fd={fd:.2e} tape={tape:.2e}", stringify!($Model));
        }
    )*};
}

corpus! {
    mlp2: Mlp2;
    mlp3: Mlp3;
    residual: Residual;
    layer_norm: LayerNorm;
    attention: Attention;
    softmax_classifier: SoftmaxClassifier;
    logistic: Logistic;
    rbm_free_energy: RbmFreeEnergy;
    ising_energy: IsingEnergy;
    powers: Powers;
    rational: Rational;
    concat_features: ConcatFeatures;
    fourier: Fourier;
    slice_select: SliceSelect;
    permutes: Permutes;
    broadcasts: Broadcasts;
    max_pool: MaxPool;
    means: Means;
    autoencoder: Autoencoder;
    gated_rnn: GatedRnn;
    abs_loss: AbsLoss;
    manual_logistic: ManualLogistic;
    sequence_nll: SequenceNll;
    periodic: Periodic;
    tied_weights: TiedWeights;
    energy_classifier: EnergyClassifier;
    bilinear: Bilinear;
    const_width: ConstWidth5;
}

// Models using one value as both operands of an op (`h * h`, `u @ u`, `a @ a`): once the
// dfdx-tape oracle asserted on these; the emitter now gives the repeated operand its own id.
corpus! {
    batched: Batched;
    cosine: Cosine;
    gto: Gto;
    radial_net: RadialNet;
    products: Products;
    reshapes: Reshapes;
    shared_use: SharedUse;
}

/// `stop_grad` is not a derivative, so only the tape can judge it; finite differences must
/// disagree (the held-constant branch depends on the parameters).
#[test]
fn stop_grad_target() {
    let dev = Cpu::default();
    let m: StopGradTarget<f32, Cpu> = StopGradTarget::new(&dev, 7);
    let x = common::input::<f32>(&dev, 3, VALS);
    let (l_d, gd, (gxd,)) = m.loss_and_grad_inputs(&x).unwrap();
    let (l_t, gt, (gxt,)) = m.loss_tape(&x).unwrap();
    let to64 = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<_>>();
    let tape = common::rel_err(l_d as f64, l_t as f64)
        .max(common::worst_diff(&to_flat(&gd), &to_flat(&gt)))
        .max(common::worst_diff(&to64(gxd.as_vec()), &to64(gxt.as_vec())));
    println!("corpus StopGradTarget tape={tape:.2e}");
    assert!(tape <= 1e-5, "derived vs tape: {tape:e}");
    let m64: StopGradTarget<f64, Cpu> = StopGradTarget::new(&dev, 7);
    let x64 = common::input::<f64>(&dev, 3, VALS);
    let (_, gp, (gx,)) = m64.loss_and_grad_inputs(&x64).unwrap();
    let fd = common::fd_worst(&m64, &x64, |m, x| m.loss(x).unwrap(), &gp, &gx);
    assert!(
        fd > 1e-3,
        "stop_grad should make the gradient differ from the true one, got {fd:e}"
    );
}
