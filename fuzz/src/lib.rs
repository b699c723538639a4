//! Fuzzing `shapegrad_compiler::expand`: the property is that, whatever the input tokens, the
//! compiler returns code or spanned errors (both valid Rust items), never panics and never hangs.
//!
//! Two input sources: [`gen`] writes structured models from random bytes (dims, params,
//! functions, expressions over the whole op vocabulary, shapes that are sometimes right and
//! sometimes wrong), and [`mutate`] applies raw-text mutations to the models found in the
//! repository's `examples/` and `tests/`, and [`typed`] writes well-typed models that reach
//! differentiation and emission. [`check`] runs one input.

use std::panic::{catch_unwind, AssertUnwindSafe};

pub mod gen;
pub mod mutate;
pub mod seeds;
pub mod typed;

/// What `expand` returned for an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The text did not lex as Rust tokens, so rustc would never call the macro with it.
    NotTokens,
    /// Code without any `compile_error!`.
    Code,
    /// One or more spanned `compile_error!`s (plus the fallback stub).
    Errors,
}

/// Runs the compiler on `src` (the body of a `model! { … }`). `Err` describes a broken property:
/// a panic, or output that is not a sequence of Rust items.
pub fn check(src: &str) -> Result<Outcome, String> {
    let Ok(ts) = src.parse::<proc_macro2::TokenStream>() else {
        return Ok(Outcome::NotTokens);
    };
    let out = match catch_unwind(AssertUnwindSafe(|| shapegrad_compiler::expand(ts))) {
        Ok(out) => out,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "<non-string panic payload>".into());
            return Err(format!("panic: {msg}"));
        }
    };
    let text = out.to_string();
    if let Err(e) = syn::parse2::<syn::File>(out) {
        return Err(format!(
            "expand returned tokens that are not Rust items: {e}\n{text}"
        ));
    }
    Ok(if text.contains("compile_error") {
        Outcome::Errors
    } else {
        Outcome::Code
    })
}
