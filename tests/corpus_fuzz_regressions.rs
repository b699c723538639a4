//! Inputs on which the fuzzer (`fuzz/`) found `shapegrad_compiler::expand` panicking, reduced
//! to minimal reproducers. The compiler must never panic on user input: each of these should
//! become a spanned compile error.
//!
//! **Found by the fuzzer (structured mode, seed 1), fixed:** a constant that folded to NaN or
//! ±∞ — `ln(-1.0)`, `sqrt(-1.0)`, `1.0 / 0.0`, `x * 1e400`, `pow(x, 1e400)` — reached emission,
//! where `proc_macro2::Literal::f64_suffixed` asserts `f.is_finite()`. Now `lower` rejects
//! non-finite constants with a spanned error, and emission spells any non-finite literal as a
//! path as a safety net.

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

const ONCE_PANICKED: &[&str] = &[
    "sum(x * w) + ln(-1.0)",
    "sum(x * w) + sqrt(-1.0)",
    "sum(x * w) + 1.0 / 0.0",
    "sum(x * 1e400)",
    "sum(pow(x, 1e400))",
];

#[test]
fn inputs_that_once_panicked_are_spanned_errors() {
    let out = expand(FOUND).expect("no panic");
    assert!(
        out.contains("compile_error") && out.contains("not a finite number"),
        "{out}"
    );
    for body in ONCE_PANICKED {
        let out = expand(&model(body)).unwrap_or_else(|m| panic!("{body}: panicked: {m}"));
        assert!(out.contains("compile_error"), "{body}: no error in {out}");
    }
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
