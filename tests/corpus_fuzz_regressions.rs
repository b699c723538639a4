//! Inputs on which the fuzzer (`fuzz/`) found `shapegrad_compiler::expand` panicking, reduced
//! to minimal reproducers. The compiler must never panic on user input: each of these should
//! become a spanned compile error.
//!
//! **Known bug (found by the fuzzer, structured mode, seed 1):** a constant that folds to NaN or
//! ±∞ — `ln(-1.0)`, `sqrt(-1.0)`, `1.0 / 0.0`, `x * 1e400`, `pow(x, 1e400)` — reaches
//! emission, where `proc_macro2::Literal::f64_suffixed` asserts `f.is_finite()` and the macro
//! panics (rustc reports "proc macro panicked"). A fix would reject non-finite constants in
//! `lower` with an error spanned on the literal or call.
//!
//! `known_panics_are_still_panics` lists the inputs that panic today and asserts exactly those
//! do, so it **fails when the bug is fixed** (then move the inputs to `must_not_panic`) and when
//! a new input starts panicking. `must_not_panic` holds neighbouring inputs that are fine.

use proc_macro2::TokenStream;
use std::panic::{catch_unwind, AssertUnwindSafe};

fn model(body: &str) -> String {
    format!(
        "struct M {{ dims {{ B: batch }} params {{ w: [2] = ones }} fn f(x: [B, 2]) -> [] {{ {body} }} }}"
    )
}

/// `Err(message)` when `expand` panics.
fn expand(src: &str) -> Result<String, String> {
    let ts: TokenStream = src.parse().expect("lexes");
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = catch_unwind(AssertUnwindSafe(|| shapegrad_compiler::expand(ts)));
    std::panic::set_hook(prev);
    r.map(|t| t.to_string()).map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// The fuzzer's input, verbatim.
const FOUND: &str = "/// Model 0.
pub struct M0 {
    dims { B: batch, N: batch }
    params {  }
    fn loss() -> [] { ln(-1.0) }
}";

const KNOWN_PANICS: &[&str] = &[
    "sum(x * w) + ln(-1.0)",
    "sum(x * w) + sqrt(-1.0)",
    "sum(x * w) + 1.0 / 0.0",
    "sum(x * 1e400)",
    "sum(pow(x, 1e400))",
];

#[test]
fn known_panics_are_still_panics() {
    let mut panicking = Vec::new();
    if let Err(msg) = expand(FOUND) {
        assert!(msg.contains("is_finite"), "{msg}");
        panicking.push("FOUND");
    }
    for body in KNOWN_PANICS {
        if let Err(msg) = expand(&model(body)) {
            assert!(msg.contains("is_finite"), "{body}: {msg}");
            panicking.push(body);
        }
    }
    let mut expected = vec!["FOUND"];
    expected.extend(KNOWN_PANICS);
    assert_eq!(
        panicking, expected,
        "the set of known panics changed: if some are fixed, move them to `must_not_panic`"
    );
}

#[test]
fn must_not_panic() {
    for body in [
        "sum(x * w) + ln(2.0)",
        "sum(x / 2.0)",
        "sum(x / 0.0)",
        "sum(x * 1e300)",
        "sum(pow(x, 2.0))",
        "sum(ln(x * w))",
    ] {
        assert!(expand(&model(body)).is_ok(), "{body}");
    }
}
