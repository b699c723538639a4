//! Optimizer acceptance tests: every optimizer on a convex quadratic and on the 2-D Rosenbrock
//! function; iteration order Newton < L-BFGS < Adam on Rosenbrock; L-BFGS against an
//! independently computed conjugate-gradient trajectory; per-entry learning rates.

mod train_fixture;

use shapegrad_runtime::dfdx::tensor::Cpu;
use shapegrad_runtime::optim::*;
use shapegrad_runtime::params::{set_flat, to_flat};
use shapegrad_runtime::{Error, Model};
use train_fixture::*;

const START: [f64; 2] = [-1.2, 1.0];

/// Runs a first-order optimizer on the bowl until `f ≤ tol`; returns the steps taken.
fn bowl_steps<O: Optimizer>(mut opt: O, sched: Option<&dyn LrSchedule>, tol: f64, max: usize) -> usize {
    let dev = Cpu::default();
    let bowl = Bowl::standard();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[0.0; BAG_P]);
    for k in 0..max {
        let (f, g) = bowl.loss_and_grad(&m).unwrap();
        if f <= tol {
            return k;
        }
        if let Some(s) = sched {
            opt.set_lr(s.lr(k as u64));
        }
        opt.step(&mut m, &g).unwrap();
    }
    panic!(
        "did not reach f <= {tol} in {max} steps: f = {}",
        bowl.loss_and_grad(&m).unwrap().0
    );
}

#[test]
fn first_order_optimizers_minimize_a_convex_quadratic() {
    let tol = 1e-10;
    // Adaptive methods orbit the minimum at a distance set by the rate; a decaying schedule
    // lets them reach a tight tolerance.
    let cos = |base| Cosine::new(base, 0.0, 3000);
    let results = [
        ("sgd", bowl_steps(Sgd::new(0.15), None, tol, 5000)),
        (
            "sgd+momentum",
            bowl_steps(Sgd::new(0.05).momentum(0.9), None, tol, 5000),
        ),
        (
            "sgd+nesterov",
            bowl_steps(Sgd::new(0.05).nesterov(0.9), None, tol, 5000),
        ),
        (
            "sgd+L2 decay 0",
            bowl_steps(Sgd::new(0.15).weight_decay(WeightDecay::L2(0.0)), None, tol, 5000),
        ),
        ("adam", bowl_steps(Adam::new(0.05), Some(&cos(0.05)), tol, 5000)),
        (
            "adamw (decay 0)",
            bowl_steps(Adam::adamw(0.05, 0.0), Some(&cos(0.05)), tol, 5000),
        ),
        (
            "rmsprop",
            bowl_steps(RmsProp::new(0.05), Some(&cos(0.05)), tol, 5000),
        ),
        (
            "rmsprop+momentum",
            bowl_steps(RmsProp::new(0.01).momentum(0.5), Some(&cos(0.01)), tol, 5000),
        ),
    ];
    for (name, k) in results {
        println!("quadratic: {name} reached f <= {tol:e} in {k} steps");
    }
}

/// First-order optimizer on Rosenbrock until ‖x − (1,1)‖ ≤ tol; returns the steps taken.
fn rosenbrock_steps<O: Optimizer>(mut opt: O, sched: Option<&dyn LrSchedule>, tol: f64, max: usize) -> usize {
    let dev = Cpu::default();
    let mut p: Point<f64, Cpu> = point(&dev, START[0], START[1]);
    for k in 0..max {
        if dist(&to_flat(&p), &[1.0, 1.0]) <= tol {
            return k;
        }
        let (_, g) = rosenbrock_model(&p).unwrap();
        if let Some(s) = sched {
            opt.set_lr(s.lr(k as u64));
        }
        opt.step(&mut p, &g).unwrap();
    }
    panic!(
        "did not reach |x - x*| <= {tol} in {max} steps: x = {:?}",
        to_flat(&p)
    );
}

