//! Composition: a model's parameters and custom ops, flattened over its sub-models
//! (`enc: Encoder`), and the per-model index maps the lowering uses when it inlines a call
//! into a sub-model. Sub-models must be defined in the same `model!` invocation: their bodies
//! are inlined, so the whole gradient is derived at compile time.

use crate::check::Env;
use crate::shape::Shape;
use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

/// One parameter of the flattened model: its field path (`enc.w1`) and shape.
pub struct FlatParam {
    pub path: Vec<Ident>,
    pub shape: Shape,
}

/// Everything the outer model owns, flattened.
#[derive(Default)]
pub struct Layout {
    pub params: Vec<FlatParam>,
    /// Each custom op's Rust expression and name, over all nested models.
    pub customs: Vec<(TokenStream, String)>,
}

/// One model seen from the outer model: where its parameters and custom ops sit in the
/// flattened layout, and the same for its own sub-models.
pub struct ModelCtx<'a> {
    pub env: &'a Env<'a>,
    pub param_map: Vec<usize>,
    pub custom_map: Vec<usize>,
    pub subs: Vec<(String, ModelCtx<'a>)>,
}

/// Builds the context of `envs[idx]` with its parameters under `prefix`, appending to
/// `layout`. `envs` is indexed by model; sub-model references were validated (known, acyclic).
pub fn build<'a>(envs: &'a [Env<'a>], idx: usize, prefix: &[Ident], layout: &mut Layout) -> ModelCtx<'a> {
    let env = &envs[idx];
    let mut param_map = Vec::new();
    for p in &env.params {
        let mut path = prefix.to_vec();
        path.push(p.name.clone());
        param_map.push(layout.params.len());
        layout.params.push(FlatParam {
            path,
            shape: p.shape.clone(),
        });
    }
    let mut custom_map = Vec::new();
    for c in &env.customs {
        custom_map.push(layout.customs.len());
        let op = &c.op;
        layout.customs.push((quote!(#op), c.name.to_string()));
    }
    let mut subs = Vec::new();
    for (field, model) in &env.subs {
        let Some(j) = envs.iter().position(|e| e.model.name == *model) else {
            continue;
        };
        let mut path = prefix.to_vec();
        path.push(field.clone());
        subs.push((field.to_string(), build(envs, j, &path, layout)));
    }
    ModelCtx {
        env,
        param_map,
        custom_map,
        subs,
    }
}
