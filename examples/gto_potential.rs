//! Gaussian-type-orbital activations for molecules: interatomic potentials from neurons
//! r^l·exp(−α r²) with trainable exponents α > 0, forces from the derived input gradients,
//! and molecular dynamics with the learned forces.
//!
//! Two systems with known analytic potentials:
//! - a Morse diatomic, V(r) = D[(1 − e^{−a(r − r_e)})² − 1];
//! - a 3-atom cluster: Morse pairs plus a three-body Gaussian repulsion
//!   κ·exp(−β(r₀₁² + r₀₂² + r₁₂²)).
//!
//! Each model sees atom positions, computes the interatomic distances inside the DSL, expands
//! each distance in s-, p- and d-like radial Gaussians (l = 0, 1, 2) whose exponents are
//! `softplus` of trainable parameters, and (for the cluster) adds products of one Gaussian per
//! bond as three-body terms. Trained on energies only; forces −∇ₓE come from the macro's input
//! gradients. Energy is exactly rotation-invariant and forces rotation-covariant, because only
//! distances enter; a velocity-Verlet run with the learned forces conserves the learned total
//! energy.
//!
//! `cargo run --release --example gto_potential` writes `results/gto_potential/`.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shapegrad::optim::{Adam, Cosine, Lbfgs, LbfgsConfig, ModelObjective};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;
use shapegrad::train::{TrainConfig, Trainer};
use shapegrad::{data, Model};

shapegrad::model! {
    /// A diatomic: positions [B, 6] = (x₀, y₀, z₀, x₁, y₁, z₁) per configuration.
    pub struct Diatomic {
        dims { B: batch, K = 8 }
        params {
            z0: [K] = uniform(-2.0, 2.0), z1: [K] = uniform(-2.0, 2.0), z2: [K] = uniform(-2.0, 2.0),
            c0: [K, 1] = normal(0.0, 0.1), c1: [K, 1] = normal(0.0, 0.1), c2: [K, 1] = normal(0.0, 0.1),
            e0: [1] = zeros
        }
        /// Pair energy from a squared distance: Σ_l Σ_k c_lk r^l exp(−α_lk r²), α = softplus(z).
        fn pair(r2: [B, 1]) -> [B, 1] {
            let r = sqrt(r2);
            let g0 = exp(-(r2 * softplus(z0)));
            let g1 = r * exp(-(r2 * softplus(z1)));
            let g2 = r2 * exp(-(r2 * softplus(z2)));
            g0 @ c0 + g1 @ c1 + g2 @ c2
        }
        fn energies(p: [B, 6]) -> [B, 1] {
            let d = slice(p, axis = 1, 3..6) - slice(p, axis = 1, 0..3);
            pair(sum(square(d), axis = 1, keepdim)) + e0
        }
        /// Total energy of all configurations: its input gradient is every configuration's −force.
        fn total(p: [B, 6]) -> [] { sum(energies(p)) }
        fn loss(p: [B, 6], e: [B, 1]) -> [] { mse(energies(p), e) }
    }

    /// A 3-atom cluster: positions [B, 9]; pair terms plus three-body Gaussian products.
    pub struct Trimer {
        dims { B: batch, K = 8, T = 4 }
        params {
            z0: [K] = uniform(-2.0, 2.0), z1: [K] = uniform(-2.0, 2.0), z2: [K] = uniform(-2.0, 2.0),
            c0: [K, 1] = normal(0.0, 0.1), c1: [K, 1] = normal(0.0, 0.1), c2: [K, 1] = normal(0.0, 0.1),
            z3: [T] = uniform(-3.0, 0.0), c3: [T, 1] = normal(0.0, 0.1),
            e0: [1] = zeros
        }
        fn pair(r2: [B, 1]) -> [B, 1] {
            let r = sqrt(r2);
            let g0 = exp(-(r2 * softplus(z0)));
            let g1 = r * exp(-(r2 * softplus(z1)));
            let g2 = r2 * exp(-(r2 * softplus(z2)));
            g0 @ c0 + g1 @ c1 + g2 @ c2
        }
        fn energies(p: [B, 9]) -> [B, 1] {
            let a0 = slice(p, axis = 1, 0..3);
            let a1 = slice(p, axis = 1, 3..6);
            let a2 = slice(p, axis = 1, 6..9);
            let r01 = sum(square(a1 - a0), axis = 1, keepdim);
            let r02 = sum(square(a2 - a0), axis = 1, keepdim);
            let r12 = sum(square(a2 - a1), axis = 1, keepdim);
            // Three-body: Π_bonds exp(−α r²) = exp(−α (r₀₁² + r₀₂² + r₁₂²)), one α per term.
            let three = exp(-((r01 + r02 + r12) * softplus(z3))) @ c3;
            pair(r01) + pair(r02) + pair(r12) + three + e0
        }
        fn total(p: [B, 9]) -> [] { sum(energies(p)) }
        fn loss(p: [B, 9], e: [B, 1]) -> [] { mse(energies(p), e) }
    }
}

