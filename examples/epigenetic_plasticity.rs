//! Epigenetically modulated plasticity: learning rates scaled down by methylation.
//!
//! In neurons, DNA methylation at plasticity genes rises with experience and makes synapses
//! less plastic, one proposed mechanism of memory consolidation. Here every connection ij of a
//! network carries a methylation level m_ij ∈ [0, 1) that rises with the connection's accumulated
//! importance and scales its learning rate: η_ij = η₀·(1 − m_ij).
//!
//! Importance is the empirical Fisher information, shared out step by step: each SGD step hands
//! out γ units of importance per entry in proportion to the squared minibatch gradient,
//! Ω_ij += γ·N·g_ij² / Σ g², so the mean of Ω grows by exactly γ per step. The gate
//! γ = 1 − L/ln 2 (clamped to [0, 1], L the minibatch loss) makes consolidation follow learning:
//! nothing is methylated at chance level. Methylation is m_ij = 1 − exp(−Ω_ij / κ): monotone in
//! Ω, so it only rises, during task A and task B alike. Only the shared trunk is methylated: a
//! task's head gets no gradient from the other task, so methylating it would protect nothing and
//! only slow the head's own learning.
//!
//! Two binary classification tasks on the same Gaussian inputs x ∈ ℝ^20, labelled by two different
//! random teacher networks that read the same 10 input coordinates, share a two-layer trunk; each
//! task has its own head (task-incremental learning), so task B can only harm task A through the
//! trunk. The network is trained on A, then on B until its held-out B accuracy reaches a target;
//! the question is how much of A survives, compared with plain SGD (m ≡ 0) stopped at the same B
//! accuracy. A control arm shuffles each tensor's methylation among its entries, to separate the
//! targeting of important connections from the layer-wise amount of methylation. The per-entry
//! learning rate is the runtime's `LrScales`; the gradients are the macro's.
//!
//! `cargo run --release --example epigenetic_plasticity` writes `results/epigenetic_plasticity/`.
//! Arguments `key=value` override the full configuration (`kappa`, `target`, `lr`, `seeds`, …).

use shapegrad::optim::{Optimizer, Sgd};
use shapegrad::params::param_infos;
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

/// Input dimension.
pub const N_IN: usize = 20;

shapegrad::model! {
    /// A shared two-layer trunk with one two-class head per task.
    pub struct TwoTasks {
        dims { B: batch, I = 20, H = 100, C = 2 }
        params {
            w1: [I, H] = glorot, b1: [H] = zeros, w2: [H, H] = glorot, b2: [H] = zeros,
            wa: [H, C] = zeros, ba: [C] = zeros, wb: [H, C] = zeros, bb: [C] = zeros
        }
        fn trunk(x: [B, I]) -> [B, H] { tanh(tanh(x @ w1 + b1) @ w2 + b2) }
        fn logits_a(x: [B, I]) -> [B, C] { trunk(x) @ wa + ba }
        fn logits_b(x: [B, I]) -> [B, C] { trunk(x) @ wb + bb }
        fn loss_a(x: [B, I], y: [B, C]) -> [] { cross_entropy(logits_a(x), y) }
        fn loss_b(x: [B, I], y: [B, C]) -> [] { cross_entropy(logits_b(x), y) }
    }
}

/// Experiment size.
#[derive(Debug, Clone)]
pub struct Config {
    /// Seeds averaged over.
    pub seeds: Vec<u64>,
    /// Training points per task.
    pub n_train: usize,
    /// Held-out points per task.
    pub n_test: usize,
    /// Hidden units of each random teacher.
    pub teacher_hidden: usize,
    /// Both teachers look only at the first `relevant` input coordinates (the rest is noise), so
    /// the two tasks compete for the trunk units that read the same few inputs.
    pub relevant: usize,
    /// Gain inside the teacher's tanh (large: sharp, nearly piecewise-linear boundaries).
    pub teacher_gain: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Base learning rate η₀.
    pub lr: f64,
    /// SGD steps on task A.
    pub steps_a: usize,
    /// Most SGD steps on task B.
    pub max_steps_b: usize,
    /// Task B training stops at this held-out accuracy (checked every `eval_every` steps).
    pub target_b: f64,
    /// Steps between evaluations.
    pub eval_every: usize,
    /// Methylation scale κ: an entry whose importance share Ω reaches κ is 63 % methylated.
    pub kappa: f64,
    /// Also run the shuffled-methylation control ([`Rule::Shuffled`]).
    pub control: bool,
}

