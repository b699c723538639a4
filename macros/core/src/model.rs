//! Emission of a whole model: the parameter struct, its gradient struct, construction, the
//! user's functions (plain, `…_and_grad`, `…_and_grad_inputs`, and the dfdx-tape oracle
//! `…_tape`), and the runtime's `Params`/`Model` traits. On errors, [`fallback`] emits a stub
//! so the user's other code does not drown in secondary errors.

use crate::check::{Env, FnSig, InitKind};
use crate::compose::{Layout, ModelCtx};
use crate::diff;
use crate::emit::{self, dim_local, f64_tokens, EmitCx};
use crate::ir::NodeId;
use crate::lower::Lowered;
use crate::shape::{DimKind, Shape};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

/// `self.enc.w1`: the field path of a flattened parameter.
fn param_path(base: TokenStream, path: &[Ident]) -> TokenStream {
    quote!(#base #(.#path)*)
}

/// The gradient struct of `ctx`'s model built from one expression per flattened parameter.
fn grads_struct(ctx: &ModelCtx, vals: &[TokenStream]) -> TokenStream {
    let name = format_ident!("{}Grads", ctx.env.model.name);
    let own = ctx.env.params.iter().enumerate().map(|(i, p)| {
        let n = &p.name;
        let v = &vals[ctx.param_map[i]];
        quote!(#n: #v)
    });
    let subs = ctx.subs.iter().map(|(f, sub)| {
        let f = format_ident!("{}", f);
        let v = grads_struct(sub, vals);
        quote!(#f: #v)
    });
    let marker = (ctx.env.params.is_empty() && ctx.subs.is_empty())
        .then(|| quote!(__marker: ::core::marker::PhantomData,));
    quote!(#name { #(#own,)* #(#subs,)* #marker })
}

fn rt() -> TokenStream {
    quote!(::shapegrad::__private)
}

struct Generics {
    decl: TokenStream,
    imp: TokenStream,
    uses: TokenStream,
}

fn generics(consts: &[Ident]) -> Generics {
    let rt = rt();
    Generics {
        decl: quote!(#(const #consts: usize,)* E: #rt::dfdx::shapes::Dtype = f32, D: #rt::dfdx::tensor_ops::Device<E> = #rt::dfdx::tensor::Cpu),
        imp: quote!(#(const #consts: usize,)* E: #rt::dfdx::shapes::Dtype, D: #rt::dfdx::tensor_ops::Device<E>),
        uses: quote!(#(#consts,)* E, D),
    }
}

fn tensor_ty(cx: &EmitCx, s: &Shape) -> TokenStream {
    let rt = &cx.rt;
    let ty = cx.shape_ty(s);
    quote!(#rt::dfdx::tensor::Tensor<#ty, E, D>)
}

fn init_tokens(i: &InitKind) -> TokenStream {
    let rt = rt();
    match i {
        InitKind::Zeros => quote!(#rt::init::Init::Zeros),
        InitKind::Ones => quote!(#rt::init::Init::Ones),
        InitKind::Constant(c) => {
            let c = f64_tokens(*c);
            quote!(#rt::init::Init::Constant(#c))
        }
        InitKind::Normal(m, s) => {
            let (m, s) = (f64_tokens(*m), f64_tokens(*s));
            quote!(#rt::init::Init::Normal { mean: #m, std: #s })
        }
        InitKind::Uniform(l, h) => {
            let (l, h) = (f64_tokens(*l), f64_tokens(*h));
            quote!(#rt::init::Init::Uniform { low: #l, high: #h })
        }
        InitKind::Glorot => quote!(#rt::init::Init::Glorot),
        InitKind::GlorotNormal => quote!(#rt::init::Init::GlorotNormal),
        InitKind::He => quote!(#rt::init::Init::He),
        InitKind::HeUniform => quote!(#rt::init::Init::HeUniform),
    }
}

/// Emits one checked and lowered model.
pub fn model(mctx: &ModelCtx, layout: &Layout, lowered: &[(FnSig, Lowered)]) -> TokenStream {
    let env = mctx.env;
    let rt = rt();
    let def = env.model;
    let (attrs, vis, name) = (&def.attrs, &def.vis, &def.name);
    let grads_name = format_ident!("{}Grads", name);
    let g = generics(&env.generics);
    let (gdecl, gimp, guse) = (&g.decl, &g.imp, &g.uses);
    let plain = EmitCx {
        rt: rt.clone(),
        taped: false,
        inputs: vec![],
        params: vec![],
        customs: layout.customs.clone(),
        shapes: quote!(#rt::dfdx::shapes),
    };

    let pnames: Vec<&Ident> = env.params.iter().map(|p| &p.name).collect();
    let pstrs: Vec<String> = pnames.iter().map(|p| p.to_string()).collect();
    let ptys: Vec<TokenStream> = env.params.iter().map(|p| tensor_ty(&plain, &p.shape)).collect();
    let pdocs: Vec<String> = env
        .params
        .iter()
        .map(|p| format!("Parameter of shape {}.", p.shape))
        .collect();
    let gdocs: Vec<String> = env
        .params
        .iter()
        .map(|p| format!("Gradient of `{}`, shape {}.", p.name, p.shape))
        .collect();
    let pinit: Vec<TokenStream> = env
        .params
        .iter()
        .map(|p| {
            let init = init_tokens(&p.init);
            let shape = plain.shape_val(&p.shape);
            let n = p.name.to_string();
            quote!(#init.tensor(dev, #shape, seed, &#rt::params::join_name(__prefix, #n)))
        })
        .collect();
    let snames: Vec<Ident> = env.subs.iter().map(|(f, _)| f.clone()).collect();
    let sstrs: Vec<String> = snames.iter().map(|f| f.to_string()).collect();
    let stys: Vec<&Ident> = env.subs.iter().map(|(_, m)| m).collect();
    let sgtys: Vec<Ident> = env
        .subs
        .iter()
        .map(|(_, m)| format_ident!("{}Grads", m))
        .collect();
    // A model without parameters still needs to mention E and D.
    let marker_field = (pnames.is_empty() && snames.is_empty())
        .then(|| quote!(#[doc(hidden)] pub __marker: ::core::marker::PhantomData<fn() -> (E, D)>,));
    let marker_init =
        (pnames.is_empty() && snames.is_empty()).then(|| quote!(__marker: ::core::marker::PhantomData,));
    let marker_clone = marker_init.clone();

    let fns: Vec<TokenStream> = lowered
        .iter()
        .map(|(sig, low)| function(mctx, layout, &grads_name, sig, low))
        .collect();
    let grads_doc = format!("The gradient of every parameter of [`{name}`]: same fields, same shapes.");
    // The model and its gradient struct have the same fields, so the same visitor bodies.
    let visit_bodies = quote! {
            fn visit_params<V: #rt::TensorVisitor<E, D>>(&self, prefix: &str, v: &mut V) -> #rt::Result<()> {
                let _ = (&prefix, &v);
                #( v.visit(&#rt::params::join_name(prefix, #pstrs), &self.#pnames)?; )*
                #( #rt::Params::visit_params(&self.#snames, &#rt::params::join_name(prefix, #sstrs), v)?; )*
                Ok(())
            }
            fn visit_params_mut<V: #rt::TensorVisitorMut<E, D>>(&mut self, prefix: &str, v: &mut V) -> #rt::Result<()> {
                let _ = (&prefix, &v);
                #( v.visit(&#rt::params::join_name(prefix, #pstrs), &mut self.#pnames)?; )*
                #( #rt::Params::visit_params_mut(&mut self.#snames, &#rt::params::join_name(prefix, #sstrs), v)?; )*
                Ok(())
            }
    };

    quote! {
        #(#attrs)*
        #vis struct #name<#gdecl> {
            #( #[doc = #pdocs] pub #pnames: #ptys, )*
            #( #[doc = "Sub-model."] pub #snames: #stys<E, D>, )*
            #marker_field
        }

        #[doc = #grads_doc]
        #vis struct #grads_name<#gdecl> {
            #( #[doc = #gdocs] pub #pnames: #ptys, )*
            #( #[doc = "Gradient of the sub-model."] pub #snames: #sgtys<E, D>, )*
            #marker_field
        }

        impl<#gimp> ::core::clone::Clone for #name<#guse> {
            fn clone(&self) -> Self {
                Self { #( #pnames: self.#pnames.clone(), )* #( #snames: self.#snames.clone(), )* #marker_clone }
            }
        }
        impl<#gimp> ::core::clone::Clone for #grads_name<#guse> {
            fn clone(&self) -> Self {
                Self { #( #pnames: self.#pnames.clone(), )* #( #snames: self.#snames.clone(), )* #marker_clone }
            }
        }

        impl<#gimp> #name<#guse> {
            /// Creates the model on `dev`; every parameter is drawn reproducibly from `seed` and
            /// its name.
            pub fn new(dev: &D, seed: u64) -> Self {
                Self::new_prefixed(dev, seed, "")
            }

            /// Like `new`, for a model nested under `__prefix` (its parameters' seeds use the
            /// dotted names).
            #[doc(hidden)]
            pub fn new_prefixed(dev: &D, seed: u64, __prefix: &str) -> Self {
                let _ = dev;
                Self {
                    #( #pnames: #pinit, )*
                    #( #snames: #stys::new_prefixed(dev, seed, &#rt::params::join_name(__prefix, #sstrs)), )*
                    #marker_init
                }
            }

            #(#fns)*
        }

        impl<#gimp> #rt::Params<E, D> for #name<#guse> {
            #visit_bodies
        }

        impl<#gimp> #rt::Params<E, D> for #grads_name<#guse> {
            #visit_bodies
        }

        impl<#gimp> #rt::Model<E, D> for #name<#guse> {
            type Grads = #grads_name<#guse>;
            fn zero_grads(&self) -> Self::Grads {
                #grads_name {
                    #( #pnames: #rt::dfdx::tensor::ZerosTensor::zeros_like(self.#pnames.device(), #rt::dfdx::shapes::HasShape::shape(&self.#pnames)), )*
                    #( #snames: #rt::Model::zero_grads(&self.#snames), )*
                    #marker_init
                }
            }
            fn visit_with_grads<V: #rt::TensorPairVisitor<E, D>>(&mut self, grads: &Self::Grads, prefix: &str, v: &mut V) -> #rt::Result<()> {
                let _ = (&prefix, &v, &grads);
                #( v.visit(&#rt::params::join_name(prefix, #pstrs), &mut self.#pnames, &grads.#pnames)?; )*
                #( #rt::Model::visit_with_grads(&mut self.#snames, &grads.#snames, &#rt::params::join_name(prefix, #sstrs), v)?; )*
                Ok(())
            }
        }
    }
}

/// The shared prologue: bind and check run-time dims, pick the device.
fn prologue(env: &Env, layout: &Layout, sig: &FnSig) -> TokenStream {
    let rt = rt();
    let ctx = format!("{}::{}", env.model.name, sig.name);
    let mut out = quote! {
        // Traits for dfdx's methods, imported anonymously so no name of the user's is shadowed
        // (a custom op called `Bilinear` must not become dfdx's `Bilinear`).
        #[allow(unused_imports)]
        use #rt::dfdx::prelude::{
            Backward as _, BroadcastTo as _, HasShape as _, MaxTo as _, PermuteTo as _, ReshapeTo as _, SumTo as _,
            TryMatMul as _, ZerosTensor as _,
        };
        #[allow(unused_imports)]
        use #rt as __rt;
        #[allow(unused_imports)]
        use #rt::dfdx::shapes as __S;
        let __ctx: &str = #ctx;
    };
    let mut slots: Vec<String> = Vec::new();
    let mut declared: Vec<String> = Vec::new();
    for (arg, shape) in &sig.args {
        let arg_s = arg.to_string();
        let shape_s = shape.to_string();
        for (axis, d) in shape.0.iter().enumerate() {
            if let DimKind::Runtime(r) = &d.kind {
                let slot = format_ident!("__slot_{}", r);
                if !slots.contains(r) {
                    slots.push(r.clone());
                    out.extend(
                        quote!(let mut #slot: ::core::option::Option<usize> = ::core::option::Option::None;),
                    );
                }
                let call = quote!(#rt::ops::bind_dim(__ctx, #arg_s, #shape_s, &#rt::ops::dims_of(#arg), #axis, &mut #slot, #r)?);
                if declared.contains(r) {
                    out.extend(quote!(let _ = #call;));
                } else {
                    declared.push(r.clone());
                    let local = dim_local(r);
                    out.extend(quote!(let #local: usize = #call;));
                }
            }
        }
    }
    let dev = match (layout.params.first(), sig.args.first()) {
        (Some(p), _) => {
            let p = param_path(quote!(self), &p.path);
            quote!(#p.device().clone())
        }
        (None, Some((a, _))) => quote!(#a.device().clone()),
        (None, None) => quote!(D::default()),
    };
    out.extend(quote!(let __dev: D = #dev;));
    out
}

fn function(mctx: &ModelCtx, layout: &Layout, grads_name: &Ident, sig: &FnSig, low: &Lowered) -> TokenStream {
    let env = mctx.env;
    let rt = rt();
    let fname = &sig.name;
    // Signatures spell paths out; bodies use the aliases the prologue declares.
    let sig_cx = EmitCx {
        rt: rt.clone(),
        taped: false,
        inputs: vec![],
        params: vec![],
        customs: vec![],
        shapes: quote!(#rt::dfdx::shapes),
    };
    let plain_cx = EmitCx {
        rt: quote!(__rt),
        taped: false,
        inputs: sig.args.iter().map(|(a, _)| quote!(#a.clone())).collect(),
        params: layout
            .params
            .iter()
            .map(|p| {
                let p = param_path(quote!(self), &p.path);
                quote!(#p.clone())
            })
            .collect(),
        customs: layout.customs.clone(),
        shapes: quote!(__S),
    };
    let args: Vec<TokenStream> = sig
        .args
        .iter()
        .map(|(a, s)| {
            let ty = tensor_ty(&sig_cx, s);
            quote!(#a: &#ty)
        })
        .collect();
    let arg_names: Vec<&Ident> = sig.args.iter().map(|(a, _)| a).collect();
    let pro = prologue(env, layout, sig);
    let scalar = sig.ret.is_scalar();
    let ret_ty = if scalar {
        quote!(E)
    } else {
        tensor_ty(&sig_cx, &sig.ret)
    };
    let (stmts, outs) = emit::body(&low.graph, &[low.out], &plain_cx);
    let out0 = &outs[0];
    let result = if scalar {
        quote!(#rt::ops::value(&#out0))
    } else {
        quote!(#out0)
    };
    let doc = format!(
        "`{}({})` → {}: the model's forward computation, untraced.",
        fname,
        sig.args
            .iter()
            .map(|(a, s)| format!("{a}: {s}"))
            .collect::<Vec<_>>()
            .join(", "),
        sig.ret
    );
    let mut out = quote! {
        #[doc = #doc]
        #[allow(unused_variables, unused_mut, clippy::all)]
        pub fn #fname(&self, #(#args),*) -> #rt::Result<#ret_ty> {
            #pro
            #stmts
            Ok(#result)
        }
    };
    if !scalar {
        return out;
    }
    // Custom ops have a Rust VJP but no second derivative, and dfdx's tape cannot run them.
    let has_custom = low
        .graph
        .nodes
        .iter()
        .any(|n| matches!(n.op, crate::ir::Op::Custom(_)));
    // A scan's backward (a loop) is not differentiated again.
    let has_scan = low
        .graph
        .nodes
        .iter()
        .any(|n| matches!(n.op, crate::ir::Op::Scan(_)));

    let nparams = layout.params.len();
    // Derived gradient: reverse sweep over a copy of the graph, wrt parameters (and inputs).
    let derived = |with_inputs: bool| -> (TokenStream, TokenStream, Vec<TokenStream>) {
        let mut graph = low.graph.clone();
        let mut wrt: Vec<NodeId> = Vec::new();
        for (i, p) in layout.params.iter().enumerate() {
            wrt.push(match low.params[i] {
                Some(id) => id,
                // Not read by this function: its gradient is zero.
                None => graph.push(crate::ir::Op::Param(i), vec![], p.shape.clone(), sig.name.span()),
            });
        }
        if with_inputs {
            wrt.extend(low.inputs.iter().copied());
        }
        let grads = diff::grad(&mut graph, low.out, &wrt);
        let mut outputs = vec![low.out];
        outputs.extend(grads);
        let (stmts, outs) = emit::body(&graph, &outputs, &plain_cx);
        let value = outs[0].clone();
        let rest = outs[1..].to_vec();
        (stmts, value, rest)
    };
    let gens = &env.generics;
    let grad_fn = format_ident!("{}_and_grad", fname);
    let (stmts, value, g) = derived(false);
    let gstruct = grads_struct(mctx, &g[..nparams]);
    let doc = format!("`{fname}` and its gradient with respect to every parameter, derived at compile time.");
    out.extend(quote! {
        #[doc = #doc]
        #[allow(unused_variables, unused_mut, clippy::all)]
        pub fn #grad_fn(&self, #(#args),*) -> #rt::Result<(E, #grads_name<#(#gens,)* E, D>)> {
            #pro
            #stmts
            Ok((#rt::ops::value(&#value), #gstruct))
        }
    });

    let grad_in_fn = format_ident!("{}_and_grad_inputs", fname);
    let (stmts, value, g) = derived(true);
    let (gp, gi) = g.split_at(nparams);
    let gstruct = grads_struct(mctx, gp);
    let in_tys: Vec<TokenStream> = sig.args.iter().map(|(_, s)| tensor_ty(&sig_cx, s)).collect();
    let doc = format!("`{fname}`, its parameter gradient and the gradient with respect to each input ({}), derived at compile time.", arg_names.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "));
    out.extend(quote! {
        #[doc = #doc]
        #[allow(unused_variables, unused_mut, clippy::all, clippy::type_complexity)]
        pub fn #grad_in_fn(&self, #(#args),*) -> #rt::Result<(E, #grads_name<#(#gens,)* E, D>, (#(#in_tys,)*))> {
            #pro
            #stmts
            Ok((#rt::ops::value(&#value), #gstruct, (#(#gi,)*)))
        }
    });

    if has_custom {
        return out;
    }
    if !has_scan {
        // Second order: Hessian-vector product by differentiating the derived gradient again
        // (reverse over reverse). The tangent `v` enters as extra inputs, one per parameter.
        let hvp_fn = format_ident!("{}_hvp", fname);
        let (stmts, value, g) = {
            let mut graph = low.graph.clone();
            let mut wrt: Vec<NodeId> = Vec::new();
            for (i, p) in layout.params.iter().enumerate() {
                wrt.push(match low.params[i] {
                    Some(id) => id,
                    None => graph.push(crate::ir::Op::Param(i), vec![], p.shape.clone(), sig.name.span()),
                });
            }
            let grads = diff::grad(&mut graph, low.out, &wrt);
            let nargs = sig.args.len();
            let mut dot: Option<NodeId> = None;
            for (i, (&gi, p)) in grads.iter().zip(&layout.params).enumerate() {
                let t = graph.push(
                    crate::ir::Op::Input(nargs + i),
                    vec![],
                    p.shape.clone(),
                    sig.name.span(),
                );
                let prod = graph.mul(gi, t);
                let axes: Vec<usize> = (0..p.shape.rank()).collect();
                let s = graph.sum(prod, axes);
                dot = Some(match dot {
                    None => s,
                    Some(d) => graph.add(d, s),
                });
            }
            let mut outputs = vec![low.out];
            outputs.extend(grads.iter().copied());
            if let Some(dot) = dot {
                let hv = diff::grad(&mut graph, dot, &wrt);
                outputs.extend(hv);
            }
            let mut cx = EmitCx {
                rt: quote!(__rt),
                taped: false,
                inputs: plain_cx.inputs.clone(),
                params: plain_cx.params.clone(),
                customs: layout.customs.clone(),
                shapes: quote!(__S),
            };
            for p in &layout.params {
                let t = param_path(quote!(__tangent), &p.path);
                cx.inputs.push(quote!(#t.clone()));
            }
            let (stmts, outs) = emit::body(&graph, &outputs, &cx);
            (stmts, outs[0].clone(), outs[1..].to_vec())
        };
        let (gp, hv) = g.split_at(nparams);
        let (gstruct, hvstruct) = (grads_struct(mctx, gp), grads_struct(mctx, hv));
        let doc = format!("`{fname}`, its gradient, and the Hessian-vector product H·v for a tangent `v` laid out like the gradient; derived at compile time by differentiating the derived gradient (reverse over reverse).");
        out.extend(quote! {
        #[doc = #doc]
        #[allow(unused_variables, unused_mut, clippy::all, clippy::type_complexity)]
        pub fn #hvp_fn(&self, #(#args,)* __tangent: &#grads_name<#(#gens,)* E, D>) -> #rt::Result<(E, #grads_name<#(#gens,)* E, D>, #grads_name<#(#gens,)* E, D>)> {
            #pro
            #stmts
            Ok((#rt::ops::value(&#value), #gstruct, #hvstruct))
        }
    });
    }

    // The oracle: the same forward statements on dfdx's OwnedTape.
    let taped_cx = EmitCx {
        rt: quote!(__rt),
        taped: true,
        inputs: sig
            .args
            .iter()
            .map(|(a, _)| quote!(#rt::ops::traced(#a.clone())))
            .collect(),
        params: layout
            .params
            .iter()
            .map(|p| {
                let p = param_path(quote!(self), &p.path);
                quote!(#rt::ops::traced(#p.clone()))
            })
            .collect(),
        customs: layout.customs.clone(),
        shapes: quote!(__S),
    };
    let (stmts, outs) = emit::body(&low.graph, &[low.out], &taped_cx);
    let loss = &outs[0];
    let tape_fn = format_ident!("{}_tape", fname);
    let tape_vals: Vec<TokenStream> = layout
        .params
        .iter()
        .map(|p| {
            let p = param_path(quote!(self), &p.path);
            quote!({
                __grads.try_alloc_for(&#p).map_err(|e| #rt::Error::Other(format!("{e:?}")))?;
                __grads.get(&#p)
            })
        })
        .collect();
    let tape_struct = grads_struct(mctx, &tape_vals);
    let doc = format!("`{fname}` differentiated by dfdx's run-time tape instead of the derived code: the oracle tests compare against.");
    out.extend(quote! {
        #[doc = #doc]
        #[allow(unused_variables, unused_mut, clippy::all, clippy::type_complexity)]
        pub fn #tape_fn(&self, #(#args),*) -> #rt::Result<(E, #grads_name<#(#gens,)* E, D>, (#(#in_tys,)*))> {
            #pro
            #stmts
            let __loss = #loss;
            let __value = #rt::ops::value(&__loss);
            let mut __grads = __loss.backward();
            Ok((
                __value,
                #tape_struct,
                (#( {
                    __grads.try_alloc_for(#arg_names).map_err(|e| #rt::Error::Other(format!("{e:?}")))?;
                    __grads.get(#arg_names)
                }, )*),
            ))
        }
    });
    out
}

/// After errors: a stub with the model's name, generics, `new` and functions, so uses elsewhere
/// type-check and only the real errors are shown.
pub fn fallback(def: &crate::ast::ModelDef) -> TokenStream {
    let rt = rt();
    let (attrs, vis, name) = (&def.attrs, &def.vis, &def.name);
    let consts: Vec<&Ident> = def
        .dims
        .iter()
        .filter(|d| matches!(d.kind, crate::ast::DimDeclKind::Generic))
        .map(|d| &d.name)
        .collect();
    let consts: Vec<Ident> = consts.into_iter().cloned().collect();
    let g = generics(&consts);
    let (gdecl, gimp, guse) = (&g.decl, &g.imp, &g.uses);
    let grads_name = format_ident!("{}Grads", name);
    // Same names and arities as the real methods, any argument types, never returning.
    let methods = def.fns.iter().flat_map(|f| {
        let n = f.name.to_string();
        let k = f.args.len();
        [
            (n.clone(), k),
            (format!("{n}_and_grad"), k),
            (format!("{n}_and_grad_inputs"), k),
            (format!("{n}_tape"), k),
            (format!("{n}_hvp"), k + 1),
        ]
    });
    let methods: Vec<TokenStream> = methods
        .map(|(m, k)| {
            let m = format_ident!("{}", m);
            let tys: Vec<Ident> = (0..k).map(|i| format_ident!("A{}", i)).collect();
            quote!(#[allow(unused)] pub fn #m<#(#tys),*>(&self, #(_: #tys),*) -> ! { panic!("this model did not compile") })
        })
        .collect();
    quote! {
        #(#attrs)*
        #vis struct #name<#gdecl>(::core::marker::PhantomData<fn() -> (E, D)>);
        #vis struct #grads_name<#gdecl>(::core::marker::PhantomData<fn() -> (E, D)>);
        impl<#gimp> #name<#guse> {
            #[allow(unused)]
            pub fn new(dev: &D, seed: u64) -> Self { let _ = (#rt::ops::scalar::<E>, dev, seed); panic!("this model did not compile") }
            #(#methods)*
        }
        // The traits the real model implements, so code using it through trait bounds
        // (`Trainer`, optimizers, checkpoints) type-checks too. Never run: the crate fails.
        impl<#gimp> ::core::clone::Clone for #name<#guse> {
            fn clone(&self) -> Self { Self(::core::marker::PhantomData) }
        }
        impl<#gimp> ::core::clone::Clone for #grads_name<#guse> {
            fn clone(&self) -> Self { Self(::core::marker::PhantomData) }
        }
        impl<#gimp> #rt::Params<E, D> for #name<#guse> {
            fn visit_params<V: #rt::TensorVisitor<E, D>>(&self, _: &str, _: &mut V) -> #rt::Result<()> { panic!("this model did not compile") }
            fn visit_params_mut<V: #rt::TensorVisitorMut<E, D>>(&mut self, _: &str, _: &mut V) -> #rt::Result<()> { panic!("this model did not compile") }
        }
        impl<#gimp> #rt::Params<E, D> for #grads_name<#guse> {
            fn visit_params<V: #rt::TensorVisitor<E, D>>(&self, _: &str, _: &mut V) -> #rt::Result<()> { panic!("this model did not compile") }
            fn visit_params_mut<V: #rt::TensorVisitorMut<E, D>>(&mut self, _: &str, _: &mut V) -> #rt::Result<()> { panic!("this model did not compile") }
        }
        impl<#gimp> #rt::Model<E, D> for #name<#guse> {
            type Grads = #grads_name<#guse>;
            fn zero_grads(&self) -> Self::Grads { panic!("this model did not compile") }
            fn visit_with_grads<V: #rt::TensorPairVisitor<E, D>>(&mut self, _: &Self::Grads, _: &str, _: &mut V) -> #rt::Result<()> { panic!("this model did not compile") }
        }
    }
}
