//! The shapegrad DSL compiler, as a plain library so each stage can be unit-tested and fuzzed.
//!
//! Pipeline: [`parse`] (tokens → [`ast`]) → [`check`] (declarations) → [`lower`] (bodies → [`ir`]
//! with shape inference) → [`diff`] (reverse-mode source transformation) → [`emit`] /
//! [`model`] (dfdx code). Errors are accumulated in a [`ctxt::Ctxt`] and reported together,
//! each spanned on the token at fault. The compiler never panics on user input.
#![forbid(unsafe_code)]

pub mod ast;
pub mod check;
pub mod ctxt;
pub mod diff;
pub mod emit;
pub mod ir;
pub mod lower;
pub mod model;
pub mod ops;
pub mod parse;
pub mod shape;

use proc_macro2::TokenStream;
use quote::quote;

/// Expands one `model! { … }` invocation into code, or into `compile_error!`s plus stubs.
pub fn expand(input: TokenStream) -> TokenStream {
    let file: ast::File = match syn::parse2(input) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    let mut out = TokenStream::new();
    for def in &file.models {
        let cx = ctxt::Ctxt::new();
        let env = check::declarations(&cx, def);
        let mut lowered = Vec::new();
        for sig in &env.sigs {
            let Some(f) = def.fns.iter().find(|f| f.name == sig.name) else {
                continue;
            };
            if let Some(l) = lower::lower_fn(&cx, &env, f, sig) {
                lowered.push((FnSigRef(sig), l));
            }
        }
        if cx.has_errors() {
            let errs = cx.finish().err().map(|e| e.to_compile_error());
            out.extend(quote!(#errs));
            out.extend(model::fallback(def));
            continue;
        }
        let lowered: Vec<(check::FnSig, lower::Lowered)> =
            lowered.into_iter().map(|(s, l)| (s.0.clone_sig(), l)).collect();
        out.extend(model::model(&env, &lowered));
    }
    out
}

struct FnSigRef<'a>(&'a check::FnSig);

impl check::FnSig {
    fn clone_sig(&self) -> check::FnSig {
        check::FnSig {
            name: self.name.clone(),
            args: self.args.clone(),
            ret: self.ret.clone(),
        }
    }
}
