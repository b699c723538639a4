//! An RNN reading DNA: donor splice sites against decoy GTs.
//!
//! A donor (5′) splice site is where an intron begins: almost always a `GT` dinucleotide, with a
//! characteristic pattern around it (exon side `MAG|`, intron side `GTRAGT`). Genomes are full
//! of GTs that are not splice sites, so the surrounding bases decide. A position weight matrix
//! (PWM) scores each position independently; real donor sites also show dependencies between
//! positions — the best known is the compensation between the last exon base (−1) and intron
//! position +5 (Burge & Karlin's maximal-dependence decomposition: sites without G at +5 hold on
//! to G at −1, and vice versa). We synthesize donor sites with such a compensation (exactly one
//! of −1 and +5 is G), and two kinds of decoy GTs: random background, and "PWM mimics" whose
//! every position has the donors' marginal distribution but whose −1/+5 pair breaks the
//! compensation. A PWM cannot tell a mimic from a donor; a GRU reading the one-hot window base by
//! base (`scan` over time, trained by BPTT) can.
//!
//! `cargo run --release --example splice_sites` writes `results/splice_sites/`.

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

/// Window length: 6 upstream flank, exon −3..−1, intron +1..+6, 3 downstream flank.
pub const WINDOW: usize = 18;
/// Index of exon position −1 in the window (+1 is `M1 + 1`).
pub const M1: usize = 8;

shapegrad::model! {
    /// A GRU over one-hot DNA, logit of "donor site" from the last state.
    pub struct SpliceGru {
        dims { B: batch, T: batch, I = 4, H = 24 }
        params {
            wz: [I, H] = glorot, uz: [H, H] = glorot, bz: [H] = zeros,
            wr: [I, H] = glorot, ur: [H, H] = glorot, br: [H] = zeros,
            wn: [I, H] = glorot, un: [H, H] = glorot, bn: [H] = zeros,
            wo: [H, 1] = glorot, bo: [1] = zeros
        }
        fn cell(h: [B, H], x: [B, I]) -> [B, H] {
            let z = sigmoid(x @ wz + h @ uz + bz);
            let r = sigmoid(x @ wr + h @ ur + br);
            let n = tanh(x @ wn + (r * h) @ un + bn);
            (1.0 - z) * n + z * h
        }
        fn logit(xs: [B, T, I], h0: [B, H]) -> [B, 1] { scan(cell, xs, h0, axis = 1) @ wo + bo }
        fn loss(xs: [B, T, I], h0: [B, H], y: [B, 1]) -> [] { bce_with_logits(logit(xs, h0), y) }
    }
}

/// Experiment size.
#[derive(Debug, Clone)]
pub struct Config {
    /// Training windows (half donors).
    pub n_train: usize,
    /// Held-out windows.
    pub n_test: usize,
    /// Passes over the training set.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed.
    pub seed: u64,
}

impl Config {
    /// The run in the book.
    pub fn full() -> Self {
        Self {
            n_train: 12000,
            n_test: 4000,
            epochs: 20,
            batch: 128,
            lr: 0.01,
            seed: 7,
        }
    }
    /// The test's run.
    pub fn reduced() -> Self {
        Self {
            n_train: 5000,
            n_test: 1500,
            epochs: 12,
            batch: 100,
            lr: 0.02,
            seed: 7,
        }
    }
}

/// Everything `main` prints and plots.
#[derive(Debug, Clone)]
pub struct Report {
    /// GRU held-out accuracy (threshold 0).
    pub rnn_accuracy: f64,
    /// GRU held-out ROC AUC.
    pub rnn_auc: f64,
    /// PWM log-odds held-out accuracy (threshold chosen on the training set).
    pub pwm_accuracy: f64,
    /// PWM held-out ROC AUC.
    pub pwm_auc: f64,
    /// AUC of both on donors vs PWM mimics only.
    pub rnn_auc_mimics: f64,
    /// PWM's AUC on donors vs mimics (≈ 0.5 by construction).
    pub pwm_auc_mimics: f64,
    /// ROC curves (false positive rate, true positive rate).
    pub rnn_roc: Vec<(f64, f64)>,
    /// PWM ROC curve.
    pub pwm_roc: Vec<(f64, f64)>,
    /// Mean training loss per epoch.
    pub loss_curve: Vec<f64>,
    /// Mean ‖∂L/∂x_t‖ over held-out windows at lag T−1−t, before training.
    pub grad_lag_init: Vec<f64>,
    /// The same after training.
    pub grad_lag_trained: Vec<f64>,
}

/// Kinds of windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A donor site.
    Donor,
    /// A GT in random background.
    Background,
    /// A GT with donor marginals but a broken −1/+5 compensation.
    Mimic,
}

