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

/// Runs `expand` on a thread with rustc's 8 MiB stack, as the proc macro would.
fn expand_on_rustc_stack(src: String) -> String {
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || expand(src.parse::<TokenStream>().unwrap()).to_string())
        .unwrap()
        .join()
        .expect("expansion overflowed or panicked")
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // Once: ~4 000 nested calls overflowed the stack and crashed the compiler.
    let model = |body: String| format!("struct M {{ params {{ w: [2] = ones }} fn f() -> [] {{ {body} }} }}");
    // (Much deeper input overflows proc_macro2's own lexer in this test; under rustc the tokens
    // come from rustc's lexer.)
    for depth in [600, 5_000] {
        let nested = format!("{}sum(w){}", "tanh(".repeat(depth), ")".repeat(depth));
        let out = expand_on_rustc_stack(model(nested));
        assert!(out.contains("nested more than 500 levels"), "depth {depth}");
        let chain = format!("sum(w){}", " + sum(w)".repeat(depth));
        let out = expand_on_rustc_stack(model(chain));
        assert!(out.contains("nested more than 500 levels"), "chain {depth}");
        let negs = format!("{}sum(w)", "-".repeat(depth));
        let out = expand_on_rustc_stack(model(negs));
        assert!(out.contains("nested more than 500 levels"), "negations {depth}");
    }
    // Just under the limit, every stage (check, lower, diff, emit) gets through on that stack.
    let nested = format!("{}sum(w){}", "tanh(".repeat(490), ")".repeat(490));
    let chain = format!("sum(w){}", " + sum(w)".repeat(490));
    for body in [nested, chain] {
        let out = expand_on_rustc_stack(model(body));
        assert!(!out.contains("compile_error"), "{}", &out[..out.len().min(400)]);
        assert!(out.contains("fn f_and_grad"));
    }
}