/// Morse parameters (D, a, r_e) of the diatomic.
pub const MORSE: (f64, f64, f64) = (1.0, 1.5, 1.2);
/// Three-body strength κ and range β of the cluster potential.
pub const THREE_BODY: (f64, f64) = (0.6, 0.25);
/// Range of interatomic distances sampled for training.
pub const R_RANGE: (f64, f64) = (0.85, 3.0);

/// Morse energy and dV/dr.
pub fn morse(r: f64) -> (f64, f64) {
    let (d, a, re) = MORSE;
    let e = (-a * (r - re)).exp();
    (d * ((1.0 - e).powi(2) - 1.0), 2.0 * d * a * (1.0 - e) * e)
}

/// Analytic energy and forces of `n` atoms (positions flat, 3n): Morse pairs, plus the
/// three-body term when `three_body`.
pub fn analytic(p: &[f64], three_body: bool) -> (f64, Vec<f64>) {
    let n = p.len() / 3;
    let mut e = 0.0;
    let mut f = vec![0.0; p.len()];
    let mut s2 = 0.0;
    for i in 0..n {
        for j in i + 1..n {
            let d: Vec<f64> = (0..3).map(|k| p[3 * j + k] - p[3 * i + k]).collect();
            let r = d.iter().map(|v| v * v).sum::<f64>().sqrt();
            let (v, dv) = morse(r);
            e += v;
            s2 += r * r;
            for k in 0..3 {
                // F_j = −dV/dr · d/r, F_i = −F_j
                f[3 * j + k] -= dv * d[k] / r;
                f[3 * i + k] += dv * d[k] / r;
            }
        }
    }
    if three_body {
        let (kappa, beta) = THREE_BODY;
        let g = kappa * (-beta * s2).exp();
        e += g;
        // ∂/∂p_i of Σ r_ij² = Σ_j 2(p_i − p_j); F = −∂E.
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    for k in 0..3 {
                        f[3 * i + k] += g * beta * 2.0 * (p[3 * i + k] - p[3 * j + k]);
                    }
                }
            }
        }
    }
    (e, f)
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seed of data, initialisation and shuffles.
    pub seed: u64,
    /// Training configurations per system.
    pub train: usize,
    /// Test configurations per system.
    pub test: usize,
    /// Adam epochs.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Peak learning rate (cosine decay).
    pub lr: f64,
    /// Full-batch L-BFGS iterations after Adam.
    pub lbfgs_iters: usize,
    /// Velocity-Verlet steps and time step.
    pub md_steps: usize,
    /// Time step.
    pub dt: f64,
    /// Initial kinetic energy of the MD run.
    pub md_kinetic: f64,
}

impl Config {
    /// The example's configuration.
    pub fn full() -> Self {
        Self {
            seed: 2,
            train: 3000,
            test: 1000,
            epochs: 400,
            batch: 64,
            lr: 1e-2,
            lbfgs_iters: 1500,
            md_steps: 20_000,
            dt: 0.005,
            md_kinetic: 0.3,
        }
    }
    /// The test's configuration.
    pub fn reduced() -> Self {
        Self {
            train: 1000,
            test: 300,
            epochs: 150,
            lbfgs_iters: 400,
            md_steps: 3000,
            ..Self::full()
        }
    }
}