impl Config {
    /// The run in the book.
    pub fn full() -> Self {
        Self {
            seeds: (0..8).collect(),
            n_train: 4000,
            n_test: 2000,
            teacher_hidden: 4,
            teacher_gain: 3.0,
            relevant: 10,
            batch: 32,
            lr: 0.3,
            steps_a: 3000,
            max_steps_b: 8000,
            target_b: 0.95,
            eval_every: 20,
            kappa: 3000.0,
            control: true,
        }
    }
    /// The test's run: a third of the training on A (κ scaled with it), fewer seeds, a smaller
    /// held-out set.
    pub fn reduced() -> Self {
        Self {
            seeds: (0..4).collect(),
            n_test: 1000,
            steps_a: 1000,
            max_steps_b: 4000,
            kappa: 1000.0,
            control: false,
            ..Self::full()
        }
    }
    /// Applies `key=value` overrides (for exploring from the command line).
    pub fn with_overrides(mut self, args: &[String]) -> shapegrad::Result<Self> {
        for a in args {
            let bad = || shapegrad::Error::Other(format!("bad argument `{a}` (want key=value)"));
            let (k, v) = a.split_once('=').ok_or_else(bad)?;
            let f: f64 = v.parse().map_err(|_| bad())?;
            match k {
                "seeds" => self.seeds = (0..f as u64).collect(),
                "n_train" => self.n_train = f as usize,
                "n_test" => self.n_test = f as usize,
                "teacher_hidden" => self.teacher_hidden = f as usize,
                "teacher_gain" => self.teacher_gain = f,
                "relevant" => self.relevant = f as usize,
                "batch" => self.batch = f as usize,
                "lr" => self.lr = f,
                "steps_a" => self.steps_a = f as usize,
                "max_steps_b" => self.max_steps_b = f as usize,
                "target" => self.target_b = f,
                "eval_every" => self.eval_every = f as usize,
                "kappa" => self.kappa = f,
                "control" => self.control = f != 0.0,
                _ => return Err(bad()),
            }
        }
        Ok(self)
    }
}

/// One seed, one learning rule.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Task-A held-out accuracy after learning A.
    pub acc_a_before: f64,
    /// Task-A held-out accuracy after learning B.
    pub acc_a_after: f64,
    /// Task-B held-out accuracy when B training stopped.
    pub acc_b: f64,
    /// Steps spent on task B.
    pub steps_b: usize,
    /// Whether task B reached the target.
    pub reached: bool,
    /// (step, task-A accuracy, task-B accuracy) over both phases.
    pub curve: Vec<(usize, f64, f64)>,
    /// Methylation of every entry after task A (empty for plain SGD).
    pub m_after_a: Vec<f64>,
    /// Methylation after task B.
    pub m_after_b: Vec<f64>,
    /// Whether every methylation update kept the plasticity 1 − m in (0, 1] and never raised it
    /// (m ∈ [0, 1), non-decreasing).
    pub m_monotone: bool,
}

/// Both rules on one seed.
#[derive(Debug, Clone)]
pub struct SeedResult {
    /// Seed.
    pub seed: u64,
    /// Plain SGD.
    pub sgd: Arm,
    /// Methylation-modulated SGD.
    pub methyl: Arm,
    /// The shuffled control, when `Config::control` is set.
    pub shuffled: Option<Arm>,
}

