//! Reverse-engineering the local rule of an elementary cellular automaton.
//!
//! An elementary cellular automaton (ECA) updates every cell of a ring from its 3-cell
//! neighbourhood (left, centre, right) by one of 256 rules; Wolfram's rule number lists the new
//! value of the 8 neighbourhoods `111, 110, …, 000` as the bits of a byte. We observe
//! trajectories of rules 30 (chaotic), 90 (additive, XOR of the neighbours) and 110 (universal)
//! on a ring of 64 cells and learn the rule with ONE small network shared by all cells: it sees
//! a cell's neighbourhood and returns the probability that the cell is alive at the next step.
//! The network is unrolled over several steps with `scan_all` (its own output is the next
//! step's input: soft states) and trained by backpropagation through time against the observed
//! trajectory. Then we read the learned table from the network and run it freely (rounding each
//! step) from initial states it never saw, for 32 steps.
//!
//! `cargo run --release --example cellular_automaton` writes `results/cellular_automaton/`.

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::plot::{self, Figure, Grid, Series};
use shapegrad::prelude::*;

/// Cells on the ring (a const of the model).
pub const CELLS: usize = 64;

shapegrad::model! {
    /// One local network over each 3-cell neighbourhood of a ring, shared by all cells.
    pub struct LocalRule {
        dims { B: batch, T: batch, N = 64, H = 16 }
        params { w1: [3, H] = normal(0.0, 1.0), b1: [H] = normal(0.0, 0.5), w2: [H, 1] = glorot, b2: [1] = zeros }
        /// Neighbourhoods of every cell of the ring: [B, N, 3] = (left, centre, right).
        fn neighbourhoods(s: [B, N]) -> [B, N, 3] {
            let left = concat(slice(s, axis = 1, 63..64), slice(s, axis = 1, 0..63), axis = 1);
            let right = concat(slice(s, axis = 1, 1..64), slice(s, axis = 1, 0..1), axis = 1);
            let lc = concat(reshape(left, [B, N, 1]), reshape(s, [B, N, 1]), axis = 2);
            concat(lc, reshape(right, [B, N, 1]), axis = 2)
        }
        /// Logit of "alive at the next step", cell by cell.
        fn logits(s: [B, N]) -> [B, N] {
            reshape(tanh(neighbourhoods(s) @ w1 + b1) @ w2 + b2, [B, N])
        }
        /// One step of the soft automaton; the scanned input only carries time.
        fn step(s: [B, N], t: [B, 1]) -> [B, N] { sigmoid(logits(s) + 0.0 * t) }
        /// Binary cross-entropy of the unrolled soft trajectory against the observed one.
        fn loss(s0: [B, N], ts: [B, T, 1], ys: [B, T, N]) -> [] {
            let p = scan_all(step, ts, s0, axis = 1);
            -mean(ys * ln(p + 1e-6) + (1.0 - ys) * ln(1.0 - p + 1e-6))
        }
    }
}

/// Experiment size.
#[derive(Debug, Clone)]
pub struct Config {
    /// Wolfram rule numbers to learn.
    pub rules: Vec<u8>,
    /// Training trajectories (random initial states).
    pub batch: usize,
    /// Steps unrolled by `scan_all` (BPTT length).
    pub unroll: usize,
    /// Adam steps.
    pub steps: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Unseen initial states for the free-running test.
    pub test_states: usize,
    /// Free-running length.
    pub horizon: usize,
    /// Seed of data and initialization.
    pub seed: u64,
}

impl Config {
    /// The run in the book.
    pub fn full() -> Self {
        Self {
            rules: vec![30, 90, 110],
            batch: 64,
            unroll: 8,
            steps: 1500,
            lr: 0.03,
            test_states: 64,
            horizon: 32,
            seed: 1,
        }
    }
    /// The test's run: same code path, fewer trajectories and steps.
    pub fn reduced() -> Self {
        Self {
            rules: vec![30, 90, 110],
            batch: 24,
            unroll: 4,
            steps: 300,
            lr: 0.03,
            test_states: 16,
            horizon: 32,
            seed: 1,
        }
    }
}

/// Result for one rule.
#[derive(Debug, Clone)]
pub struct RuleResult {
    /// Wolfram number.
    pub rule: u8,
    /// Learned next value of neighbourhood k = 4l + 2c + r (bit k of the learned rule number).
    pub learned_table: [u8; 8],
    /// The learned probabilities behind the table.
    pub learned_prob: [f64; 8],
    /// The rule number the learned table spells.
    pub learned_rule: u8,
    /// Loss at the first and the last step.
    pub first_loss: f64,
    /// Loss after training.
    pub last_loss: f64,
    /// Loss per training step.
    pub loss_curve: Vec<f64>,
    /// Unseen initial states whose `horizon`-step free run matched the true rule exactly.
    pub exact_runs: usize,
    /// Number of free runs.
    pub runs: usize,
    /// Wrong cells over all free runs.
    pub wrong_cells: usize,
    /// True and predicted space-time diagram of the first free run (`horizon + 1` rows).
    pub example_true: Vec<Vec<u8>>,
    /// The learned rule's diagram from the same initial state.
    pub example_pred: Vec<Vec<u8>>,
}

