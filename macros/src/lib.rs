//! The `model!` macro. All the work happens in `shapegrad-compiler`, a plain library crate that
//! can be unit-tested and fuzzed; this crate only converts token streams.
#![forbid(unsafe_code)]

/// Defines one or more shape-checked models whose gradients are derived at compile time.
/// See the `shapegrad` crate and the book for the language.
#[proc_macro]
pub fn model(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    shapegrad_compiler::expand(input.into()).into()
}
