//! Stage tests of the compiler: check and lower report the right errors, emission produces the
//! promised items, and no input makes the pipeline panic (random token mutations of a model).

use proc_macro2::TokenStream;
use proptest::prelude::*;
use shapegrad_compiler::{ast, check, compose, ctxt::Ctxt, expand, ir::Op, lower};

const MODEL: &str = r#"
    pub struct Net {
        dims { B: batch, H = 8 }
        params { w1: [2, H] = glorot, b1: [H] = zeros, w2: [H, 1] = normal(0.0, 0.1), b2: [1] = zeros }
        fn forward(x: [B, 2]) -> [B, 1] { let h = tanh(x @ w1 + b1); h @ w2 + b2 }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(forward(x), y) + 0.01 * sum(square(w1)) }
    }
"#;

fn errors_of(src: &str) -> Vec<String> {
    let file: ast::File = syn::parse_str(src).expect("parses");
    let def = &file.models[0];
    let cx = Ctxt::new();
    let envs = vec![check::declarations(&cx, def)];
    let mut layout = compose::Layout::default();
    let mctx = compose::build(&envs, 0, &[], &mut layout);
    for sig in &envs[0].sigs {
        let f = def.fns.iter().find(|f| f.name == sig.name).unwrap();
        let _ = lower::lower_fn(&cx, &mctx, layout.params.len(), f, sig);
    }
    match cx.finish() {
        Ok(()) => vec![],
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_valid_model_has_no_errors_and_emits_every_method() {
    assert!(errors_of(MODEL).is_empty());
    let out = expand(MODEL.parse::<TokenStream>().unwrap()).to_string();
    for item in [
        "struct Net",
        "struct NetGrads",
        "fn forward",
        "fn loss_and_grad",
        "fn loss_and_grad_inputs",
        "fn loss_tape",
        "Params < E , D > for Net",
        "Model < E , D > for Net",
    ] {
        assert!(out.contains(item), "missing `{item}`");
    }
    assert!(!out.contains("compile_error"));
    // `forward` is not scalar: no gradient methods for it.
    assert!(!out.contains("fn forward_and_grad"));
}

#[test]
fn lowering_inlines_calls_and_inserts_broadcasts() {
    let file: ast::File = syn::parse_str(MODEL).unwrap();
    let def = &file.models[0];
    let cx = Ctxt::new();
    let envs = vec![check::declarations(&cx, def)];
    let mut layout = compose::Layout::default();
    let mctx = compose::build(&envs, 0, &[], &mut layout);
    let sig = envs[0].sigs.iter().find(|s| s.name == "loss").unwrap();
    let f = def.fns.iter().find(|f| f.name == "loss").unwrap();
    let low = lower::lower_fn(&cx, &mctx, layout.params.len(), f, sig).unwrap();
    let ops: Vec<&Op> = low.graph.nodes.iter().map(|n| &n.op).collect();
    assert!(ops.iter().any(|o| matches!(o, Op::MatMul)), "forward was inlined");
    assert!(
        ops.iter().any(|o| matches!(o, Op::Broadcast(a) if a == &vec![0])),
        "bias broadcast over the batch"
    );
    assert!(low.graph.shape(low.out).is_scalar());
}

#[test]
fn errors_are_accumulated_across_functions() {
    let src = MODEL
        .replace("h @ w2 + b2", "h @ w1")
        .replace("mse(forward(x), y)", "mse(forward(x), z)");
    let errs = errors_of(&src);
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].contains("matmul needs the inner dims to agree"),
        "{errs:?}"
    );
    assert!(errs[1].contains("unknown name `z`"), "{errs:?}");
}

#[test]
fn failed_declarations_do_not_cascade() {
    // Once: an unknown initializer also produced "unknown name `w1`" at every use.
    let errs = errors_of(&MODEL.replace("glorot", "lecun"));
    assert_eq!(errs.len(), 1, "{errs:?}");
}

#[test]
fn mean_over_a_runtime_dim_divides_at_run_time() {
    let src = r#"struct M { dims { B: batch } params { w: [3] = ones }
        fn f(x: [B, 3]) -> [] { mean(x * w) } }"#;
    let out = expand(src.parse::<TokenStream>().unwrap()).to_string();
    assert!(out.contains("__dim_B as f64"), "{out}");
}

#[test]
fn taped_permute_is_made_contiguous() {
    // Once: `a @ permute(a)` on dfdx's tape shared one tensor id and tripped dfdx's assertion.
    let src = r#"struct M { dims { B: batch } params { w: [2] = ones }
        fn f(x: [B, 2, 2]) -> [] { sum(x @ permute(x, [0, 2, 1])) } }"#;
    let out = expand(src.parse::<TokenStream>().unwrap()).to_string();
    assert!(out.contains(". contiguous ()"), "{out}");
}

fn mutate(tokens: &[String], ops: &[(usize, u8, usize)]) -> String {
    let mut t = tokens.to_vec();
    let pool = [
        "@", "+", "(", ")", "[", "]", "{", "}", ",", ";", "->", "x", "B", "0", "-1", "1.5", "sum", "axis",
        "=", "..", "fn", "let", "#", "struct",
    ];
    for &(pos, kind, pick) in ops {
        if t.is_empty() {
            break;
        }
        let i = pos % t.len();
        match kind % 3 {
            0 => {
                t.remove(i);
            }
            1 => t[i] = pool[pick % pool.len()].to_string(),
            _ => t.insert(i, pool[pick % pool.len()].to_string()),
        }
    }
    t.join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]
    /// Whatever the tokens, the compiler returns code or errors, never panics.
    #[test]
    fn never_panics_on_mutated_models(ops in proptest::collection::vec((0usize..10_000, 0u8..3, 0usize..100), 1..6)) {
        let tokens: Vec<String> = MODEL
            .split(|c: char| c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        let src = mutate(&tokens, &ops);
        if let Ok(ts) = src.parse::<TokenStream>() {
            let _ = expand(ts);
        }
    }
}