#[test]
fn rosenbrock_newton_beats_lbfgs_beats_adam() {
    let tol = 1e-5;
    let mut obj = FnObjective::new(2, |x: &[f64]| Ok(rosenbrock(x)))
        .with_hessian(|x: &[f64]| Ok(rosenbrock_hessian(x)));
    let newton = Newton::default().minimize(&mut obj, &START).unwrap();
    let lbfgs = Lbfgs::default().minimize(&mut obj, &START).unwrap();
    assert!(newton.converged() && lbfgs.converged(), "{newton:?} {lbfgs:?}");
    assert!(dist(&newton.x, &[1.0, 1.0]) <= tol && dist(&lbfgs.x, &[1.0, 1.0]) <= tol);
    // Adam at a constant rate orbits the minimum at a distance set by the rate, so it gets
    // the cosine decay a practitioner would use (tuned: the best of a small grid).
    let adam = rosenbrock_steps(
        Adam::new(0.05),
        Some(&Cosine::new(0.05, 0.0, 20_000)),
        tol,
        100_000,
    );
    let sgd = rosenbrock_steps(Sgd::new(2e-3).momentum(0.9), None, tol, 100_000);
    let rms = rosenbrock_steps(
        RmsProp::new(1e-3),
        Some(&Cosine::new(1e-3, 0.0, 20_000)),
        tol,
        100_000,
    );
    println!(
        "rosenbrock from (-1.2, 1) to |x - x*| <= {tol:e}: newton {} iterations ({} evaluations), \
         lbfgs {} iterations ({} evaluations), adam {adam} steps, sgd+momentum {sgd} steps, rmsprop {rms} steps",
        newton.iterations, newton.evaluations, lbfgs.iterations, lbfgs.evaluations
    );
    assert!(
        newton.iterations < lbfgs.iterations,
        "newton {} vs lbfgs {}",
        newton.iterations,
        lbfgs.iterations
    );
    assert!(
        lbfgs.iterations < adam,
        "lbfgs {} vs adam {adam}",
        lbfgs.iterations
    );
}

#[test]
fn lbfgs_and_newton_minimize_a_convex_quadratic() {
    let bowl = Bowl::standard();
    let mut obj =
        FnObjective::new(BAG_P, |x: &[f64]| Ok(bowl.value_grad_flat(x))).with_hessian(|_: &[f64]| {
            let mut h = vec![0.0; BAG_P * BAG_P];
            (0..BAG_P).for_each(|i| h[i * BAG_P + i] = 1.0 + i as f64);
            Ok(h)
        });
    let x0 = vec![0.0; BAG_P];
    let l = Lbfgs::default().minimize(&mut obj, &x0).unwrap();
    let n = Newton::default().minimize(&mut obj, &x0).unwrap();
    println!(
        "quadratic: lbfgs {} iterations, newton {} iterations",
        l.iterations, n.iterations
    );
    for r in [&l, &n] {
        assert!(r.converged(), "{r:?}");
        assert!(dist(&r.x, &bowl.center) < 1e-8, "{r:?}");
    }
    // Damping 1e-3 shrinks the error by about λ/(λ + c) per step: a handful of iterations.
    assert!(n.iterations <= 6, "{n:?}");
}

/// Linear conjugate gradients on `½xᵀAx − bᵀx` from 0: the reference trajectory. With exact
/// line searches BFGS and L-BFGS (any memory ≥ 1, any scaling γI) generate the CG iterates on
/// a quadratic (Nocedal & Wright §7.2, §5.1), so L-BFGS run with a near-exact strong-Wolfe
/// search must reproduce them.
fn cg_iterates(a: &[f64], b: &[f64], n: usize) -> Vec<Vec<f64>> {
    let matvec = |v: &[f64]| {
        (0..n)
            .map(|i| (0..n).map(|j| a[i * n + j] * v[j]).sum())
            .collect::<Vec<f64>>()
    };
    let dotp = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let mut p = r.clone();
    let mut out = vec![x.clone()];
    for _ in 0..n {
        let ap = matvec(&p);
        let alpha = dotp(&r, &r) / dotp(&p, &ap);
        x.iter_mut().zip(&p).for_each(|(xi, pi)| *xi += alpha * pi);
        let r_new: Vec<f64> = r.iter().zip(&ap).map(|(ri, api)| ri - alpha * api).collect();
        let beta = dotp(&r_new, &r_new) / dotp(&r, &r);
        p = r_new.iter().zip(&p).map(|(ri, pi)| ri + beta * pi).collect();
        r = r_new;
        out.push(x.clone());
    }
    out
}

