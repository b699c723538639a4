//! Recursive forecasting of a portfolio's carbon footprint.
//!
//! An investor's financed emissions are Σᵢ wᵢ·Eᵢ: the holdings' shares wᵢ of each company's
//! emissions Eᵢ. Forecasting them a few years ahead means forecasting each company's emissions.
//! We synthesize a panel of companies in four sectors over 41 years: log-emissions grow with
//! the company's revenue growth (an AR(1) covariate; the forecasts are conditional on its path,
//! as scenario forecasts are — here the realized path is the scenario), follow a
//! sector trend that bends during a decarbonization transition (a logistic in time, different
//! per sector), and carry momentum (AR(1) deviations) and noise. A small network, written in the
//! DSL, maps lagged emission growth rates plus covariates to next year's growth rate; it is
//! trained on years up to 30, then rolled forward recursively — each predicted growth rate
//! becomes an input of the next step — from origins 30…35 for 5 years. Baselines: persistence
//! (Ê_{t+h} = E_t) and a linear trend of log-emissions over the last 8 years.
//!
//! `cargo run --release --example carbon_forecast` writes `results/carbon_forecast/`.

use shapegrad::optim::{Adam, Optimizer};
use shapegrad::plot::{self, Figure, Series};
use shapegrad::prelude::*;

/// Lagged growth rates the forecaster sees.
pub const LAGS: usize = 4;
/// Features: LAGS growth rates, revenue growth of the target year and of the last year.
/// (No sector one-hot: it would let the network learn each sector's *average* growth over the
/// training years, which is biased once a transition bends the trend; the lags carry the
/// current regime.)
pub const FEATURES: usize = LAGS + 2;
/// Growth rates and covariates are divided by this before entering the network.
const SCALE: f64 = 0.05;

shapegrad::model! {
    /// One-step forecaster of the next log-emission growth rate: a tanh MLP plus a linear skip.
    pub struct Forecaster {
        dims { B: batch, F = 6, H = 32 }
        params {
            w1: [F, H] = glorot, b1: [H] = zeros, w2: [H, H] = glorot, b2: [H] = zeros,
            w3: [H, 1] = glorot, b3: [1] = zeros, wl: [F, 1] = zeros
        }
        fn forward(x: [B, F]) -> [B, 1] { tanh(tanh(x @ w1 + b1) @ w2 + b2) @ w3 + b3 + x @ wl }
        fn loss(x: [B, F], y: [B, 1]) -> [] { mse(forward(x), y) }
    }
}

/// Experiment size.
#[derive(Debug, Clone)]
pub struct Config {
    /// Companies in the panel (and the portfolio).
    pub companies: usize,
    /// Years 0..years.
    pub years: usize,
    /// Last year whose emissions are used in training.
    pub train_end: usize,
    /// First and last forecast origin (held-out).
    pub origins: (usize, usize),
    /// Forecast horizon in years.
    pub horizon: usize,
    /// Adam epochs over the training windows.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Learning rate.
    pub lr: f64,
    /// Seed.
    pub seed: u64,
}

impl Config {
    /// The run in the book.
    pub fn full() -> Self {
        Self {
            companies: 40,
            years: 41,
            train_end: 30,
            origins: (30, 35),
            horizon: 5,
            epochs: 300,
            batch: 64,
            lr: 3e-3,
            seed: 11,
        }
    }
    /// The test's run.
    pub fn reduced() -> Self {
        Self {
            companies: 24,
            epochs: 150,
            ..Self::full()
        }
    }
}

/// The synthetic panel.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Sector of each company (0 utilities, 1 materials, 2 energy, 3 services).
    pub sector: Vec<usize>,
    /// Emissions `[company][year]` (Mt CO₂e).
    pub emissions: Vec<Vec<f64>>,
    /// Announced revenue growth `[company][year]`.
    pub growth: Vec<Vec<f64>>,
    /// Portfolio weights (shares of each company held).
    pub weights: Vec<f64>,
}

