//! The shapegrad DSL compiler, as a plain library so each stage can be unit-tested and fuzzed.
//!
//! Pipeline: [`parse`] (tokens → [`ast`]) → [`check`] (declarations) → [`lower`] (bodies → [`ir`]
//! with shape inference) → [`diff`] (reverse-mode source transformation) → [`emit`] /
//! [`model`] (dfdx code). Errors are accumulated in a [`ctxt::Ctxt`] and reported together,
//! each spanned on the token at fault. The compiler never panics on user input.
#![forbid(unsafe_code)]

pub mod ast;
pub mod check;
pub mod compose;
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

/// Expands one `model! { … }` invocation into code, or into `compile_error!`s plus stubs.
pub fn expand(input: TokenStream) -> TokenStream {
    let file: ast::File = match syn::parse2(input) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    let cxs: Vec<ctxt::Ctxt> = file.models.iter().map(|_| ctxt::Ctxt::new()).collect();
    let mut envs: Vec<check::Env> = file
        .models
        .iter()
        .zip(&cxs)
        .map(|(def, cx)| check::declarations(cx, def))
        .collect();
    check_sub_models(&cxs, &mut envs);
    let mut out = TokenStream::new();
    for (i, def) in file.models.iter().enumerate() {
        let cx = &cxs[i];
        let mut layout = compose::Layout::default();
        let mctx = compose::build(&envs, i, &[], &mut layout);
        let mut lowered = Vec::new();
        for sig in &envs[i].sigs {
            let Some(f) = def.fns.iter().find(|f| f.name == sig.name) else {
                continue;
            };
            if let Some(l) = lower::lower_fn(cx, &mctx, layout.params.len(), f, sig) {
                lowered.push((sig.clone_sig(), l));
            }
        }
        if cx.has_errors() {
            out.extend(model::fallback(def));
            continue;
        }
        out.extend(model::model(&mctx, &layout, &lowered));
    }
    for cx in cxs {
        if let Err(e) = cx.finish() {
            out.extend(e.to_compile_error());
        }
    }
    out
}

/// Sub-models (`enc: Encoder`) must name a model of the same invocation, without const
/// generics, and must not contain themselves. A bad one is reported and dropped.
fn check_sub_models(cxs: &[ctxt::Ctxt], envs: &mut [check::Env]) {
    let names: Vec<String> = envs.iter().map(|e| e.model.name.to_string()).collect();
    let generic: Vec<bool> = envs.iter().map(|e| !e.generics.is_empty()).collect();
    for (i, env) in envs.iter_mut().enumerate() {
        let mut keep = Vec::new();
        for (field, model) in std::mem::take(&mut env.subs) {
            match names.iter().position(|n| model == n) {
                None => {
                    cxs[i].error(
                        model.span(),
                        format!(
                            "sub-model `{model}` must be defined in the same `model!` invocation (its functions are \
                             inlined so the whole gradient is derived at compile time); models here: {}",
                            names.join(", ")
                        ),
                    );
                    env.poisoned.insert(field.to_string());
                }
                Some(j) if generic[j] => {
                    cxs[i].error(
                        model.span(),
                        format!(
                            "sub-model `{model}` has const generic dims, which sub-models do not support yet"
                        ),
                    );
                    env.poisoned.insert(field.to_string());
                }
                Some(_) => keep.push((field, model)),
            }
        }
        env.subs = keep;
    }
    // A model may not contain itself, directly or through others.
    for i in 0..envs.len() {
        let mut stack = vec![(i, 0usize)];
        let mut seen = vec![false; envs.len()];
        while let Some((m, depth)) = stack.pop() {
            for (_, model) in &envs[m].subs {
                let Some(j) = names.iter().position(|n| model == n) else {
                    continue;
                };
                if j == i {
                    let (field, model) = envs[i].subs[0].clone();
                    cxs[i].error(
                        model.span(),
                        format!("model `{}` contains itself through sub-model `{field}`", names[i]),
                    );
                    envs[i].subs.clear();
                    envs[i].poisoned.insert(field.to_string());
                    stack.clear();
                    break;
                }
                if !seen[j] && depth < envs.len() {
                    seen[j] = true;
                    stack.push((j, depth + 1));
                }
            }
        }
    }
}

impl check::FnSig {
    fn clone_sig(&self) -> check::FnSig {
        check::FnSig {
            name: self.name.clone(),
            args: self.args.clone(),
            ret: self.ret.clone(),
        }
    }
}
