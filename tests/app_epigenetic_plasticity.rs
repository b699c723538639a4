//! The plasticity example's claim on a reduced run: with learning rates scaled by methylation
//! (η_ij = η₀(1 − m_ij), m rising with accumulated importance), task-A accuracy after learning
//! task B is higher than with plain SGD stopped at the same task-B accuracy, averaged over seeds.

#[path = "../examples/epigenetic_plasticity.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn teachers_differ_and_labels_are_balanced() {
    let cfg = app::Config::full();
    for seed in 0..4 {
        let teacher =
            |task| app::Teacher::new(seed, task, cfg.teacher_hidden, cfg.teacher_gain, cfg.relevant);
        let (a, b) = (teacher(0), teacher(1));
        let (xa, ya) = app::dataset(&a, 2000, seed + 1);
        let agree = xa
            .iter()
            .zip(&ya)
            .filter(|(x, y)| (b.label(&x.map(f64::from)) == 1) == (y[1] == 1.0))
            .count() as f64
            / 2000.0;
        let ones = ya.iter().filter(|y| y[1] == 1.0).count() as f64 / 2000.0;
        eprintln!("seed {seed}: teachers agree on {agree}, class 1: {ones}");
        assert!(
            (0.3..0.7).contains(&agree),
            "seed {seed}: teachers agree on {agree}"
        );
        assert!(
            (0.3..0.7).contains(&ones),
            "seed {seed}: fraction of class 1: {ones}"
        );
    }
}

#[test]
fn methylation_protects_task_a_at_matched_task_b_accuracy() {
    let cfg = app::Config::reduced();
    let r = app::run(&cfg).unwrap();
    for s in &r.seeds {
        eprintln!(
            "seed {}: SGD A {:.3}->{:.3} B {:.3} ({} steps) | methyl A {:.3}->{:.3} B {:.3} ({} steps), mean m {:.3}",
            s.seed,
            s.sgd.acc_a_before,
            s.sgd.acc_a_after,
            s.sgd.acc_b,
            s.sgd.steps_b,
            s.methyl.acc_a_before,
            s.methyl.acc_a_after,
            s.methyl.acc_b,
            s.methyl.steps_b,
            s.methyl.m_after_b.iter().sum::<f64>() / s.methyl.m_after_b.len() as f64
        );
    }
    eprintln!("margin {:.4} ± {:.4}", r.mean_margin, r.margin_sem);
    for s in &r.seeds {
        for (name, a) in [("SGD", &s.sgd), ("methylated", &s.methyl)] {
            assert!(
                a.acc_a_before > 0.85,
                "seed {} {name}: task A learned only to {}",
                s.seed,
                a.acc_a_before
            );
            assert!(a.reached, "seed {} {name}: task B stuck at {}", s.seed, a.acc_b);
            // Matched: both stopped at the first evaluation at or above the target.
            assert!(a.acc_b >= cfg.target_b && a.acc_b < cfg.target_b + 0.03);
        }
        // Plain SGD forgets: it is the baseline the claim is about.
        assert!(
            s.sgd.acc_a_after < s.sgd.acc_a_before,
            "seed {}: SGD did not forget",
            s.seed
        );
        // Methylation stays in [0, 1) and only rises, at every step (its plasticity 1 − m stays
        // positive even where m rounds to 1 in f64) and between the tasks.
        assert!(
            s.methyl.m_monotone,
            "seed {}: methylation left [0, 1) or fell",
            s.seed
        );
        let m = &s.methyl.m_after_b;
        assert!(m.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(m.iter().zip(&s.methyl.m_after_a).all(|(b, a)| b >= a));
        assert!(m.iter().any(|&v| v > 0.9) && m.iter().any(|&v| v < 0.1));
    }
    assert!(
        r.mean_margin > 0.05,
        "margin {} ± {}",
        r.mean_margin,
        r.margin_sem
    );
    assert!(
        r.mean_margin > 2.0 * r.margin_sem,
        "margin {} ± {}",
        r.mean_margin,
        r.margin_sem
    );
}