/// splitmix64 with Box–Muller normals.
struct Rng(u64);
impl Rng {
    fn uniform(&mut self) -> f64 {
        let z = shapegrad::data::splitmix64(&mut self.0);
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Sector trend of log-emission growth in year t: a base rate bending through a logistic
/// transition (centre, width and size per sector).
pub fn sector_trend(s: usize, t: f64) -> f64 {
    // (base, change, centre, width)
    const P: [(f64, f64, f64, f64); 4] = [
        (0.01, -0.07, 18.0, 2.5), // utilities: coal exit
        (0.02, -0.04, 21.0, 3.0), // materials
        (0.00, -0.05, 16.0, 2.0), // energy
        (0.04, -0.06, 20.0, 3.0), // services: growth, then efficiency
    ];
    let (a, b, c, w) = P[s];
    a + b / (1.0 + (-(t - c) / w).exp())
}

/// The panel of `companies` × `years`.
pub fn panel(companies: usize, years: usize, seed: u64) -> Panel {
    let mut rng = Rng(seed ^ 0x1234_5678_9ABC_DEF0);
    let mut sector = Vec::new();
    let mut emissions = Vec::new();
    let mut growth = Vec::new();
    let mut weights = Vec::new();
    const BASE: [f64; 4] = [3.5, 2.5, 3.0, 0.5]; // ln Mt
    const ELASTICITY: [f64; 4] = [0.6, 0.9, 0.8, 0.5];
    const MEAN_GROWTH: [f64; 4] = [0.02, 0.03, 0.02, 0.06];
    for i in 0..companies {
        let s = i % 4;
        let mut g = vec![0.0; years];
        g[0] = MEAN_GROWTH[s] + 0.03 * rng.normal();
        for t in 1..years {
            g[t] = MEAN_GROWTH[s] + 0.6 * (g[t - 1] - MEAN_GROWTH[s]) + 0.035 * rng.normal();
        }
        let mut le = vec![0.0; years];
        le[0] = BASE[s] + 0.5 * rng.normal();
        let mut dev = 0.0;
        for t in 1..years {
            dev = 0.5 * dev + 0.015 * rng.normal();
            le[t] = le[t - 1] + sector_trend(s, t as f64) + ELASTICITY[s] * (g[t] - MEAN_GROWTH[s]) + dev;
        }
        sector.push(s);
        emissions.push(le.iter().map(|v| v.exp()).collect());
        growth.push(g);
        weights.push(0.01 + 0.04 * rng.uniform());
    }
    Panel {
        sector,
        emissions,
        growth,
        weights,
    }
}

/// Features for predicting the growth rate of year t+1 from growth rates `d` (d[k] = ln E_k −
/// ln E_{k−1}, given for k ≤ t) and the covariates.
fn features(p: &Panel, i: usize, d: &[f64], t: usize) -> [f32; FEATURES] {
    let mut f = [0.0f32; FEATURES];
    for k in 0..LAGS {
        f[k] = (d[t - k] / SCALE) as f32;
    }
    f[LAGS] = (p.growth[i][t + 1] / SCALE) as f32;
    f[LAGS + 1] = (p.growth[i][t] / SCALE) as f32;
    f
}

fn growth_rates(e: &[f64]) -> Vec<f64> {
    let mut d = vec![0.0; e.len()];
    for k in 1..e.len() {
        d[k] = (e[k] / e[k - 1]).ln();
    }
    d
}

/// Forecasts of one company from origin t0 for `h` years, three ways.
pub struct Forecasts {
    /// The network, rolled forward recursively.
    pub model: Vec<f64>,
    /// Ê = E_{t0}.
    pub persistence: Vec<f64>,
    /// Log-linear trend over the last 8 years.
    pub trend: Vec<f64>,
}

fn forecast(
    dev: &Cpu,
    net: &Forecaster<f32, Cpu>,
    p: &Panel,
    i: usize,
    t0: usize,
    h: usize,
) -> shapegrad::Result<Forecasts> {
    let e = &p.emissions[i];
    // Only data up to t0 is used: growth rates d_k for k ≤ t0, then predictions.
    let mut d = growth_rates(&e[..=t0]);
    let mut level = e[t0].ln();
    let mut model = Vec::with_capacity(h);
    for step in 0..h {
        let t = t0 + step;
        let x = shapegrad::data::tensor_from_rows(dev, &[features(p, i, &d, t)]);
        let next = net.forward(&x)?.as_vec()[0] as f64 * SCALE;
        d.push(next);
        level += next;
        model.push(level.exp());
    }
    // Ordinary least squares of ln E on year over t0−7..=t0.
    let ys: Vec<(f64, f64)> = (t0 - 7..=t0).map(|t| (t as f64, e[t].ln())).collect();
    let n = ys.len() as f64;
    let mx = ys.iter().map(|p| p.0).sum::<f64>() / n;
    let my = ys.iter().map(|p| p.1).sum::<f64>() / n;
    let slope = ys.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / ys.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    let trend = (1..=h)
        .map(|k| (my + slope * ((t0 + k) as f64 - mx)).exp())
        .collect();
    Ok(Forecasts {
        model,
        persistence: vec![e[t0]; h],
        trend,
    })
}

/// Everything `main` prints and plots.
#[derive(Debug, Clone)]
pub struct Report {
    /// MAPE (%) per horizon over companies × origins: network.
    pub mape_model: Vec<f64>,
    /// Persistence.
    pub mape_persistence: Vec<f64>,
    /// Linear trend.
    pub mape_trend: Vec<f64>,
    /// Portfolio-level MAPE per horizon over origins: network, persistence, trend.
    pub portfolio_mape: [Vec<f64>; 3],
    /// One-step training MSE (scaled units) per epoch.
    pub loss_curve: Vec<f64>,
    /// Portfolio footprint by year (history).
    pub portfolio: Vec<f64>,
    /// Portfolio forecasts from the last origin: network, persistence, trend.
    pub last_forecasts: [Vec<f64>; 3],
    /// Number of training windows.
    pub n_windows: usize,
}

/// Generates the panel, trains the forecaster and evaluates it and the baselines.
pub fn run(cfg: &Config) -> shapegrad::Result<Report> {
    let dev = Cpu::default();
    let p = panel(cfg.companies, cfg.years, cfg.seed);
    // Training windows: targets d_{t+1} with t + 1 ≤ train_end.
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for i in 0..cfg.companies {
        let d = growth_rates(&p.emissions[i]);
        for t in LAGS..cfg.train_end {
            xs.push(features(&p, i, &d, t));
            ys.push([(d[t + 1] / SCALE) as f32]);
        }
    }
    let mut net: Forecaster<f32, Cpu> = Forecaster::new(&dev, cfg.seed);
    let mut opt = Adam::new(cfg.lr);
    let mut loss_curve = Vec::with_capacity(cfg.epochs);
    for epoch in 0..cfg.epochs {
        let order =
            shapegrad::data::shuffled_indices(xs.len(), shapegrad::data::epoch_seed(cfg.seed, epoch as u64));
        let (mut sum, mut n) = (0.0, 0);
        for idx in order.chunks(cfg.batch) {
            let x = shapegrad::data::batch_from_rows(&dev, &xs, idx)?;
            let y = shapegrad::data::batch_from_rows(&dev, &ys, idx)?;
            let (l, g) = net.loss_and_grad(&x, &y)?;
            sum += l as f64;
            n += 1;
            opt.step(&mut net, &g)?;
        }
        loss_curve.push(sum / n as f64);
    }

    let h = cfg.horizon;
    let mut err = [vec![0.0; h], vec![0.0; h], vec![0.0; h]];
    let mut perr = [vec![0.0; h], vec![0.0; h], vec![0.0; h]];
    let mut last_forecasts = [vec![0.0; h], vec![0.0; h], vec![0.0; h]];
    let origins: Vec<usize> = (cfg.origins.0..=cfg.origins.1).collect();
    for &t0 in &origins {
        let mut port = [vec![0.0; h], vec![0.0; h], vec![0.0; h]];
        for i in 0..cfg.companies {
            let f = forecast(&dev, &net, &p, i, t0, h)?;
            for (k, way) in [&f.model, &f.persistence, &f.trend].into_iter().enumerate() {
                for s in 0..h {
                    let truth = p.emissions[i][t0 + 1 + s];
                    err[k][s] += (way[s] - truth).abs() / truth;
                    port[k][s] += p.weights[i] * way[s];
                }
            }
        }
        for k in 0..3 {
            for s in 0..h {
                let truth: f64 = (0..cfg.companies)
                    .map(|i| p.weights[i] * p.emissions[i][t0 + 1 + s])
                    .sum();
                perr[k][s] += (port[k][s] - truth).abs() / truth;
            }
        }
        if t0 == cfg.origins.1 {
            last_forecasts = port;
        }
    }
    let nf = (origins.len() * cfg.companies) as f64;
    let pct = |v: &Vec<f64>, n: f64| v.iter().map(|e| 100.0 * e / n).collect::<Vec<f64>>();
    let portfolio = (0..cfg.years)
        .map(|t| (0..cfg.companies).map(|i| p.weights[i] * p.emissions[i][t]).sum())
        .collect();
    let no = origins.len() as f64;
    Ok(Report {
        mape_model: pct(&err[0], nf),
        mape_persistence: pct(&err[1], nf),
        mape_trend: pct(&err[2], nf),
        portfolio_mape: [pct(&perr[0], no), pct(&perr[1], no), pct(&perr[2], no)],
        loss_curve,
        portfolio,
        last_forecasts,
        n_windows: xs.len(),
    })
}

fn main() -> shapegrad::Result<()> {
    let cfg = Config::full();
    println!(
        "carbon footprint panel: {} companies × {} years; trained on years ≤ {}, forecasts from origins {}..={} for {} years",
        cfg.companies, cfg.years, cfg.train_end, cfg.origins.0, cfg.origins.1, cfg.horizon
    );
    let start = std::time::Instant::now();
    let r = run(&cfg)?;
    println!(
        "{} training windows; one-step MSE (scaled) {:.4} -> {:.4}",
        r.n_windows,
        r.loss_curve[0],
        r.loss_curve[r.loss_curve.len() - 1]
    );
    println!(
        "\n{:>7} | {:>9} {:>11} {:>9} | {:>14} {:>11} {:>9}",
        "horizon", "network", "persistence", "trend", "portf. network", "persistence", "trend"
    );
    for s in 0..cfg.horizon {
        println!(
            "{:>7} | {:>8.2}% {:>10.2}% {:>8.2}% | {:>13.2}% {:>10.2}% {:>8.2}%",
            s + 1,
            r.mape_model[s],
            r.mape_persistence[s],
            r.mape_trend[s],
            r.portfolio_mape[0][s],
            r.portfolio_mape[1][s],
            r.portfolio_mape[2][s]
        );
    }
    println!("(company MAPE over companies × origins; portfolio MAPE over origins)");
    println!("(wall time {:.1} s)", start.elapsed().as_secs_f64());

    let out = plot::results_dir("results", "carbon_forecast")?;
    let t0 = cfg.origins.1;
    let fc = |name: &str, v: &[f64]| {
        let mut pts = vec![(t0 as f64, r.portfolio[t0])];
        pts.extend(v.iter().enumerate().map(|(s, &y)| ((t0 + 1 + s) as f64, y)));
        Series::new(name, pts)
    };
    let p = plot::line(
        &out,
        "portfolio.svg",
        &Figure::new(format!(
            "Portfolio financed emissions: history and 5-year forecasts from year {t0}"
        ))
        .labels("year", "financed emissions (Mt CO₂e)"),
        &[
            Series::from_ys("history", &r.portfolio),
            fc("network (recursive)", &r.last_forecasts[0]),
            fc("persistence", &r.last_forecasts[1]),
            fc("linear trend", &r.last_forecasts[2]),
        ],
    )?;
    println!("figure: {}", p.display());
    let hs = |name: &str, v: &[f64]| {
        Series::new(
            name,
            v.iter().enumerate().map(|(s, &y)| ((s + 1) as f64, y)).collect(),
        )
    };
    let p = plot::line(
        &out,
        "mape.svg",
        &Figure::new("Company-level MAPE by horizon (held-out years)").labels("horizon (years)", "MAPE (%)"),
        &[
            hs("network", &r.mape_model),
            hs("persistence", &r.mape_persistence),
            hs("linear trend", &r.mape_trend),
        ],
    )?;
    println!("figure: {}", p.display());
    Ok(())
}