/// Errors of one fitted system on its test set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Errors {
    /// Energy RMSE and max error.
    pub energy_rmse: f64,
    /// Max |ΔE|.
    pub energy_max: f64,
    /// Force RMSE over components.
    pub force_rmse: f64,
    /// Max |ΔF| over components.
    pub force_max: f64,
    /// RMS of the true force components (scale of the forces).
    pub force_scale: f64,
    /// Std of the true energies (scale of the energies).
    pub energy_scale: f64,
    /// max |E(Rp) − E(p)| over test configurations and random rotations.
    pub rot_energy: f64,
    /// max |F(Rp) − R F(p)|.
    pub rot_force: f64,
}

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// Diatomic test errors.
    pub diatomic: Errors,
    /// Trimer test errors.
    pub trimer: Errors,
    /// Learned exponents α of the diatomic (l = 0, 1, 2 groups).
    pub alphas: Vec<f64>,
    /// (r, learned, true) diatomic curve.
    pub curve: Vec<(f64, f64, f64)>,
    /// (side, learned, true) energy of the equilateral trimer.
    pub trimer_curve: Vec<(f64, f64, f64)>,
    /// MD with learned forces: (t, kinetic, potential, total).
    pub md: Vec<(f64, f64, f64, f64)>,
    /// max_t |E(t) − E(0)| / |E(0)|.
    pub md_drift: f64,
    /// Training loss per Adam epoch, then every 10 L-BFGS iterations (diatomic, trimer).
    pub curves: (Vec<f64>, Vec<f64>),
}

fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A uniformly random rotation (from a random unit quaternion), row-major 3×3.
fn random_rotation(rng: &mut StdRng) -> [f64; 9] {
    let q: Vec<f64> = (0..4).map(|_| normal(rng)).collect();
    let n = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (w, x, y, z) = (q[0] / n, q[1] / n, q[2] / n, q[3] / n);
    [
        1.0 - 2.0 * (y * y + z * z),
        2.0 * (x * y - z * w),
        2.0 * (x * z + y * w),
        2.0 * (x * y + z * w),
        1.0 - 2.0 * (x * x + z * z),
        2.0 * (y * z - x * w),
        2.0 * (x * z - y * w),
        2.0 * (y * z + x * w),
        1.0 - 2.0 * (x * x + y * y),
    ]
}

fn rotate(rot: &[f64; 9], p: &[f64]) -> Vec<f64> {
    p.chunks(3)
        .flat_map(|v| (0..3).map(move |i| (0..3).map(|k| rot[3 * i + k] * v[k]).sum::<f64>()))
        .collect()
}

/// Random diatomic configurations: r uniform in R_RANGE, random orientation and centre.
fn diatomics(n: usize, rng: &mut StdRng) -> Vec<[f64; 6]> {
    (0..n)
        .map(|_| {
            let r = rng.gen_range(R_RANGE.0..R_RANGE.1);
            let u: Vec<f64> = (0..3).map(|_| normal(rng)).collect();
            let un = u.iter().map(|v| v * v).sum::<f64>().sqrt();
            let c: Vec<f64> = (0..3).map(|_| rng.gen_range(-1.0..1.0)).collect();
            let mut p = [0.0; 6];
            for k in 0..3 {
                p[k] = c[k] - 0.5 * r * u[k] / un;
                p[3 + k] = c[k] + 0.5 * r * u[k] / un;
            }
            p
        })
        .collect()
}

/// Random trimer configurations: an equilateral triangle of side r_e, each coordinate
/// perturbed by N(0, 0.3²), randomly rotated; kept when every distance lies in R_RANGE.
fn trimers(n: usize, rng: &mut StdRng) -> Vec<[f64; 9]> {
    let re = MORSE.2;
    let base = [0.0, 0.0, 0.0, re, 0.0, 0.0, 0.5 * re, 0.5 * 3f64.sqrt() * re, 0.0];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let p: Vec<f64> = base.iter().map(|b| b + 0.3 * normal(rng)).collect();
        let p = rotate(&random_rotation(rng), &p);
        let ok = [(0, 1), (0, 2), (1, 2)].iter().all(|&(i, j)| {
            let r = (0..3)
                .map(|k| (p[3 * j + k] - p[3 * i + k]).powi(2))
                .sum::<f64>()
                .sqrt();
            r > R_RANGE.0 && r < R_RANGE.1
        });
        if ok {
            let mut a = [0.0; 9];
            a.copy_from_slice(&p);
            out.push(a);
        }
    }
    out
}