#[test]
fn lbfgs_matches_the_conjugate_gradient_trajectory_on_a_quadratic() {
    let n = 5;
    // A = MᵀM + I for a fixed M: SPD with distinct eigenvalues.
    let m: Vec<f64> = (0..n * n).map(|k| ((k * 7 % 11) as f64 - 5.0) / 3.0).collect();
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] =
                (0..n).map(|k| m[k * n + i] * m[k * n + j]).sum::<f64>() + if i == j { 1.0 } else { 0.0 };
        }
    }
    let b: Vec<f64> = (0..n).map(|i| 1.0 + i as f64 * 0.5).collect();
    let reference = cg_iterates(&a, &b, n);
    // First iterate by hand: steepest descent with the exact step x₁ = (bᵀb / bᵀAb) b.
    let ab: Vec<f64> = (0..n)
        .map(|i| (0..n).map(|j| a[i * n + j] * b[j]).sum())
        .collect();
    let t = b.iter().map(|v| v * v).sum::<f64>() / b.iter().zip(&ab).map(|(u, v)| u * v).sum::<f64>();
    assert!(dist(&reference[1], &b.iter().map(|v| t * v).collect::<Vec<_>>()) < 1e-12);

    let mut obj = FnObjective::new(n, |x: &[f64]| {
        let ax: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| a[i * n + j] * x[j]).sum())
            .collect();
        let f = 0.5 * x.iter().zip(&ax).map(|(u, v)| u * v).sum::<f64>()
            - x.iter().zip(&b).map(|(u, v)| u * v).sum::<f64>();
        Ok((f, ax.iter().zip(&b).map(|(u, v)| u - v).collect()))
    });
    for history in [1, 10] {
        let cfg = LbfgsConfig {
            history,
            gtol: 1e-9,
            line_search: StrongWolfe {
                c2: 1e-8,
                ..Default::default()
            },
            ..Default::default()
        };
        let mut path = Vec::new();
        let r = Lbfgs::new(cfg)
            .minimize_with(&mut obj, &vec![0.0; n], |it| {
                path.push(it.x.to_vec());
                true
            })
            .unwrap();
        assert!(r.converged(), "{r:?}");
        // Finite termination: n exact-line-search steps solve an n-dimensional quadratic.
        assert!(
            r.iterations <= n,
            "history {history}: {} iterations",
            r.iterations
        );
        for (k, (got, want)) in path.iter().zip(&reference).enumerate() {
            let scale = want.iter().map(|v| v.abs()).fold(1.0, f64::max);
            assert!(
                dist(got, want) <= 1e-10 * scale,
                "history {history}, iterate {k}: {got:?} vs CG {want:?}"
            );
        }
        println!("lbfgs (m = {history}) reproduced {} CG iterates", path.len() - 1);
    }
}