/// Everything `main` prints and plots.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per seed.
    pub seeds: Vec<SeedResult>,
    /// Mean over seeds of (task-A accuracy after B, methylated − plain).
    pub mean_margin: f64,
    /// Standard error of that mean.
    pub margin_sem: f64,
    /// Mean and standard error of (task-A accuracy after B, shuffled control − plain).
    pub control_margin: Option<(f64, f64)>,
}

/// A small deterministic generator (xorshift64*) with Gaussian draws.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A random teacher: label = [Σ_k s_k tanh(u_k·x/√D) > 0] with Gaussian u_k and signs s_k.
#[derive(Debug, Clone)]
pub struct Teacher {
    u: Vec<[f64; N_IN]>,
    s: Vec<f64>,
    gain: f64,
}

impl Teacher {
    /// Teacher `task` of `seed`, with `k` hidden units.
    pub fn new(seed: u64, task: usize, k: usize, gain: f64, relevant: usize) -> Self {
        let mut r = Rng::new(seed * 7919 + task as u64 * 104_729 + 17);
        let norm = (relevant as f64).sqrt();
        let u = (0..k)
            .map(|_| std::array::from_fn(|i| if i < relevant { r.normal() / norm } else { 0.0 }))
            .collect();
        let s = (0..k).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        Self { u, s, gain }
    }
    /// The class of `x`.
    pub fn label(&self, x: &[f64; N_IN]) -> usize {
        let z: f64 = self
            .u
            .iter()
            .zip(&self.s)
            .map(|(u, s)| s * (u.iter().zip(x).map(|(a, b)| a * b).sum::<f64>() * self.gain).tanh())
            .sum();
        usize::from(z > 0.0)
    }
}

/// `n` standard Gaussian inputs with one-hot labels of `teacher`.
pub fn dataset(teacher: &Teacher, n: usize, seed: u64) -> (Vec<[f32; N_IN]>, Vec<[f32; 2]>) {
    let mut r = Rng::new(seed);
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for _ in 0..n {
        let x: [f64; N_IN] = std::array::from_fn(|_| r.normal());
        let mut y = [0.0f32; 2];
        y[teacher.label(&x)] = 1.0;
        xs.push(x.map(|v| v as f32));
        ys.push(y);
    }
    (xs, ys)
}

type Net = TwoTasks<f32, Cpu>;

/// The task-specific heads, which stay unmethylated; they are the last parameters of the model.
const TASK_HEADS: [&str; 4] = ["wa", "ba", "wb", "bb"];

struct Task {
    x: Vec<[f32; N_IN]>,
    y: Vec<[f32; 2]>,
    xt: Tensor<(usize, Const<N_IN>), f32, Cpu>,
    yt: Vec<[f32; 2]>,
}

fn accuracy(net: &Net, task: usize, t: &Task) -> shapegrad::Result<f64> {
    let z = if task == 0 {
        net.logits_a(&t.xt)?
    } else {
        net.logits_b(&t.xt)?
    }
    .as_vec();
    let ok =
        t.yt.iter()
            .enumerate()
            .filter(|(i, y)| (z[2 * i + 1] > z[2 * i]) == (y[1] == 1.0))
            .count();
    Ok(ok as f64 / t.yt.len() as f64)
}

/// Methylation state of every trunk entry, in `to_flat` order: its importance Ω and its
/// plasticity 1 − m = exp(−Ω/κ), kept as such because it is what scales the learning rate and it
/// stays representable (> 0) long after m itself rounds to 1 in `f64`.
struct Methylation {
    omega: Vec<f64>,
    plasticity: Vec<f64>,
    kappa: f64,
    monotone: bool,
}

