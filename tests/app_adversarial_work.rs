//! The adversarial-work example's claims on a reduced run: the work W = ∫∇ₓL·dx done along a
//! PGD attack equals L(x_K) − L(x₀) (relative mismatch < 1e-3), along the attack path and along
//! the straight path between the same endpoints; and the attack succeeds more often as the
//! budget ε grows.

#[path = "../examples/adversarial_work.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn attack_work_equals_loss_difference_and_success_grows_with_budget() {
    let rep = app::run(&app::Config::reduced()).unwrap();
    println!("clean accuracy {}; success {:?}", rep.clean_accuracy, rep.success);
    assert!(rep.clean_accuracy >= 0.9, "clean accuracy {}", rep.clean_accuracy);
    assert!(!rep.work.is_empty());
    for w in &rep.work {
        println!("{w:?}");
        assert!(w.lk > w.l0, "the attack raised the loss: {} -> {}", w.l0, w.lk);
        assert!(
            w.rel_attack < 1e-3,
            "attack path: W {} vs ΔL {}",
            w.w_attack,
            w.lk - w.l0
        );
        assert!(
            w.rel_straight < 1e-3,
            "straight path: W {} vs ΔL {}",
            w.w_straight,
            w.lk - w.l0
        );
    }
    // ε = 0 changes nothing; success never decreases with ε and is substantial at the largest.
    assert_eq!(rep.success[0].1, 0.0, "success at ε = 0");
    for s in rep.success.windows(2) {
        assert!(
            s[1].1 >= s[0].1,
            "success rate fell from {:?} to {:?}",
            s[0],
            s[1]
        );
    }
    let last = rep.success.last().unwrap();
    assert!(last.1 > 0.5, "success at ε = {}: {}", last.0, last.1);
}