/// Trains a model on (positions, energies); returns the loss per epoch.
fn fit<const N: usize, M: Model<f64, Cpu>>(
    model: &mut M,
    xs: &[[f64; N]],
    es: &[[f64; 1]],
    cfg: &Config,
    loss_and_grad: impl Fn(
        &M,
        &Tensor<(usize, Const<N>), f64, Cpu>,
        &Tensor<(usize, Const<1>), f64, Cpu>,
    ) -> shapegrad::Result<(f64, M::Grads)>,
) -> shapegrad::Result<Vec<f64>> {
    let dev = Cpu::default();
    let idx: Vec<usize> = (0..xs.len()).collect();
    let total = (cfg.epochs * xs.len().div_ceil(cfg.batch)) as u64;
    let mut opt = Adam::new(cfg.lr);
    let report = Trainer::new(TrainConfig {
        epochs: cfg.epochs,
        batch_size: cfg.batch,
        seed: cfg.seed,
        quiet: true,
        ..Default::default()
    })
    .schedule(Cosine::new(cfg.lr, cfg.lr / 100.0, total))
    .fit(model, &mut opt, &idx, |m, b| {
        let x = data::batch_from_rows(&dev, xs, b)?;
        let y = data::batch_from_rows(&dev, es, b)?;
        loss_and_grad(m, &x, &y)
    })?;
    let mut curve: Vec<f64> = report.history.iter().map(|e| e.train_loss).collect();
    // Polish with full-batch L-BFGS: the Gaussian exponents are badly conditioned for Adam.
    let x = data::tensor_from_rows(&dev, xs);
    let y = data::tensor_from_rows(&dev, es);
    let lbfgs = Lbfgs::new(LbfgsConfig {
        max_iter: cfg.lbfgs_iters,
        gtol: 1e-12,
        ..Default::default()
    });
    let mut obj = ModelObjective::new(model, |m: &M| loss_and_grad(m, &x, &y));
    let x0 = obj.x0();
    let r = lbfgs.minimize_with(&mut obj, &x0, |it| {
        if it.iter > 0 && it.iter % 10 == 0 {
            curve.push(it.f);
        }
        true
    })?;
    obj.finish(&r.x)?;
    Ok(curve)
}

/// Test errors and rotation checks. `eval(p)` returns (energies, forces) of a batch.
fn evaluate<const N: usize>(
    xs: &[[f64; N]],
    three_body: bool,
    rng: &mut StdRng,
    eval: impl Fn(&[[f64; N]]) -> shapegrad::Result<(Vec<f64>, Vec<f64>)>,
) -> shapegrad::Result<Errors> {
    let (e, f) = eval(xs)?;
    let mut err = Errors::default();
    let (mut se, mut sf, mut sf0) = (0.0, 0.0, 0.0);
    let truth: Vec<(f64, Vec<f64>)> = xs.iter().map(|p| analytic(p, three_body)).collect();
    let mean_e = truth.iter().map(|t| t.0).sum::<f64>() / xs.len() as f64;
    let mut ve = 0.0;
    for (i, (te, tf)) in truth.iter().enumerate() {
        let de = e[i] - te;
        se += de * de;
        ve += (te - mean_e).powi(2);
        err.energy_max = err.energy_max.max(de.abs());
        for k in 0..N {
            let df = f[i * N + k] - tf[k];
            sf += df * df;
            sf0 += tf[k] * tf[k];
            err.force_max = err.force_max.max(df.abs());
        }
    }
    let n = xs.len() as f64;
    err.energy_rmse = (se / n).sqrt();
    err.energy_scale = (ve / n).sqrt();
    err.force_rmse = (sf / (n * N as f64)).sqrt();
    err.force_scale = (sf0 / (n * N as f64)).sqrt();

    for _ in 0..4 {
        let rot = random_rotation(rng);
        let rx: Vec<[f64; N]> = xs
            .iter()
            .map(|p| {
                let mut a = [0.0; N];
                a.copy_from_slice(&rotate(&rot, p));
                a
            })
            .collect();
        let (er, fr) = eval(&rx)?;
        for i in 0..xs.len() {
            err.rot_energy = err.rot_energy.max((er[i] - e[i]).abs());
            let rf = rotate(&rot, &f[i * N..(i + 1) * N]);
            for k in 0..N {
                err.rot_force = err.rot_force.max((fr[i * N + k] - rf[k]).abs());
            }
        }
    }
    Ok(err)
}