/// splitmix64.
pub struct Rng(u64);
impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0xA076_1D64_78BD_642F)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        let z = shapegrad::data::splitmix64(&mut self.0);
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A base (0..4 = A C G T) from probabilities.
    pub fn base(&mut self, p: [f64; 4]) -> u8 {
        let u = self.uniform() * p.iter().sum::<f64>();
        let mut acc = 0.0;
        for (k, &pk) in p.iter().enumerate() {
            acc += pk;
            if u < acc {
                return k as u8;
            }
        }
        3
    }
}

const G: u8 = 2;
const T_: u8 = 3;
const UNIFORM: [f64; 4] = [0.25; 4];
/// Marginals at −3, −2 (exon) and +3, +4, +6 (intron): a realistic donor PWM.
const PWM_M3: [f64; 4] = [0.40, 0.38, 0.14, 0.08];
const PWM_M2: [f64; 4] = [0.75, 0.08, 0.09, 0.08];
const PWM_P3: [f64; 4] = [0.60, 0.02, 0.37, 0.01];
const PWM_P4: [f64; 4] = [0.78, 0.06, 0.09, 0.07];
const PWM_P6: [f64; 4] = [0.10, 0.10, 0.14, 0.66];
/// A non-G base at −1 or +5 (renormalized over A, C, T).
const NOT_G: [f64; 4] = [0.40, 0.30, 0.0, 0.30];

/// One window of `kind`.
pub fn window(rng: &mut Rng, kind: Kind) -> [u8; WINDOW] {
    let mut w = [0u8; WINDOW];
    for b in w.iter_mut() {
        *b = rng.base(UNIFORM);
    }
    w[M1 + 1] = G;
    w[M1 + 2] = T_;
    if kind == Kind::Background {
        return w;
    }
    w[M1 - 2] = rng.base(PWM_M3);
    w[M1 - 1] = rng.base(PWM_M2);
    w[M1 + 3] = rng.base(PWM_P3);
    w[M1 + 4] = rng.base(PWM_P4);
    w[M1 + 6] = rng.base(PWM_P6);
    let g_at_m1 = rng.uniform() < 0.5;
    // Donors: exactly one of −1, +5 is G. Mimics: both or neither (same marginals).
    let g_at_p5 = if kind == Kind::Donor { !g_at_m1 } else { g_at_m1 };
    w[M1] = if g_at_m1 { G } else { rng.base(NOT_G) };
    w[M1 + 5] = if g_at_p5 { G } else { rng.base(NOT_G) };
    w
}

/// Half donors, a quarter background GTs, a quarter mimics; shuffled by construction order.
pub fn dataset(n: usize, seed: u64) -> (Vec<[u8; WINDOW]>, Vec<f32>, Vec<Kind>) {
    let mut rng = Rng::new(seed);
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    let mut kinds = Vec::with_capacity(n);
    for i in 0..n {
        let kind = match i % 4 {
            0 | 2 => Kind::Donor,
            1 => Kind::Background,
            _ => Kind::Mimic,
        };
        xs.push(window(&mut rng, kind));
        ys.push(f32::from(kind == Kind::Donor));
        kinds.push(kind);
    }
    (xs, ys, kinds)
}

fn one_hot(dev: &Cpu, xs: &[[u8; WINDOW]], idx: &[usize]) -> Tensor<(usize, usize, Const<4>), f32, Cpu> {
    let mut v = vec![0.0f32; idx.len() * WINDOW * 4];
    for (j, &i) in idx.iter().enumerate() {
        for (t, &b) in xs[i].iter().enumerate() {
            v[(j * WINDOW + t) * 4 + b as usize] = 1.0;
        }
    }
    dev.tensor_from_vec(v, (idx.len(), WINDOW, Const::<4>))
}

/// The PWM log-odds baseline: per-position base frequencies of donors vs decoys (pseudocount 1),
/// fitted on the same training data; returns the score table `[WINDOW][4]`.
pub fn fit_pwm(xs: &[[u8; WINDOW]], ys: &[f32]) -> Vec<[f64; 4]> {
    let mut pos = vec![[1.0f64; 4]; WINDOW];
    let mut neg = vec![[1.0f64; 4]; WINDOW];
    for (x, &y) in xs.iter().zip(ys) {
        let c = if y > 0.5 { &mut pos } else { &mut neg };
        for (t, &b) in x.iter().enumerate() {
            c[t][b as usize] += 1.0;
        }
    }
    (0..WINDOW)
        .map(|t| {
            let sp: f64 = pos[t].iter().sum();
            let sn: f64 = neg[t].iter().sum();
            std::array::from_fn(|k| (pos[t][k] / sp).ln() - (neg[t][k] / sn).ln())
        })
        .collect()
}

/// PWM score of a window.
pub fn pwm_score(pwm: &[[f64; 4]], x: &[u8; WINDOW]) -> f64 {
    x.iter().enumerate().map(|(t, &b)| pwm[t][b as usize]).sum()
}

