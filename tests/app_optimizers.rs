//! The optimizers example's claims on a reduced run: with the exact Hessian from the derived
//! Hessian-vector products, Newton reaches the tolerance in fewer iterations than L-BFGS, which
//! needs fewer than Adam and SGD; Newton converges quadratically near the optimum; and the
//! measured peak memory grows like P² for Newton and like P for L-BFGS.
//!
//! One test function: the memory measurement uses a process-wide counting allocator, which
//! concurrent tests in the same binary would disturb.

#[path = "../examples/optimizers.rs"]
#[allow(dead_code)]
mod app;

#[test]
fn newton_lbfgs_adam_sgd_claims() {
    let rep = app::run(&app::Config::reduced()).unwrap();
    for c in &rep.comparisons {
        let iters = |name: &str| {
            c.runs
                .iter()
                .find(|r| r.method == name)
                .and_then(|r| r.iters_to_tol)
                .unwrap_or(usize::MAX)
        };
        let (n, l, a, s) = (iters("Newton"), iters("L-BFGS"), iters("Adam"), iters("SGD"));
        println!(
            "{}: Newton {n}, L-BFGS {l}, Adam {a}, SGD {s}; errors {:?} order {}",
            c.problem, c.newton_errors, c.order
        );
        assert!(
            n < usize::MAX && l < usize::MAX,
            "{}: Newton {n}, L-BFGS {l}",
            c.problem
        );
        assert!(n < l, "{}: Newton {n} iterations, L-BFGS {l}", c.problem);
        assert!(l < a && l < s, "{}: L-BFGS {l}, Adam {a}, SGD {s}", c.problem);
        assert!(c.newton_errors.len() >= 3, "{}: {:?}", c.problem, c.newton_errors);
        assert!(
            c.order > 1.8,
            "{}: Newton's convergence order {} (errors {:?})",
            c.problem,
            c.order,
            c.newton_errors
        );
    }
    let e = rep.exponents;
    println!("{e:?}");
    assert!(
        (1.7..2.3).contains(&e.newton_memory),
        "Newton memory exponent {}",
        e.newton_memory
    );
    assert!(
        (0.6..1.4).contains(&e.lbfgs_memory),
        "L-BFGS memory exponent {}",
        e.lbfgs_memory
    );
}