impl Methylation {
    fn new(n: usize, kappa: f64) -> Self {
        Self {
            omega: vec![0.0; n],
            plasticity: vec![1.0; n],
            kappa,
            monotone: true,
        }
    }
    /// One step: `gate` ∈ [0, 1] units of importance per entry are shared out in proportion to
    /// g² (the empirical Fisher information of the step's minibatch), then every entry is
    /// re-methylated, 1 − m = exp(−Ω/κ).
    fn update(&mut self, g: &[f64], gate: f64) {
        let total: f64 = g.iter().map(|g| g * g).sum();
        if total <= 0.0 || gate <= 0.0 {
            return;
        }
        let scale = gate * self.omega.len() as f64 / total;
        for ((o, p), g) in self.omega.iter_mut().zip(&mut self.plasticity).zip(g) {
            *o += scale * g * g;
            let new = (-*o / self.kappa).exp();
            self.monotone &= new <= *p && new > 0.0;
            *p = new;
        }
    }
    /// Methylation m = 1 − plasticity of every entry.
    fn m(&self) -> Vec<f64> {
        self.plasticity.iter().map(|p| 1.0 - p).collect()
    }
}

/// A learning rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Plain SGD, m ≡ 0.
    Plain,
    /// η_ij = η₀(1 − m_ij).
    Methylated,
    /// Control: the same methylation dynamics, but each connection gets the learning-rate scale
    /// of another connection of the same tensor (a fixed random permutation). Same amount of
    /// methylation per layer, not aimed at the important connections.
    Shuffled,
}

/// Trains A then B with one rule.
fn arm(cfg: &Config, seed: u64, tasks: &[Task; 2], rule: Rule) -> shapegrad::Result<Arm> {
    let methylate = rule != Rule::Plain;
    let dev = Cpu::default();
    let mut net: Net = TwoTasks::new(&dev, seed);
    let infos = param_infos(&net);
    // Only the shared trunk is methylated (see the module docs): the heads come after it.
    let trunk: Vec<_> = infos
        .iter()
        .filter(|i| !TASK_HEADS.contains(&i.name.as_str()))
        .cloned()
        .collect();
    let n_trunk: usize = trunk.iter().map(|i| i.numel()).sum();
    let mut meth = Methylation::new(n_trunk, cfg.kappa);
    let perms: Vec<Vec<usize>> = trunk
        .iter()
        .enumerate()
        .map(|(j, i)| match rule {
            Rule::Shuffled => shapegrad::data::shuffled_indices(i.numel(), seed * 100 + j as u64 + 7),
            _ => (0..i.numel()).collect(),
        })
        .collect();
    let mut opt = Sgd::new(cfg.lr);
    let mut curve = Vec::new();
    let mut m_after_a = Vec::new();
    let mut step = 0usize;
    let mut acc_a_before = 0.0;
    let mut acc_b = 0.0;
    let mut steps_b = 0;
    let mut reached = false;
    for (phase, t) in tasks.iter().enumerate() {
        let max_steps = if phase == 0 { cfg.steps_a } else { cfg.max_steps_b };
        let mut k = 0;
        'phase: for epoch in 0.. {
            let order = shapegrad::data::shuffled_indices(
                t.x.len(),
                shapegrad::data::epoch_seed(seed * 10 + phase as u64, epoch),
            );
            for idx in order.chunks_exact(cfg.batch) {
                // Task B is checked every `eval_every` steps; the curves get a point every fifth.
                let check = phase == 1 && k % cfg.eval_every == 0;
                let curve_point = k % (5 * cfg.eval_every) == 0;
                if check || curve_point {
                    let b = accuracy(&net, 1, &tasks[1])?;
                    let done = phase == 1 && b >= cfg.target_b;
                    if curve_point || done {
                        curve.push((step, accuracy(&net, 0, &tasks[0])?, b));
                    }
                    if done {
                        acc_b = b;
                        reached = true;
                        break 'phase;
                    }
                }
                if k == max_steps {
                    break 'phase;
                }
                let x = shapegrad::data::batch_from_rows(&dev, &t.x, idx)?;
                let y = shapegrad::data::batch_from_rows(&dev, &t.y, idx)?;
                let (loss, g) = if phase == 0 {
                    net.loss_a_and_grad(&x, &y)?
                } else {
                    net.loss_b_and_grad(&x, &y)?
                };
                if methylate {
                    // Consolidation follows learning: the gate is 0 at chance (loss ln 2), 1 at zero loss.
                    let gate = (1.0 - f64::from(loss) / std::f64::consts::LN_2).clamp(0.0, 1.0);
                    meth.update(&to_flat(&g)[..n_trunk], gate);
                    let mut off = 0;
                    for (info, perm) in trunk.iter().zip(&perms) {
                        let n = info.numel();
                        let s = perm.iter().map(|&p| meth.plasticity[off + p]).collect();
                        opt.lr_scales_mut().set(info.name.clone(), s);
                        off += n;
                    }
                }
                opt.step(&mut net, &g)?;
                k += 1;
                step += 1;
            }
        }
        if phase == 0 {
            acc_a_before = accuracy(&net, 0, &tasks[0])?;
            m_after_a = meth.m();
        } else {
            steps_b = k;
            if !reached {
                acc_b = accuracy(&net, 1, &tasks[1])?;
            }
        }
    }
    let acc_a_after = accuracy(&net, 0, &tasks[0])?;
    Ok(Arm {
        acc_a_before,
        acc_a_after,
        acc_b,
        steps_b,
        reached,
        curve,
        m_after_a: if methylate { m_after_a } else { Vec::new() },
        m_after_b: if methylate { meth.m() } else { Vec::new() },
        m_monotone: meth.monotone,
    })
}

