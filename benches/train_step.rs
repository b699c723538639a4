//! One full training step (forward, loss, gradient, SGD update with lr 0.01) for three MLPs
//! defined once in the DSL, stepped with the compile-time derived gradient and with dfdx's
//! run-time tape on the same model, side by side in one process. Medians after warm-up.
//!
//! `cargo bench --bench train_step` prints one line per model:
//! `train_step <name> shapegrad_us=<median> dfdx_tape_us=<median> speedup=<tape/shapegrad> gflops=<derived>`
//! and one line per macro expansion size: `compile <name> ops=<n> expand_ms=<median>`.

use std::time::Instant;

use shapegrad::__private::dfdx::tensor::Cache as _;
use shapegrad::params::sgd_step_on_device;
use shapegrad::prelude::*;

shapegrad::model! {
    pub struct Small {
        dims { B: batch, H = 32 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = glorot, b2: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(tanh(x @ w1 + b1) @ w2 + b2, y) }
    }
    pub struct Mlp {
        dims { B: batch }
        params { w1: [784, 256] = glorot, b1: [256] = zeros, w2: [256, 128] = glorot, b2: [128] = zeros, w3: [128, 10] = glorot, b3: [10] = zeros }
        fn loss(x: [B, 784], y: [B, 10]) -> [] {
            let h = tanh(x @ w1 + b1);
            let h = tanh(h @ w2 + b2);
            mse(h @ w3 + b3, y)
        }
    }
    pub struct Wide {
        dims { B: batch }
        params { w1: [1024, 1024] = glorot, b1: [1024] = zeros, w2: [1024, 1024] = glorot, b2: [1024] = zeros }
        fn loss(x: [B, 1024], y: [B, 1024]) -> [] { mse(tanh(x @ w1 + b1) @ w2 + b2, y) }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `f` `reps` times after `warm` warm-up calls, interleaving with nothing else.
fn time_us(warm: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..warm {
        f();
    }
    median(
        (0..reps)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect(),
    )
}

#[allow(clippy::type_complexity)]
fn data<const I: usize, const O: usize>(
    dev: &Cpu,
    b: usize,
) -> (
    Tensor<(usize, Const<I>), f32, Cpu>,
    Tensor<(usize, Const<O>), f32, Cpu>,
) {
    let x: Vec<f32> = (0..b * I)
        .map(|i| ((i * 7919 % 1000) as f32 / 1000.0) - 0.5)
        .collect();
    let y: Vec<f32> = (0..b * O)
        .map(|i| ((i * 104_729 % 1000) as f32 / 1000.0) - 0.5)
        .collect();
    (
        dev.tensor_from_vec(x, (b, Const)),
        dev.tensor_from_vec(y, (b, Const)),
    )
}

macro_rules! bench_model {
    ($name:expr, $Model:ident, $i:expr, $o:expr, $b:expr, $flops:expr, $warm:expr, $reps:expr) => {{
        if selected($name) {
            let dev = Cpu::default();
            if std::env::var_os("SHAPEGRAD_BENCH_CACHE").is_some() {
                dev.enable_cache();
            }
            let (x, y) = data::<$i, $o>(&dev, $b);
            let mut derived: $Model<f32, Cpu> = $Model::new(&dev, 1);
            let mut taped: $Model<f32, Cpu> = $Model::new(&dev, 1);
            // Interleave the two so machine noise hits both alike.
            let mut sd = Vec::new();
            let mut st = Vec::new();
            for round in 0..5 {
                sd.push(time_us(if round == 0 { $warm } else { 1 }, $reps, || {
                    let (_, g) = derived.loss_and_grad(&x, &y).unwrap();
                    sgd_step_on_device(&mut derived, &g, 0.01).unwrap();
                }));
                st.push(time_us(if round == 0 { $warm } else { 1 }, $reps, || {
                    let (_, g, _) = taped.loss_tape(&x, &y).unwrap();
                    sgd_step_on_device(&mut taped, &g, 0.01).unwrap();
                }));
            }
            let (d, t) = (median(sd), median(st));
            let gflops = $flops / (d * 1e-6) / 1e9;
            println!(
                "train_step {} shapegrad_us={d:.1} dfdx_tape_us={t:.1} speedup={:.2} gflops={gflops:.1}",
                $name,
                t / d
            );
        }
    }};
}

/// Whether the command line (`cargo bench --bench train_step -- FILTER…`) selects `name`.
fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

/// Macro expansion time of a model with `n` chained ops.
fn expansion(n: usize) {
    let mut body = String::from("let h = x;");
    for i in 0..n / 4 {
        body.push_str(&format!("let h = tanh(h @ w{} + b) * 0.5;", i % 4));
    }
    let src = format!(
        "struct Gen {{ dims {{ B: batch }} params {{ w0: [8, 8] = glorot, w1: [8, 8] = glorot, w2: [8, 8] = glorot, w3: [8, 8] = glorot, b: [8] = zeros }}
           fn loss(x: [B, 8]) -> [] {{ {body} mean(square(h)) }} }}"
    );
    let ts: proc_macro2::TokenStream = src.parse().unwrap();
    let ms = median(
        (0..7)
            .map(|_| {
                let t = Instant::now();
                let out = shapegrad_compiler::expand(ts.clone());
                std::hint::black_box(out);
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    println!("compile chain_{n} ops={n} expand_ms={ms:.2}");
}

fn main() {
    // FLOPs of one step: forward GEMMs 2·B·in·out each, backward twice that.
    let f = |b: f64, dims: &[f64]| dims.windows(2).map(|w| 6.0 * b * w[0] * w[1]).sum::<f64>();
    bench_model!(
        "small_2x32x1_b32",
        Small,
        2,
        1,
        32,
        f(32.0, &[2.0, 32.0, 1.0]),
        200,
        400
    );
    bench_model!(
        "mlp_784x256x128x10_b64",
        Mlp,
        784,
        10,
        64,
        f(64.0, &[784.0, 256.0, 128.0, 10.0]),
        10,
        30
    );
    bench_model!(
        "wide_1024x1024x1024_b256",
        Wide,
        1024,
        1024,
        256,
        f(256.0, &[1024.0, 1024.0, 1024.0]),
        2,
        5
    );
    if selected("compile") {
        expansion(20);
        expansion(200);
    }
}