/// Runs the experiment.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let mut rng = StdRng::seed_from_u64(cfg.seed);

    // --- Diatomic ------------------------------------------------------------------------------
    let dx = diatomics(cfg.train, &mut rng);
    let de: Vec<[f64; 1]> = dx.iter().map(|p| [analytic(p, false).0]).collect();
    let mut di: Diatomic<f64, Cpu> = Diatomic::new(&dev, cfg.seed);
    let c_di = fit(&mut di, &dx, &de, cfg, |m, x, y| m.loss_and_grad(x, y))?;
    let dtest = diatomics(cfg.test, &mut rng);
    let di_eval = |xs: &[[f64; 6]]| -> shapegrad::Result<(Vec<f64>, Vec<f64>)> {
        let p = data::tensor_from_rows(&dev, xs);
        let e = di.energies(&p)?.as_vec();
        let (_, _, (g,)) = di.total_and_grad_inputs(&p)?;
        Ok((e, g.as_vec().iter().map(|v| -v).collect()))
    };
    let diatomic = evaluate(&dtest, false, &mut rng, di_eval)?;
    let curve: Vec<(f64, f64, f64)> = {
        let rs: Vec<f64> = (0..=120).map(|i| 0.8 + 2.4 * i as f64 / 120.0).collect();
        let ps: Vec<[f64; 6]> = rs.iter().map(|&r| [0.0, 0.0, 0.0, r, 0.0, 0.0]).collect();
        let e = di.energies(&data::tensor_from_rows(&dev, &ps))?.as_vec();
        rs.iter().zip(e).map(|(&r, l)| (r, l, morse(r).0)).collect()
    };
    let alphas: Vec<f64> = [&di.z0, &di.z1, &di.z2]
        .iter()
        .flat_map(|z| z.as_vec())
        .map(|z: f64| z.max(0.0) + (-z.abs()).exp().ln_1p())
        .collect();

    // --- Trimer --------------------------------------------------------------------------------
    let tx = trimers(cfg.train, &mut rng);
    let te: Vec<[f64; 1]> = tx.iter().map(|p| [analytic(p, true).0]).collect();
    let mut tri: Trimer<f64, Cpu> = Trimer::new(&dev, cfg.seed + 1);
    let c_tri = fit(&mut tri, &tx, &te, cfg, |m, x, y| m.loss_and_grad(x, y))?;
    let ttest = trimers(cfg.test, &mut rng);
    let tri_forces = |xs: &[[f64; 9]]| -> shapegrad::Result<(Vec<f64>, Vec<f64>)> {
        let p = data::tensor_from_rows(&dev, xs);
        let e = tri.energies(&p)?.as_vec();
        let (_, _, (g,)) = tri.total_and_grad_inputs(&p)?;
        Ok((e, g.as_vec().iter().map(|v| -v).collect()))
    };
    let trimer = evaluate(&ttest, true, &mut rng, tri_forces)?;
    let trimer_curve: Vec<(f64, f64, f64)> = {
        let ss: Vec<f64> = (0..=100).map(|i| 0.9 + 1.5 * i as f64 / 100.0).collect();
        let ps: Vec<[f64; 9]> = ss
            .iter()
            .map(|&s| [0.0, 0.0, 0.0, s, 0.0, 0.0, 0.5 * s, 0.5 * 3f64.sqrt() * s, 0.0])
            .collect();
        let e = tri.energies(&data::tensor_from_rows(&dev, &ps))?.as_vec();
        ss.iter()
            .zip(&ps)
            .zip(e)
            .map(|((&s, p), l)| (s, l, analytic(p, true).0))
            .collect()
    };

    // --- Velocity Verlet with the learned forces (unit masses) -----------------------------------
    let re = MORSE.2;
    let mut x = vec![0.0, 0.0, 0.0, re, 0.0, 0.0, 0.5 * re, 0.5 * 3f64.sqrt() * re, 0.0];
    let mut v: Vec<f64> = (0..9).map(|_| normal(&mut rng)).collect();
    for k in 0..3 {
        let m = (v[k] + v[3 + k] + v[6 + k]) / 3.0;
        for a in 0..3 {
            v[3 * a + k] -= m;
        }
    }
    let ke0 = 0.5 * v.iter().map(|u| u * u).sum::<f64>();
    let scale = (cfg.md_kinetic / ke0).sqrt();
    v.iter_mut().for_each(|u| *u *= scale);
    let force = |x: &[f64]| -> shapegrad::Result<(f64, Vec<f64>)> {
        let p = dev.tensor_from_vec(x.to_vec(), (1usize, Const::<9>));
        let (e, _, (g,)) = tri.total_and_grad_inputs(&p)?;
        Ok((e, g.as_vec().iter().map(|u| -u).collect()))
    };
    let (mut pe, mut f) = force(&x)?;
    let mut md = Vec::with_capacity(cfg.md_steps / 10 + 1);
    let kinetic = |v: &[f64]| 0.5 * v.iter().map(|u| u * u).sum::<f64>();
    let e0 = pe + kinetic(&v);
    let mut md_drift = 0.0f64;
    md.push((0.0, kinetic(&v), pe, e0));
    for step in 1..=cfg.md_steps {
        for i in 0..9 {
            v[i] += 0.5 * cfg.dt * f[i];
            x[i] += cfg.dt * v[i];
        }
        let (p2, f2) = force(&x)?;
        pe = p2;
        f = f2;
        for i in 0..9 {
            v[i] += 0.5 * cfg.dt * f[i];
        }
        let ke = kinetic(&v);
        md_drift = md_drift.max((pe + ke - e0).abs() / e0.abs());
        if step % 10 == 0 {
            md.push((step as f64 * cfg.dt, ke, pe, pe + ke));
        }
    }

    Ok(Report {
        diatomic,
        trimer,
        alphas,
        curve,
        trimer_curve,
        md,
        md_drift,
        curves: (c_di, c_tri),
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    let t0 = std::time::Instant::now();
    let r = run(&cfg)?;
    let secs = t0.elapsed().as_secs_f64();
    let out = plot::results_dir("results", "gto_potential")?;

    println!(
        "GTO potentials: {} training / {} test configurations per system, energies only\n",
        cfg.train, cfg.test
    );
    println!("| system | energy RMSE | max abs ΔE | energy std | force RMSE | max abs ΔF | force RMS | rotation: max abs ΔE | max abs(F(Rp) − R F(p)) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (name, e) in [("Morse diatomic", &r.diatomic), ("3-atom cluster", &r.trimer)] {
        println!(
            "| {name} | {:.2e} | {:.2e} | {:.3} | {:.2e} | {:.2e} | {:.3} | {:.1e} | {:.1e} |",
            e.energy_rmse,
            e.energy_max,
            e.energy_scale,
            e.force_rmse,
            e.force_max,
            e.force_scale,
            e.rot_energy,
            e.rot_force
        );
    }
    println!(
        "\nMD (velocity Verlet, learned forces, {} steps of dt = {}, t = {}): max relative drift of the total energy {:.2e}",
        cfg.md_steps,
        cfg.dt,
        cfg.md_steps as f64 * cfg.dt,
        r.md_drift
    );
    let mut a = r.alphas.clone();
    a.sort_by(f64::total_cmp);
    println!(
        "learned diatomic exponents α (sorted): {:?}",
        a.iter()
            .map(|v| (v * 1000.0).round() / 1000.0)
            .collect::<Vec<_>>()
    );
    println!("wall time {secs:.1} s");

    plot::line(
        &out,
        "morse.svg",
        &Figure::new("Morse diatomic: learned vs true V(r)").labels("r", "V"),
        &[
            Series::new("true (Morse)", r.curve.iter().map(|p| (p.0, p.2)).collect()),
            Series::new("learned (GTO)", r.curve.iter().map(|p| (p.0, p.1)).collect()),
        ],
    )?;
    plot::line(
        &out,
        "morse_error.svg",
        &Figure::new("Morse diatomic: learned − true V(r) (training range 0.85–3.0)").labels("r", "ΔV"),
        &[Series::new(
            "learned − true",
            r.curve.iter().map(|p| (p.0, p.1 - p.2)).collect(),
        )],
    )?;
    plot::line(
        &out,
        "trimer.svg",
        &Figure::new("3-atom cluster: energy of the equilateral triangle vs side").labels("side", "E"),
        &[
            Series::new("true", r.trimer_curve.iter().map(|p| (p.0, p.2)).collect()),
            Series::new(
                "learned (GTO)",
                r.trimer_curve.iter().map(|p| (p.0, p.1)).collect(),
            ),
        ],
    )?;
    plot::line(
        &out,
        "md_energy.svg",
        &Figure::new("Velocity-Verlet MD with learned forces").labels("time", "energy"),
        &[
            Series::new("total", r.md.iter().map(|p| (p.0, p.3)).collect()),
            Series::new("potential", r.md.iter().map(|p| (p.0, p.2)).collect()),
            Series::new("kinetic", r.md.iter().map(|p| (p.0, p.1)).collect()),
        ],
    )?;
    plot::line(
        &out,
        "loss.svg",
        &Figure::new(format!(
            "Training MSE: {} Adam epochs, then every 10 L-BFGS iterations",
            cfg.epochs
        ))
        .labels("epoch / L-BFGS checkpoint", "MSE")
        .log_y(true),
        &[
            Series::from_ys("diatomic", &r.curves.0),
            Series::from_ys("3-atom cluster", &r.curves.1),
        ],
    )?;
    println!("figures: {}", out.display());
    Ok(())
}
