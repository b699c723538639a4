//! Compile-error classes: one minimal case per class under `tests/ui/<class>/`, each with its
//! pinned `.stderr` (the message and the span it points at). The text depends on the compiler
//! version; re-bless deliberately with `TRYBUILD=overwrite cargo test --test ui` and review.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
