//! What the macro generates, made visible: the book's "generated code" listing is the
//! pretty-printed expansion of a small model (`book/src/generated/`), and this test keeps it
//! current. To print the expansion of every `model!` in any file:
//!
//! ```sh
//! scripts/expand.sh examples/tour.rs          # or:
//! SHAPEGRAD_EXPAND=examples/tour.rs cargo test --test corpus_expand print_expansion -- --nocapture
//! ```
//!
//! After a deliberate change to the generated code, re-bless the listing with
//! `SHAPEGRAD_BLESS=1 cargo test --test corpus_expand` and review the diff.

use proc_macro2::TokenStream;
use shapegrad::prelude::*;

/// The listed model, as the book shows it.
const TINY_SOURCE: &str = r#"
/// One tanh neuron fitted by least squares.
pub struct Tiny {
    dims { B: batch }
    params { w: [2, 1] = glorot, b: [1] = zeros }
    fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(tanh(x @ w + b), y) }
}
"#;

/// Defines the model with the real macro (so the listing is of code that compiles and runs)
/// and keeps its tokens, to check they are the listed source's.
macro_rules! model_and_tokens {
    ($($body:tt)*) => {
        shapegrad::model! { $($body)* }
        const TINY_TOKENS: &str = stringify!($($body)*);
    };
}

model_and_tokens! {
    /// One tanh neuron fitted by least squares.
    pub struct Tiny {
        dims { B: batch }
        params { w: [2, 1] = glorot, b: [1] = zeros }
        fn loss(x: [B, 2], y: [B, 1]) -> [] { mse(tanh(x @ w + b), y) }
    }
}

#[test]
fn the_listed_source_is_the_compiled_model() {
    let a: TokenStream = TINY_SOURCE.parse().unwrap();
    let b: TokenStream = TINY_TOKENS.parse().unwrap();
    // (A doc comment's literal is raw in one and plain in the other.)
    assert_eq!(a.to_string(), b.to_string().replace("r\"", "\""));
}

fn pretty(ts: TokenStream) -> String {
    let file: syn::File = syn::parse2(ts).expect("the expansion is Rust items");
    prettyplease::unparse(&file)
}

fn expansion(src: &str) -> String {
    pretty(shapegrad_compiler::expand(src.parse().expect("tokens")))
}

/// The method `name` of the expansion, alone, as an `impl` block.
fn method(src: &str, name: &str) -> String {
    let file: syn::File = syn::parse2(shapegrad_compiler::expand(src.parse().unwrap())).unwrap();
    for item in &file.items {
        if let syn::Item::Impl(imp) = item {
            for it in &imp.items {
                if let syn::ImplItem::Fn(f) = it {
                    if f.sig.ident == name {
                        let mut only = imp.clone();
                        only.items = vec![it.clone()];
                        only.attrs.clear();
                        return prettyplease::unparse(&syn::File {
                            shebang: None,
                            attrs: vec![],
                            items: vec![syn::Item::Impl(only)],
                        });
                    }
                }
            }
        }
    }
    panic!("no method `{name}` in the expansion");
}

fn golden(rel: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    if std::env::var_os("SHAPEGRAD_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{rel} is out of date with the macro's output; re-bless with \
         `SHAPEGRAD_BLESS=1 cargo test --test corpus_expand` and review the diff"
    );
}

#[test]
fn book_listings_are_current() {
    golden("book/src/generated/tiny_model.txt", TINY_SOURCE.trim_start());
    golden("book/src/generated/tiny_expanded.rs.txt", &expansion(TINY_SOURCE));
    golden(
        "book/src/generated/tiny_loss_and_grad.rs.txt",
        &method(TINY_SOURCE, "loss_and_grad"),
    );
}

#[test]
fn the_listed_model_runs_and_matches_the_tape() {
    let dev = Cpu::default();
    let m: Tiny<f64, Cpu> = Tiny::new(&dev, 0);
    let x = dev.tensor_from_vec(vec![0.5, -1.0, 1.5, 0.25], (2usize, Const::<2>));
    let y = dev.tensor_from_vec(vec![0.3, -0.2], (2usize, Const::<1>));
    let (l, g) = m.loss_and_grad(&x, &y).unwrap();
    let (lt, gt, _) = m.loss_tape(&x, &y).unwrap();
    assert!((l - lt).abs() < 1e-12);
    for (a, b) in to_flat(&g).iter().zip(to_flat(&gt)) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}

/// The text between the braces of each `model! { … }` in `text`.
fn model_bodies(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("model! {") {
        let body = &rest[i + "model! {".len()..];
        let mut depth = 1usize;
        let Some(end) = body.char_indices().find_map(|(j, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            (depth == 0).then_some(j)
        }) else {
            break;
        };
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}

#[test]
fn print_expansion() {
    let Some(path) = std::env::var_os("SHAPEGRAD_EXPAND") else {
        return;
    };
    let text = std::fs::read_to_string(&path).expect("SHAPEGRAD_EXPAND names a readable file");
    for body in model_bodies(&text) {
        println!("{}", expansion(&body));
    }
}