/// Everything `main` prints.
#[derive(Debug, Clone)]
pub struct Report {
    /// One entry per rule of the config.
    pub rules: Vec<RuleResult>,
}

/// One exact ECA step on a ring.
pub fn eca_step(rule: u8, s: &[u8]) -> Vec<u8> {
    let n = s.len();
    (0..n)
        .map(|i| {
            let k = 4 * s[(i + n - 1) % n] + 2 * s[i] + s[(i + 1) % n];
            (rule >> k) & 1
        })
        .collect()
}

/// `steps` exact steps; returns the states after each step (not the initial one).
pub fn eca_run(rule: u8, s0: &[u8], steps: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(steps);
    let mut s = s0.to_vec();
    for _ in 0..steps {
        s = eca_step(rule, &s);
        out.push(s.clone());
    }
    out
}

/// A small seeded generator (splitmix64), so data do not depend on a crate's stream.
pub struct Rng(u64);
impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        shapegrad::data::splitmix64(&mut self.0)
    }
    /// A random ring state with density 1/2.
    pub fn state(&mut self) -> Vec<u8> {
        (0..CELLS).map(|_| (self.next_u64() >> 63) as u8).collect()
    }
}

type Model = LocalRule<f32, Cpu>;

/// The learned table: the de Bruijn word 00010111 holds all 8 neighbourhoods cyclically; tiled
/// eight times it is a ring of 64 cells whose cell i+1 sees neighbourhood (w[i], w[i+1], w[i+2]).
fn read_table(dev: &Cpu, m: &Model) -> shapegrad::Result<([u8; 8], [f64; 8])> {
    let word = [0u8, 0, 0, 1, 0, 1, 1, 1];
    let s: Vec<u8> = (0..CELLS).map(|i| word[i % 8]).collect();
    let p = m
        .step(
            &dev.tensor_from_vec(s.iter().map(|&v| v as f32).collect(), (1usize, Const::<CELLS>)),
            &dev.tensor_from_vec(vec![0.0f32], (1usize, Const::<1>)),
        )?
        .as_vec();
    let mut table = [0u8; 8];
    let mut prob = [0f64; 8];
    for i in 0..8 {
        let k = 4 * s[i] + 2 * s[i + 1] + s[i + 2];
        prob[k as usize] = p[i + 1] as f64;
        table[k as usize] = u8::from(p[i + 1] > 0.5);
    }
    Ok((table, prob))
}

/// Free run of the learned rule from binary states: the network's step, rounded each step.
fn free_run(dev: &Cpu, m: &Model, s0: &[Vec<u8>], steps: usize) -> shapegrad::Result<Vec<Vec<Vec<u8>>>> {
    let b = s0.len();
    let mut s: Vec<f32> = s0.iter().flatten().map(|&v| v as f32).collect();
    let t = dev.tensor_from_vec(vec![0.0f32; b], (b, Const::<1>));
    let mut out = vec![Vec::with_capacity(steps); b];
    for _ in 0..steps {
        let p = m
            .step(&dev.tensor_from_vec(s.clone(), (b, Const::<CELLS>)), &t)?
            .as_vec();
        s = p.iter().map(|&v| if v > 0.5 { 1.0 } else { 0.0 }).collect();
        for (j, run) in out.iter_mut().enumerate() {
            run.push(s[j * CELLS..(j + 1) * CELLS].iter().map(|&v| v as u8).collect());
        }
    }
    Ok(out)
}

