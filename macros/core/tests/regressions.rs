//! Inputs that once crashed or misbehaved the compiler (found by fuzzing and by use).

use proc_macro2::TokenStream;
use shapegrad_compiler::expand;

fn expands_to_error(src: &str, needle: &str) {
    let ts: TokenStream = src.parse().unwrap();
    let out = expand(ts).to_string();
    assert!(out.contains("compile_error"), "expected an error for {src}");
    assert!(out.contains(needle), "expected `{needle}` in {out}");
}

#[test]
fn non_finite_constants_are_errors_not_panics() {
    // Once: `ln(-1.0)` folded to NaN and proc_macro2 panicked on the non-finite literal.
    expands_to_error(
        "struct M { params { w: [2] = ones } fn f() -> [] { sum(w) * ln(-1.0) } }",
        "not a finite number",
    );
    expands_to_error(
        "struct M { params { w: [2] = ones } fn f() -> [] { sum(w) + 1e400 } }",
        "not a finite number",
    );
    expands_to_error(
        "struct M { params { w: [2] = normal(0.0, 1e400) } fn f() -> [] { sum(w) } }",
        "not a finite number",
    );
}

#[test]
fn the_safety_net_spells_non_finite_literals_as_paths() {
    assert_eq!(
        shapegrad_compiler::emit::f64_tokens(f64::NAN).to_string(),
        ":: core :: f64 :: NAN"
    );
    assert_eq!(
        shapegrad_compiler::emit::f64_tokens(f64::NEG_INFINITY).to_string(),
        ":: core :: f64 :: NEG_INFINITY"
    );
}