/// ROC AUC (Mann–Whitney, ties count one half).
pub fn auc(scores: &[f64], labels: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank = vec![0.0; scores.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            rank[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    let n_pos = labels.iter().filter(|&&l| l).count() as f64;
    let n_neg = labels.len() as f64 - n_pos;
    let sum_pos: f64 = rank.iter().zip(labels).filter(|(_, &l)| l).map(|(r, _)| r).sum();
    (sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// ROC curve points (FPR, TPR), thresholds from high to low.
pub fn roc(scores: &[f64], labels: &[bool]) -> Vec<(f64, f64)> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let n_pos = labels.iter().filter(|&&l| l).count() as f64;
    let n_neg = labels.len() as f64 - n_pos;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = vec![(0.0, 0.0)];
    for (k, &i) in idx.iter().enumerate() {
        if labels[i] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        if k + 1 == idx.len() || scores[idx[k + 1]] != scores[i] {
            out.push((fp / n_neg, tp / n_pos));
        }
    }
    out
}

type Net = SpliceGru<f32, Cpu>;

fn logits(dev: &Cpu, net: &Net, xs: &[[u8; WINDOW]]) -> shapegrad::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(xs.len());
    let all: Vec<usize> = (0..xs.len()).collect();
    for chunk in all.chunks(500) {
        let h0 = dev.tensor_from_vec(vec![0.0f32; chunk.len() * 24], (chunk.len(), Const::<24>));
        out.extend(
            net.logit(&one_hot(dev, xs, chunk), &h0)?
                .as_vec()
                .into_iter()
                .map(f64::from),
        );
    }
    Ok(out)
}

/// Mean ‖∂L/∂x_t‖ over up to 500 windows, indexed by lag T−1−t (0 = last base read).
fn grad_by_lag(dev: &Cpu, net: &Net, xs: &[[u8; WINDOW]], ys: &[f32]) -> shapegrad::Result<Vec<f64>> {
    let n = xs.len().min(500);
    let idx: Vec<usize> = (0..n).collect();
    let h0 = dev.tensor_from_vec(vec![0.0f32; n * 24], (n, Const::<24>));
    let y = dev.tensor_from_vec(ys[..n].to_vec(), (n, Const::<1>));
    let (_, _, (gx, _, _)) = net.loss_and_grad_inputs(&one_hot(dev, xs, &idx), &h0, &y)?;
    let g = gx.as_vec();
    let mut lag = vec![0.0; WINDOW];
    for j in 0..n {
        for t in 0..WINDOW {
            let s: f64 = (0..4).map(|k| (g[(j * WINDOW + t) * 4 + k] as f64).powi(2)).sum();
            // The loss is a mean over the batch, so each window's gradient carries a 1/n:
            // summing the norms gives the mean per-window norm.
            lag[WINDOW - 1 - t] += s.sqrt();
        }
    }
    Ok(lag)
}

/// Trains the GRU and the PWM on the same data and evaluates both on held-out windows.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let (xs, ys, _) = dataset(cfg.n_train, cfg.seed);
    let (xt, yt, kt) = dataset(cfg.n_test, cfg.seed + 1000);
    let labels: Vec<bool> = yt.iter().map(|&y| y > 0.5).collect();

    let mut net: Net = SpliceGru::new(&dev, cfg.seed);
    let grad_lag_init = grad_by_lag(&dev, &net, &xt, &yt)?;
    let mut opt = Adam::new(cfg.lr);
    let mut loss_curve = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let order = shapegrad::data::shuffled_indices(
            cfg.n_train,
            shapegrad::data::epoch_seed(cfg.seed, epoch as u64),
        );
        let mut sum = 0.0;
        let mut count = 0;
        for idx in order.chunks(cfg.batch) {
            let h0 = dev.tensor_from_vec(vec![0.0f32; idx.len() * 24], (idx.len(), Const::<24>));
            let y = dev.tensor_from_vec(idx.iter().map(|&i| ys[i]).collect(), (idx.len(), Const::<1>));
            let (l, g) = net.loss_and_grad(&one_hot(&dev, &xs, idx), &h0, &y)?;
            sum += l as f64;
            count += 1;
            opt.step(&mut net, &g)?;
        }
        loss_curve.push(sum / count as f64);
    }
    let grad_lag_trained = grad_by_lag(&dev, &net, &xt, &yt)?;

    let s_rnn = logits(&dev, &net, &xt)?;
    let pwm = fit_pwm(&xs, &ys);
    let s_pwm: Vec<f64> = xt.iter().map(|x| pwm_score(&pwm, x)).collect();
    // PWM threshold: the best accuracy on the training set.
    let train_pwm: Vec<f64> = xs.iter().map(|x| pwm_score(&pwm, x)).collect();
    let mut cands = train_pwm.clone();
    cands.sort_by(f64::total_cmp);
    let acc_at = |s: &[f64], y: &[bool], th: f64| {
        s.iter().zip(y).filter(|(&s, &y)| (s > th) == y).count() as f64 / s.len() as f64
    };
    let train_labels: Vec<bool> = ys.iter().map(|&y| y > 0.5).collect();
    let th = cands
        .iter()
        .step_by((cands.len() / 400).max(1))
        .copied()
        .max_by(|&a, &b| {
            acc_at(&train_pwm, &train_labels, a).total_cmp(&acc_at(&train_pwm, &train_labels, b))
        })
        .unwrap_or(0.0);

    let mimic: Vec<usize> = (0..xt.len()).filter(|&i| kt[i] != Kind::Background).collect();
    let sub = |s: &[f64]| -> Vec<f64> { mimic.iter().map(|&i| s[i]).collect() };
    let sub_labels: Vec<bool> = mimic.iter().map(|&i| labels[i]).collect();
    Ok(Report {
        rnn_accuracy: acc_at(&s_rnn, &labels, 0.0),
        rnn_auc: auc(&s_rnn, &labels),
        pwm_accuracy: acc_at(&s_pwm, &labels, th),
        pwm_auc: auc(&s_pwm, &labels),
        rnn_auc_mimics: auc(&sub(&s_rnn), &sub_labels),
        pwm_auc_mimics: auc(&sub(&s_pwm), &sub_labels),
        rnn_roc: roc(&s_rnn, &labels),
        pwm_roc: roc(&s_pwm, &labels),
        loss_curve,
        grad_lag_init,
        grad_lag_trained,
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    println!(
        "donor splice sites: {} training windows of {WINDOW} bases, GRU (H = 24) by BPTT, {} epochs",
        cfg.n_train, cfg.epochs
    );
    let start = std::time::Instant::now();
    let r = run(&cfg)?;
    println!(
        "\n{:<22} {:>9} {:>9} {:>16}",
        "model", "accuracy", "ROC AUC", "AUC vs mimics"
    );
    println!(
        "{:<22} {:>8.2}% {:>9.4} {:>16.4}",
        "GRU (scan, BPTT)",
        100.0 * r.rnn_accuracy,
        r.rnn_auc,
        r.rnn_auc_mimics
    );
    println!(
        "{:<22} {:>8.2}% {:>9.4} {:>16.4}",
        "PWM log-odds",
        100.0 * r.pwm_accuracy,
        r.pwm_auc,
        r.pwm_auc_mimics
    );
    println!(
        "training BCE per epoch: {:.4} -> {:.4}",
        r.loss_curve[0],
        r.loss_curve[r.loss_curve.len() - 1]
    );
    println!("mean ‖∂L/∂x_t‖ by lag (0 = last base read):");
    println!("{:>4} {:>12} {:>12}", "lag", "init", "trained");
    for k in 0..WINDOW {
        println!(
            "{k:>4} {:>12.3e} {:>12.3e}",
            r.grad_lag_init[k], r.grad_lag_trained[k]
        );
    }
    println!("(wall time {:.1} s)", start.elapsed().as_secs_f64());

    let out = plot::results_dir("results", "splice_sites")?;
    let p = plot::line(
        &out,
        "roc.svg",
        &Figure::new("Held-out ROC: donor sites vs decoy GTs")
            .labels("false positive rate", "true positive rate"),
        &[
            Series::new(format!("GRU (AUC {:.3})", r.rnn_auc), r.rnn_roc.clone()),
            Series::new(format!("PWM (AUC {:.3})", r.pwm_auc), r.pwm_roc.clone()),
            Series::new("chance", vec![(0.0, 0.0), (1.0, 1.0)]),
        ],
    )?;
    println!("figure: {}", p.display());
    let lag_series = |name: &str, v: &[f64]| {
        Series::new(name, v.iter().enumerate().map(|(k, &g)| (k as f64, g)).collect())
    };
    let p = plot::line(
        &out,
        "grad_vs_lag.svg",
        &Figure::new("What BPTT sees: ‖∂L/∂x_t‖ vs lag from the readout")
            .labels("lag T−1−t (bases before the last)", "mean gradient norm")
            .log_y(true),
        &[
            lag_series("at initialization", &r.grad_lag_init),
            lag_series("after training", &r.grad_lag_trained),
        ],
    )?;
    println!("figure: {}", p.display());
    let p = plot::line(
        &out,
        "loss.svg",
        &Figure::new("GRU training loss")
            .labels("epoch", "mean BCE")
            .log_y(true),
        &[Series::from_ys("train", &r.loss_curve)],
    )?;
    println!("figure: {}", p.display());
    Ok(())
}
