//! The cellular-automaton example's claims on a reduced run: a shared local network trained by
//! BPTT through `scan_all` recovers rules 30, 90 and 110 exactly (all 8 neighbourhoods), and its
//! 32-step free runs from unseen initial states match the true automaton cell for cell.

#[path = "../examples/cellular_automaton.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn the_exact_simulator_follows_wolfram_numbering() {
    // Rule 90 is left XOR right; a single live cell grows a Sierpinski row.
    let mut s = vec![0u8; app::CELLS];
    s[32] = 1;
    let s1 = app::eca_step(90, &s);
    assert_eq!((s1[31], s1[32], s1[33]), (1, 0, 1));
    // Rule 30: new = left XOR (centre OR right).
    let s = app::Rng::new(3).state();
    let n = app::CELLS;
    let s1 = app::eca_step(30, &s);
    for i in 0..n {
        let (l, c, r) = (s[(i + n - 1) % n], s[i], s[(i + 1) % n]);
        assert_eq!(s1[i], l ^ (c | r));
    }
}

#[test]
fn learned_tables_equal_the_true_rules_and_free_runs_are_exact() {
    let cfg = app::Config::reduced();
    let report = app::run(&cfg).unwrap();
    assert_eq!(report.rules.len(), 3);
    for r in &report.rules {
        eprintln!(
            "rule {}: BCE {:.4} -> {:.2e}, p = {:.3?}",
            r.rule, r.first_loss, r.last_loss, r.learned_prob
        );
        assert!(
            r.last_loss < 0.1 * r.first_loss,
            "rule {}: loss {} -> {}",
            r.rule,
            r.first_loss,
            r.last_loss
        );
        assert_eq!(
            r.learned_rule, r.rule,
            "rule {}: learned table {:?}",
            r.rule, r.learned_table
        );
        assert_eq!(
            (r.exact_runs, r.wrong_cells),
            (r.runs, 0),
            "rule {}: free runs of {} steps from unseen states",
            r.rule,
            cfg.horizon
        );
    }
}