#[test]
fn newton_and_lbfgs_drive_a_model_through_the_adapter() {
    let dev = Cpu::default();
    let bowl = Bowl::standard();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[0.5; BAG_P]);
    let r = Lbfgs::default()
        .minimize_model(&mut m, |m: &Bag<f64, Cpu>| bowl.loss_and_grad(m))
        .unwrap();
    // L-BFGS may stop on the value test (f changes below 1e-15): x is then within ~1e-8.
    assert!(r.converged() && dist(&to_flat(&m), &bowl.center) < 1e-6, "{r:?}");

    let diag = |_: &Bag<f64, Cpu>| -> shapegrad_runtime::Result<Vec<f64>> {
        let mut h = vec![0.0; BAG_P * BAG_P];
        (0..BAG_P).for_each(|i| h[i * BAG_P + i] = 1.0 + i as f64);
        Ok(h)
    };
    set_flat(&mut m, &[0.5; BAG_P]).unwrap();
    let r = Newton::default()
        .minimize_model(&mut m, |m: &Bag<f64, Cpu>| bowl.loss_and_grad(m), diag)
        .unwrap();
    assert!(r.converged() && dist(&to_flat(&m), &bowl.center) < 1e-8, "{r:?}");

    // Until the macro derives Hessians, a finite-difference Hessian of the gradient works.
    set_flat(&mut m, &[0.5; BAG_P]).unwrap();
    let mut obj = FdHessian::new(
        ModelObjective::new(&mut m, |m: &Bag<f64, Cpu>| bowl.loss_and_grad(m)),
        1e-5,
    );
    let r = Newton::default().minimize(&mut obj, &[0.5; BAG_P]).unwrap();
    assert!(r.converged() && dist(&r.x, &bowl.center) < 1e-8, "{r:?}");
    obj.inner.finish(&r.x).unwrap();
    assert!(dist(&to_flat(&m), &bowl.center) < 1e-8);
}

#[test]
fn newton_refuses_a_model_whose_hessian_exceeds_the_memory_limit() {
    let dev = Cpu::default();
    let bowl = Bowl::standard();
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[0.5; BAG_P]);
    let before = to_flat(&m);
    let newton = Newton::new(NewtonConfig {
        max_hessian_bytes: 512,
        ..Default::default()
    });
    let hook_called = std::cell::Cell::new(false);
    let e = newton
        .minimize_model(
            &mut m,
            |m: &Bag<f64, Cpu>| bowl.loss_and_grad(m),
            |_: &Bag<f64, Cpu>| {
                hook_called.set(true);
                Ok(vec![])
            },
        )
        .unwrap_err()
        .to_string();
    println!("{e}");
    assert!(
        e.contains("P = 10") && e.contains("800 bytes") && e.contains("512 bytes"),
        "{e}"
    );
    assert!(!hook_called.get());
    assert_eq!(to_flat(&m), before);
}

#[test]
fn sgd_nesterov_and_adamw_follow_their_formulas() {
    let dev = Cpu::default();
    // Constant gradient g = 1 on every entry (bowl with curvature 0 would give 0; build grads by hand).
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[1.0; BAG_P]);
    let g: Bag<f64, Cpu> = Bag::from_flat(&dev, &[1.0; BAG_P]);
    let (lr, mu) = (0.1, 0.9);
    let mut opt = Sgd::new(lr).nesterov(mu);
    opt.step(&mut m, &g).unwrap();
    // v₁ = g = 1; step = g + μv₁ = 1.9.
    assert!(to_flat(&m).iter().all(|v| (v - (1.0 - lr * 1.9)).abs() < 1e-15));
    opt.step(&mut m, &g).unwrap();
    // v₂ = μ·1 + 1 = 1.9; step = 1 + μ·1.9 = 2.71.
    assert!(to_flat(&m)
        .iter()
        .all(|v| (v - (1.0 - lr * 1.9 - lr * 2.71)).abs() < 1e-14));

    // Decoupled decay acts even with a zero gradient, where Adam's own step is zero:
    // θ ← θ(1 − η λ).
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[2.0; BAG_P]);
    let zero = m.zero_grads();
    let mut opt = Adam::adamw(0.1, 0.01);
    opt.step(&mut m, &zero).unwrap();
    assert!(to_flat(&m)
        .iter()
        .all(|v| (v - 2.0 * (1.0 - 0.1 * 0.01)).abs() < 1e-15));
    // L2 decay inside Adam is normalized away: the first Adam step has length η whatever λ is.
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[2.0; BAG_P]);
    let mut opt = Adam::new(0.1).weight_decay(WeightDecay::L2(0.01));
    opt.step(&mut m, &zero).unwrap();
    assert!(
        to_flat(&m).iter().all(|v| (v - 1.9).abs() < 1e-6),
        "{:?}",
        to_flat(&m)
    );
}