/// Runs both rules on every seed.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let mut seeds = Vec::new();
    for &seed in &cfg.seeds {
        let tasks: [Task; 2] = std::array::from_fn(|task| {
            let teacher = Teacher::new(seed, task, cfg.teacher_hidden, cfg.teacher_gain, cfg.relevant);
            let (x, y) = dataset(&teacher, cfg.n_train, seed * 4 + task as u64 * 2 + 1);
            let (xt, yt) = dataset(&teacher, cfg.n_test, seed * 4 + task as u64 * 2 + 2);
            let xt = shapegrad::data::tensor_from_rows(&dev, &xt);
            Task { x, y, xt, yt }
        });
        let sgd = arm(cfg, seed, &tasks, Rule::Plain)?;
        let methyl = arm(cfg, seed, &tasks, Rule::Methylated)?;
        let shuffled = if cfg.control {
            Some(arm(cfg, seed, &tasks, Rule::Shuffled)?)
        } else {
            None
        };
        seeds.push(SeedResult {
            seed,
            sgd,
            methyl,
            shuffled,
        });
    }
    let (mean_margin, margin_sem) = mean_sem(seeds.iter().map(|s| s.methyl.acc_a_after - s.sgd.acc_a_after));
    let control_margin = cfg.control.then(|| {
        mean_sem(
            seeds
                .iter()
                .filter_map(|s| Some(s.shuffled.as_ref()?.acc_a_after - s.sgd.acc_a_after)),
        )
    });
    Ok(Report {
        seeds,
        mean_margin,
        margin_sem,
        control_margin,
    })
}

/// Mean and standard error of the mean.
fn mean_sem(d: impl Iterator<Item = f64>) -> (f64, f64) {
    let d: Vec<f64> = d.collect();
    let n = d.len() as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, (var / n).sqrt())
}

/// Counts of `v` in `bins` equal bins of [0, 1], as a step outline.
fn histogram(v: &[f64], bins: usize) -> Vec<(f64, f64)> {
    let mut c = vec![0.0; bins];
    for &x in v {
        c[((x * bins as f64) as usize).min(bins - 1)] += 1.0;
    }
    let w = 1.0 / bins as f64;
    c.iter()
        .enumerate()
        .flat_map(|(i, &n)| [(i as f64 * w, n), ((i + 1) as f64 * w, n)])
        .collect()
}