/// Learns one rule.
pub fn learn_rule(cfg: &Config, rule: u8) -> shapegrad::Result<RuleResult> {
    let dev = Cpu::default();
    let mut rng = Rng::new(cfg.seed.wrapping_mul(1000) + rule as u64);
    let (b, t) = (cfg.batch, cfg.unroll);
    let mut s0 = Vec::with_capacity(b * CELLS);
    let mut ys = Vec::with_capacity(b * t * CELLS);
    for _ in 0..b {
        let s = rng.state();
        for row in eca_run(rule, &s, t) {
            ys.extend(row.iter().map(|&v| v as f32));
        }
        s0.extend(s.iter().map(|&v| v as f32));
    }
    let s0 = dev.tensor_from_vec(s0, (b, Const::<CELLS>));
    let ts = dev.tensor_from_vec(vec![0.0f32; b * t], (b, t, Const::<1>));
    let ys = dev.tensor_from_vec(ys, (b, t, Const::<CELLS>));

    let mut m: Model = LocalRule::new(&dev, cfg.seed + rule as u64);
    let mut opt = Adam::new(cfg.lr);
    let mut curve = Vec::with_capacity(cfg.steps);
    for _ in 0..cfg.steps {
        let (l, g) = m.loss_and_grad(&s0, &ts, &ys)?;
        curve.push(l as f64);
        opt.step(&mut m, &g)?;
    }
    let last_loss = m.loss(&s0, &ts, &ys)? as f64;

    let (learned_table, learned_prob) = read_table(&dev, &m)?;
    let learned_rule = (0..8).fold(0u8, |acc, k| acc | (learned_table[k] << k));

    // Unseen initial states: a different stream.
    let mut test_rng = Rng::new(cfg.seed.wrapping_mul(7919) + 17 + rule as u64);
    let starts: Vec<Vec<u8>> = (0..cfg.test_states).map(|_| test_rng.state()).collect();
    let pred = free_run(&dev, &m, &starts, cfg.horizon)?;
    let mut exact_runs = 0;
    let mut wrong_cells = 0;
    let mut example_true = Vec::new();
    let mut example_pred = Vec::new();
    for (j, s) in starts.iter().enumerate() {
        let truth = eca_run(rule, s, cfg.horizon);
        let wrong: usize = truth
            .iter()
            .zip(&pred[j])
            .map(|(a, b)| a.iter().zip(b).filter(|(x, y)| x != y).count())
            .sum();
        wrong_cells += wrong;
        exact_runs += usize::from(wrong == 0);
        if j == 0 {
            example_true = std::iter::once(s.clone()).chain(truth).collect();
            example_pred = std::iter::once(s.clone()).chain(pred[0].clone()).collect();
        }
    }
    Ok(RuleResult {
        rule,
        learned_table,
        learned_prob,
        learned_rule,
        first_loss: curve.first().copied().unwrap_or(f64::NAN),
        last_loss,
        loss_curve: curve,
        exact_runs,
        runs: cfg.test_states,
        wrong_cells,
        example_true,
        example_pred,
    })
}

/// Learns every rule of the config.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let rules = cfg
        .rules
        .iter()
        .map(|&r| learn_rule(cfg, r))
        .collect::<shapegrad::Result<Vec<_>>>()?;
    Ok(Report { rules })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    println!(
        "learning elementary CA rules on a ring of {CELLS} cells: {} trajectories, BPTT over {} steps, {} Adam steps",
        cfg.batch, cfg.unroll, cfg.steps
    );
    let start = std::time::Instant::now();
    let report = run(&cfg)?;
    let out = plot::results_dir("results", "cellular_automaton")?;
    println!(
        "\n{:>5} {:>8} {:>10} {:>10} {:>24} {:>12} {:>11}",
        "rule", "learned", "first BCE", "last BCE", "table 111..000 (p)", "exact runs", "wrong cells"
    );
    for r in &report.rules {
        let table: String = (0..8)
            .rev()
            .map(|k| char::from(b'0' + r.learned_table[k]))
            .collect();
        let pmin = (0..8)
            .map(|k| {
                if r.learned_table[k] == 1 {
                    r.learned_prob[k]
                } else {
                    1.0 - r.learned_prob[k]
                }
            })
            .fold(1.0, f64::min);
        println!(
            "{:>5} {:>8} {:>10.4} {:>10.2e} {:>14} (≥{:.4}) {:>7}/{:<4} {:>11}",
            r.rule,
            r.learned_rule,
            r.first_loss,
            r.last_loss,
            table,
            pmin,
            r.exact_runs,
            r.runs,
            r.wrong_cells
        );
    }
    println!("(wall time {:.1} s)", start.elapsed().as_secs_f64());

    let curves: Vec<Series> = report
        .rules
        .iter()
        .map(|r| Series::from_ys(format!("rule {}", r.rule), &r.loss_curve))
        .collect();
    let p = plot::line(
        &out,
        "loss.svg",
        &Figure::new("BPTT training of the shared local rule")
            .labels("Adam step", "binary cross-entropy")
            .log_y(true),
        &curves,
    )?;
    println!("figure: {}", p.display());
    for r in &report.rules {
        // True | gap | learned, rows = time.
        let rows = r.example_true.len();
        let cols = 2 * CELLS + 2;
        let mut v = Vec::with_capacity(rows * cols);
        for t in (0..rows).rev() {
            v.extend(r.example_true[t].iter().map(|&x| x as f64));
            v.extend([f64::NAN, f64::NAN]);
            v.extend(r.example_pred[t].iter().map(|&x| x as f64));
        }
        let p = plot::heatmap(
            &out,
            &format!("rule{}.svg", r.rule),
            &Figure::new(format!(
                "rule {}: true (left) and learned free run (right), unseen start",
                r.rule
            ))
            .labels("cell (true | learned)", "− time step")
            .size(900, 360),
            &Grid::new(rows, cols, v).extent((0.0, cols as f64), (-(rows as f64), 0.0)),
        )?;
        println!("figure: {}", p.display());
    }
    Ok(())
}