#[test]
fn per_entry_learning_rates_scale_freeze_and_change_between_steps() {
    let dev = Cpu::default();
    let g: Bag<f32, Cpu> = Bag::from_flat(&dev, &[1.0; BAG_P]);
    let mut m: Bag<f32, Cpu> = Bag::from_flat(&dev, &[0.0; BAG_P]);
    let mut opt = Sgd::new(0.5);
    // η_ij = η₀(1 − m_ij) with a "methylation" pattern on head.w; head.b frozen.
    let methyl = [0.0, 0.25, 0.5, 0.75, 1.0, 0.1];
    opt.lr_scales_mut()
        .set("head.w", methyl.iter().map(|m| 1.0 - m).collect());
    opt.lr_scales_mut().set("head.b", vec![0.0; 3]);
    opt.step(&mut m, &g).unwrap();
    let after = to_flat(&m);
    assert_eq!(after[0], -0.5, "scale: unscaled");
    for (i, mij) in methyl.iter().enumerate() {
        assert!((after[1 + i] + 0.5 * (1.0 - mij)).abs() < 1e-7, "head.w[{i}]");
    }
    assert_eq!(&after[7..], &[0.0; 3], "head.b frozen");

    // Change between steps, through a tensor struct of the model's layout.
    let scales: Bag<f32, Cpu> = Bag::from_flat(&dev, &[2.0; BAG_P]);
    opt.lr_scales_mut().set_from(&scales);
    opt.step(&mut m, &g).unwrap();
    let after2 = to_flat(&m);
    assert!(after2.iter().zip(&after).all(|(b, a)| (a - b - 1.0).abs() < 1e-6));

    // Same multipliers under Adam: the first step of Adam is η·scale·sign(g).
    let mut m2: Bag<f64, Cpu> = Bag::from_flat(&dev, &[0.0; BAG_P]);
    let g2: Bag<f64, Cpu> = Bag::from_flat(&dev, &[3.0; BAG_P]);
    let mut adam = Adam::new(0.1);
    adam.lr_scales_mut().set("head.b", vec![0.0, 0.5, 1.0]);
    adam.step(&mut m2, &g2).unwrap();
    let v = to_flat(&m2);
    assert!(
        (v[7]).abs() < 1e-12 && (v[8] + 0.05).abs() < 1e-8 && (v[9] + 0.1).abs() < 1e-8,
        "{v:?}"
    );
}

#[test]
fn bad_learning_rate_scales_are_refused_without_touching_the_model() {
    let dev = Cpu::default();
    let g: Bag<f64, Cpu> = Bag::from_flat(&dev, &[1.0; BAG_P]);
    let mut m: Bag<f64, Cpu> = Bag::from_flat(&dev, &[0.25; BAG_P]);
    let before = to_flat(&m);
    let mut opt = Adam::new(0.1);
    opt.lr_scales_mut().set("head.w", vec![1.0; 5]);
    match opt.step(&mut m, &g).unwrap_err() {
        Error::Shape {
            tensor,
            expected,
            found,
            ..
        } => {
            assert_eq!(tensor, "head.w");
            assert!(
                expected.contains("[2, 3]") && found.contains('5'),
                "{expected} / {found}"
            );
        }
        e => panic!("unexpected {e}"),
    }
    opt.lr_scales_mut().clear();
    opt.lr_scales_mut().set("head.ww", vec![1.0; 6]);
    let e = opt.step(&mut m, &g).unwrap_err().to_string();
    assert!(e.contains("head.ww") && e.contains("head.w"), "{e}");
    opt.lr_scales_mut().clear();
    opt.lr_scales_mut().set("scale", vec![f64::NAN]);
    assert!(matches!(opt.step(&mut m, &g), Err(Error::NonFinite { .. })));
    assert_eq!(to_flat(&m), before);
    assert_eq!(opt.steps(), 0);
}