fn main() -> shapegrad::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = Config::full().with_overrides(&args)?;
    println!(
        "D = {N_IN} Gaussian inputs, two random teachers ({} tanh units each), shared trunk {N_IN}→100→100 with one head per task",
        cfg.teacher_hidden
    );
    println!(
        "task A for {} steps, then task B until held-out accuracy ≥ {:.0}%; η₀ = {}, κ = {}, {} seeds",
        cfg.steps_a,
        100.0 * cfg.target_b,
        cfg.lr,
        cfg.kappa,
        cfg.seeds.len()
    );
    let start = std::time::Instant::now();
    let r = run(&cfg)?;
    println!(
        "\n{:>4} | {:>8} {:>8} {:>8} {:>7} | {:>8} {:>8} {:>8} {:>7}",
        "seed", "SGD A₀", "SGD A", "SGD B", "steps", "meth A₀", "meth A", "meth B", "steps"
    );
    for s in &r.seeds {
        println!(
            "{:>4} | {:>7.1}% {:>7.1}% {:>7.1}% {:>7} | {:>7.1}% {:>7.1}% {:>7.1}% {:>7}",
            s.seed,
            100.0 * s.sgd.acc_a_before,
            100.0 * s.sgd.acc_a_after,
            100.0 * s.sgd.acc_b,
            s.sgd.steps_b,
            100.0 * s.methyl.acc_a_before,
            100.0 * s.methyl.acc_a_after,
            100.0 * s.methyl.acc_b,
            s.methyl.steps_b
        );
    }
    let mean = |f: &dyn Fn(&SeedResult) -> f64| r.seeds.iter().map(f).sum::<f64>() / r.seeds.len() as f64;
    println!(
        "mean | {:>7.1}% {:>7.1}% {:>7.1}% {:>7.0} | {:>7.1}% {:>7.1}% {:>7.1}% {:>7.0}",
        100.0 * mean(&|s| s.sgd.acc_a_before),
        100.0 * mean(&|s| s.sgd.acc_a_after),
        100.0 * mean(&|s| s.sgd.acc_b),
        mean(&|s| s.sgd.steps_b as f64),
        100.0 * mean(&|s| s.methyl.acc_a_before),
        100.0 * mean(&|s| s.methyl.acc_a_after),
        100.0 * mean(&|s| s.methyl.acc_b),
        mean(&|s| s.methyl.steps_b as f64)
    );
    let unreached = r
        .seeds
        .iter()
        .filter(|s| !s.sgd.reached || !s.methyl.reached)
        .count();
    println!(
        "task-A accuracy after B, methylated − plain: {:+.1} ± {:.1} points (mean ± s.e.m. over {} seeds; {} seed(s) missed the target)",
        100.0 * r.mean_margin,
        100.0 * r.margin_sem,
        r.seeds.len(),
        unreached
    );
    if let Some((m, e)) = r.control_margin {
        let sh: Vec<&Arm> = r.seeds.iter().filter_map(|s| s.shuffled.as_ref()).collect();
        let n = sh.len() as f64;
        println!(
            "control, methylation shuffled within each tensor: task A {:.1}% → {:.1}% (B reached {}/{} seeds, {:.0} steps); − plain: {:+.1} ± {:.1} points",
            100.0 * sh.iter().map(|a| a.acc_a_before).sum::<f64>() / n,
            100.0 * sh.iter().map(|a| a.acc_a_after).sum::<f64>() / n,
            sh.iter().filter(|a| a.reached).count(),
            sh.len(),
            sh.iter().map(|a| a.steps_b as f64).sum::<f64>() / n,
            100.0 * m,
            100.0 * e
        );
        let (d, de) = mean_sem(
            r.seeds
                .iter()
                .filter_map(|s| Some(s.methyl.acc_a_after - s.shuffled.as_ref()?.acc_a_after)),
        );
        println!(
            "targeted − shuffled methylation: {:+.1} ± {:.1} points",
            100.0 * d,
            100.0 * de
        );
    }
    let forgetting = |a: &dyn Fn(&SeedResult) -> &Arm| mean(&|s| a(s).acc_a_before - a(s).acc_a_after);
    println!(
        "task-A forgetting while learning B (A₀ − A): plain {:.1} points, methylated {:.1} points",
        100.0 * forgetting(&|s| &s.sgd),
        100.0 * forgetting(&|s| &s.methyl)
    );
    // The trunk's parameters, in the order of the methylation vector.
    let trunk: Vec<_> = param_infos(&Net::new(&Cpu::default(), 0))
        .into_iter()
        .filter(|i| !TASK_HEADS.contains(&i.name.as_str()))
        .collect();
    for (when, pick) in [("after A", 0), ("after B", 1)] {
        fn pick_m(s: &SeedResult, pick: usize) -> &[f64] {
            if pick == 0 {
                &s.methyl.m_after_a
            } else {
                &s.methyl.m_after_b
            }
        }
        let ms = |s| pick_m(s, pick);
        let all: Vec<f64> = r.seeds.iter().flat_map(|s| ms(s).iter().copied()).collect();
        let frac = |lo: f64| 100.0 * all.iter().filter(|&&v| v > lo).count() as f64 / all.len() as f64;
        let mut per_param = String::new();
        let mut off = 0;
        for info in &trunk {
            let n = info.numel();
            let sum: f64 = r
                .seeds
                .iter()
                .map(|s| ms(s)[off..off + n].iter().sum::<f64>())
                .sum();
            per_param += &format!(" {} {:.3}", info.name, sum / (n * r.seeds.len()) as f64);
            off += n;
        }
        println!(
            "methylation {when} (all seeds): mean {:.3}, > 0.5: {:.1}%, > 0.9: {:.1}%, < 0.1: {:.1}%; mean by parameter:{per_param}",
            all.iter().sum::<f64>() / all.len() as f64,
            frac(0.5),
            frac(0.9),
            100.0 - frac(0.1)
        );
    }
    println!("(wall time {:.1} s)", start.elapsed().as_secs_f64());

    let s0 = &r.seeds[0];
    let out = plot::results_dir("results", "epigenetic_plasticity")?;
    let p = plot::line(
        &out,
        "methylation.svg",
        &Figure::new(format!(
            "Methylation of the {} connections (seed {})",
            s0.methyl.m_after_b.len(),
            s0.seed
        ))
        .labels("methylation m", "number of entries")
        .log_y(true),
        &[
            Series::new("after task A", histogram(&s0.methyl.m_after_a, 20)),
            Series::new("after task B", histogram(&s0.methyl.m_after_b, 20)),
        ],
    )?;
    println!("figure: {}", p.display());
    // Task A over both phases; task B (an untrained head before) from the switch on. Error
    // rates on a log scale show the small changes of task A next to task B's large ones.
    let pick = |a: &Arm, which: usize| -> Vec<(f64, f64)> {
        a.curve
            .iter()
            .filter(|p| which == 0 || p.0 >= cfg.steps_a)
            .map(|&(s, x, y)| (s as f64, 1.0 - if which == 0 { x } else { y }))
            .collect()
    };
    let p = plot::line(
        &out,
        "accuracy.svg",
        &Figure::new(format!(
            "Held-out error, task A then task B from step {} (seed {})",
            cfg.steps_a, s0.seed
        ))
        .labels("SGD step", "error rate (1 − accuracy)")
        .log_y(true),
        &[
            Series::new("task A, plain SGD", pick(&s0.sgd, 0)),
            Series::new("task B, plain SGD", pick(&s0.sgd, 1)),
            Series::new("task A, methylated", pick(&s0.methyl, 0)),
            Series::new("task B, methylated", pick(&s0.methyl, 1)),
        ],
    )?;
    println!("figure: {}", p.display());
    Ok(())
}
