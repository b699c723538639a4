//! Parsing: `syn::Parse` impls from tokens into [`crate::ast`]. Keywords are
//! `syn::custom_keyword!`s; expressions use a small precedence-climbing parser because `@` is
//! not a Rust operator.

use crate::ast::*;
use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{braced, bracketed, parenthesized, Attribute, Ident, LitFloat, LitInt, Token, Visibility};

/// Expressions nested deeper than this (parentheses, calls, unary minus, or a long chain of
/// binary operators, which builds a deep tree too) are refused with an error: the parser and
/// every later stage recurse over the tree, and the compiler's 8 MiB stack overflows at a few
/// thousand levels, which would crash rustc instead of reporting anything.
pub const MAX_NESTING: usize = 500;

thread_local! {
    static NESTING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of expression nesting, released when dropped.
struct Nesting;

impl Nesting {
    fn enter(span: Span) -> syn::Result<Nesting> {
        NESTING.with(|n| {
            if n.get() >= MAX_NESTING {
                return Err(syn::Error::new(
                    span,
                    format!("expression nested more than {MAX_NESTING} levels deep; split it with `let`"),
                ));
            }
            n.set(n.get() + 1);
            Ok(Nesting)
        })
    }
}

impl Drop for Nesting {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get() - 1));
    }
}

mod kw {
    syn::custom_keyword!(dims);
    syn::custom_keyword!(params);
}

impl Parse for File {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut models = Vec::new();
        while !input.is_empty() {
            models.push(input.parse()?);
        }
        Ok(File { models })
    }
}

impl Parse for ModelDef {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name: Ident = input.parse()?;
        let body;
        braced!(body in input);
        let mut dims = Vec::new();
        let mut params = Vec::new();
        let mut fns = Vec::new();
        let mut helpers = Vec::new();
        let mut externs = Vec::new();
        let mut subs = Vec::new();
        while !body.is_empty() {
            let la = body.lookahead1();
            if la.peek(kw::dims) {
                body.parse::<kw::dims>()?;
                let inner;
                braced!(inner in body);
                let list = inner.parse_terminated(DimDecl::parse, Token![,])?;
                dims.extend(list);
            } else if la.peek(kw::params) {
                body.parse::<kw::params>()?;
                let inner;
                braced!(inner in body);
                while !inner.is_empty() {
                    if inner.peek(Ident) && inner.peek2(Token![:]) && !inner.peek3(syn::token::Bracket) {
                        let name: Ident = inner.parse()?;
                        inner.parse::<Token![:]>()?;
                        let model: Ident = inner.parse()?;
                        subs.push(SubDecl { name, model });
                    } else {
                        params.push(inner.parse::<ParamDecl>()?);
                    }
                    if inner.is_empty() {
                        break;
                    }
                    inner.parse::<Token![,]>()?;
                }
            } else if la.peek(Token![extern]) {
                externs.push(parse_extern(&body)?);
            } else if la.peek(Token![fn]) || la.peek(Token![#]) {
                match parse_fn(&body)? {
                    FnItem::Typed(f) => fns.push(f),
                    FnItem::Helper(h) => helpers.push(h),
                }
            } else {
                return Err(la.error());
            }
        }
        Ok(ModelDef {
            attrs,
            vis,
            name,
            dims,
            params,
            fns,
            helpers,
            subs,
            externs,
        })
    }
}

impl Parse for DimDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let lit: LitInt = input.parse()?;
            let v = lit.base10_parse::<usize>()?;
            return Ok(DimDecl {
                name,
                kind: DimDeclKind::Value(v, lit.span()),
            });
        }
        input.parse::<Token![:]>()?;
        if input.peek(Token![const]) {
            input.parse::<Token![const]>()?;
            return Ok(DimDecl {
                name,
                kind: DimDeclKind::Generic,
            });
        }
        if input.peek(Token![dyn]) {
            input.parse::<Token![dyn]>()?;
            return Ok(DimDecl {
                name,
                kind: DimDeclKind::Runtime,
            });
        }
        let kind: Ident = input.parse()?;
        match kind.to_string().as_str() {
            "batch" | "runtime" | "time" | "seq" => Ok(DimDecl {
                name,
                kind: DimDeclKind::Runtime,
            }),
            other => Err(syn::Error::new(
                kind.span(),
                format!(
                    "unknown dim kind `{other}`: write `{name}: batch` (a run-time dim), `{name}: const` \
                     (a const generic) or `{name} = 32` (a named constant)"
                ),
            )),
        }
    }
}

impl Parse for ShapeExpr {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        let bracket = bracketed!(content in input);
        let mut dims = Vec::new();
        while !content.is_empty() {
            if content.peek(LitInt) {
                let lit: LitInt = content.parse()?;
                dims.push(DimExpr::Lit(lit.base10_parse()?, lit.span()));
            } else {
                dims.push(DimExpr::Name(content.parse()?));
            }
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        Ok(ShapeExpr {
            span: bracket.span.join(),
            dims,
        })
    }
}

impl Parse for ParamDecl {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        input.parse::<Token![:]>()?;
        let shape: ShapeExpr = input.parse()?;
        input.parse::<Token![=]>()?;
        let init_name: Ident = input.parse()?;
        let mut args = Vec::new();
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            while !content.is_empty() {
                let e = parse_expr(&content, 0)?;
                match e.as_num() {
                    Some(v) => args.push((v, e.start())),
                    None => {
                        return Err(syn::Error::new(
                            e.start(),
                            "initializer arguments must be numbers",
                        ))
                    }
                }
                if content.is_empty() {
                    break;
                }
                content.parse::<Token![,]>()?;
            }
        }
        Ok(ParamDecl {
            name,
            shape,
            init: InitExpr {
                name: init_name,
                args,
            },
        })
    }
}

/// `extern fn name(x: [B, 2]) -> [B, 1] = OP;`
fn parse_extern(input: ParseStream) -> syn::Result<ExternDef> {
    input.parse::<Token![extern]>()?;
    input.parse::<Token![fn]>()?;
    let name: Ident = input.parse()?;
    let content;
    parenthesized!(content in input);
    let mut args = Vec::new();
    while !content.is_empty() {
        let arg: Ident = content.parse()?;
        content.parse::<Token![:]>()?;
        args.push((arg, content.parse::<ShapeExpr>()?));
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    input.parse::<Token![->]>()?;
    let ret: ShapeExpr = input.parse()?;
    input.parse::<Token![=]>()?;
    let op: syn::Expr = input.parse()?;
    input.parse::<Token![;]>()?;
    Ok(ExternDef { name, args, ret, op })
}

enum FnItem {
    Typed(FnDef),
    Helper(HelperDef),
}

/// A function: typed (`fn f(x: [B, 2]) -> [B] { … }`, emitted as a method) or a helper with no
/// shapes at all (`fn g(a, b) { … }`, inlined where called).
fn parse_fn(input: ParseStream) -> syn::Result<FnItem> {
    let attrs = input.call(Attribute::parse_outer)?;
    input.parse::<Token![fn]>()?;
    let name: Ident = input.parse()?;
    let content;
    parenthesized!(content in input);
    let mut args: Vec<(Ident, Option<ShapeExpr>)> = Vec::new();
    while !content.is_empty() {
        let arg: Ident = content.parse()?;
        let shape = if content.peek(Token![:]) {
            content.parse::<Token![:]>()?;
            Some(content.parse::<ShapeExpr>()?)
        } else {
            None
        };
        args.push((arg, shape));
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    let untyped = args.iter().all(|(_, s)| s.is_none());
    if untyped && !input.peek(Token![->]) {
        let body = parse_block(input, &name)?;
        return Ok(FnItem::Helper(HelperDef {
            name,
            args: args.into_iter().map(|(a, _)| a).collect(),
            body,
        }));
    }
    input.parse::<Token![->]>()?;
    let ret: ShapeExpr = input.parse()?;
    let mut typed = Vec::new();
    for (a, s) in args {
        match s {
            Some(s) => typed.push((a, s)),
            None => {
                return Err(syn::Error::new(
                    a.span(),
                    format!(
                        "argument `{a}` needs a shape, like `{a}: [B, 4]` (a helper without `->` and \
                         without any shapes is inlined for operands of any shape)"
                    ),
                ))
            }
        }
    }
    let body = parse_block(input, &name)?;
    Ok(FnItem::Typed(FnDef {
        attrs,
        name,
        args: typed,
        ret,
        body,
    }))
}

fn parse_block(input: ParseStream, name: &Ident) -> syn::Result<Block> {
    let body;
    braced!(body in input);
    let mut stmts = Vec::new();
    while body.peek(Token![let]) {
        body.parse::<Token![let]>()?;
        let name: Ident = body.parse()?;
        body.parse::<Token![=]>()?;
        let value = parse_expr(&body, 0)?;
        body.parse::<Token![;]>()?;
        stmts.push(Let { name, value });
    }
    if body.is_empty() {
        return Err(syn::Error::new(
            body.span(),
            format!("function `{name}` needs a final expression: the value it returns"),
        ));
    }
    let tail = parse_expr(&body, 0)?;
    if !body.is_empty() {
        return Err(body.error("expected the end of the function body after its final expression"));
    }
    Ok(Block { stmts, tail })
}

/// Binding power of a binary operator: `+ -` bind looser than `* / @`.
fn peek_binop(input: ParseStream) -> Option<(BinOp, u8)> {
    if input.peek(Token![+]) && !input.peek(Token![+=]) {
        Some((BinOp::Add, 1))
    } else if input.peek(Token![-]) && !input.peek(Token![->]) && !input.peek(Token![-=]) {
        Some((BinOp::Sub, 1))
    } else if input.peek(Token![*]) && !input.peek(Token![*=]) {
        Some((BinOp::Mul, 2))
    } else if input.peek(Token![/]) && !input.peek(Token![/=]) {
        Some((BinOp::Div, 2))
    } else if input.peek(Token![@]) {
        Some((BinOp::MatMul, 2))
    } else {
        None
    }
}

/// Precedence climbing: parses operators binding tighter than `min`.
pub fn parse_expr(input: ParseStream, min: u8) -> syn::Result<Expr> {
    let mut lhs = parse_unary(input)?;
    // Each operator folded into `lhs` deepens its tree by one.
    let mut levels = Vec::new();
    while let Some((op, prec)) = peek_binop(input) {
        if prec <= min {
            break;
        }
        let op_span = input.span();
        levels.push(Nesting::enter(op_span)?);
        let tt: proc_macro2::TokenTree = input.parse()?;
        let _ = tt;
        let rhs = parse_expr(input, prec)?;
        lhs = Expr::Binary {
            op,
            op_span,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        };
    }
    Ok(lhs)
}

fn parse_unary(input: ParseStream) -> syn::Result<Expr> {
    let _level = Nesting::enter(input.span())?;
    if input.peek(Token![-]) {
        let t: Token![-] = input.parse()?;
        let inner = parse_unary(input)?;
        return Ok(Expr::Neg {
            span: t.span,
            inner: Box::new(inner),
        });
    }
    parse_primary(input)
}

fn parse_primary(input: ParseStream) -> syn::Result<Expr> {
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        let value = lit.base10_parse::<f64>()?;
        return Ok(Expr::Num {
            value,
            is_int: true,
            span: lit.span(),
        });
    }
    if input.peek(LitFloat) {
        let lit: LitFloat = input.parse()?;
        let value = lit.base10_parse::<f64>()?;
        return Ok(Expr::Num {
            value,
            is_int: false,
            span: lit.span(),
        });
    }
    if input.peek(syn::token::Paren) {
        let content;
        let paren = parenthesized!(content in input);
        let inner = parse_expr(&content, 0)?;
        if !content.is_empty() {
            return Err(content.error("expected `)`"));
        }
        return Ok(Expr::Paren {
            open: paren.span.open(),
            close: paren.span.close(),
            inner: Box::new(inner),
        });
    }
    if input.peek(syn::token::Bracket) {
        let content;
        let bracket = bracketed!(content in input);
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(parse_expr(&content, 0)?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        return Ok(Expr::List {
            open: bracket.span.open(),
            close: bracket.span.close(),
            items,
        });
    }
    if input.peek(Ident) && input.peek2(Token![.]) && !input.peek2(Token![..]) {
        let recv: Ident = input.parse()?;
        input.parse::<Token![.]>()?;
        let method: Ident = input.parse()?;
        let (args, close) = parse_call_args(input)?;
        return Ok(Expr::MethodCall {
            recv,
            method,
            args,
            close,
        });
    }
    if input.peek(Ident) {
        let name: Ident = input.parse()?;
        if input.peek(syn::token::Paren) {
            let (args, close) = parse_call_args(input)?;
            return Ok(Expr::Call { name, args, close });
        }
        return Ok(Expr::Var(name));
    }
    Err(input.error("expected an expression: a name, a number, a call like `tanh(x)`, or `( … )`"))
}

/// `( arg, arg, … )` of a call, with the closing parenthesis's span (where "missing argument"
/// errors point).
fn parse_call_args(input: ParseStream) -> syn::Result<(Vec<Arg>, Span)> {
    let content;
    let paren = parenthesized!(content in input);
    let mut args = Vec::new();
    while !content.is_empty() {
        args.push(parse_arg(&content)?);
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok((args, paren.span.close()))
}

fn parse_arg(input: ParseStream) -> syn::Result<Arg> {
    if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let value = parse_range_or_expr(input)?;
        return Ok(Arg::Kw { name, value });
    }
    Ok(Arg::Pos(parse_range_or_expr(input)?))
}

fn parse_range_or_expr(input: ParseStream) -> syn::Result<Expr> {
    let e = parse_expr(input, 0)?;
    if input.peek(Token![..]) {
        input.parse::<Token![..]>()?;
        let end = parse_expr(input, 0)?;
        return Ok(Expr::Range {
            start: Box::new(e),
            end: Box::new(end),
        });
    }
    Ok(e)
}

/// The span of the whole bracketed shape, for messages about a declared shape.
pub fn shape_span(s: &ShapeExpr) -> Span {
    s.span
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn parses_a_model_with_every_section() {
        let f: File = syn::parse2(quote! {
            /// doc
            pub struct Net {
                dims { B: batch, H = 32, N: const }
                params { w: [2, H] = glorot, b: [H] = normal(0.0, -1.5) }
                fn forward(x: [B, 2]) -> [B, H] { let h = x @ w + b; tanh(h) }
                #[grad]
                fn loss(x: [B, 2]) -> [] { mean(sum(forward(x), axis = -1, keepdim)) }
            }
        })
        .unwrap();
        let m = &f.models[0];
        assert_eq!(m.dims.len(), 3);
        assert_eq!(m.params.len(), 2);
        assert_eq!(m.params[1].init.args[1].0, -1.5);
        assert_eq!(m.fns.len(), 2);
        assert!(m.fns[1].wants_grad().is_some());
    }

    #[test]
    fn precedence_matmul_binds_tighter_than_plus() {
        let e: Expr =
            syn::parse::Parser::parse2(|i: ParseStream| parse_expr(i, 0), quote!(a + b @ c * d - -e))
                .unwrap();
        assert_eq!(e.to_string(), "a + b @ c * d - -e");
        match e {
            Expr::Binary {
                op: BinOp::Sub, lhs, ..
            } => match *lhs {
                Expr::Binary {
                    op: BinOp::Add, rhs, ..
                } => {
                    assert!(matches!(*rhs, Expr::Binary { op: BinOp::Mul, .. }))
                }
                _ => panic!("expected +"),
            },
            _ => panic!("expected -"),
        }
    }

    #[test]
    fn ranges_and_lists_in_arguments() {
        let e: Expr = syn::parse::Parser::parse2(
            |i: ParseStream| parse_expr(i, 0),
            quote!(slice(x, axis = 1, 0..3)),
        )
        .unwrap();
        assert_eq!(e.to_string(), "slice(x, axis = 1, 0..3)");
    }

    #[test]
    fn missing_tail_expression_is_an_error_not_a_panic() {
        let r: syn::Result<File> = syn::parse2(quote! { struct M { fn f(x: [2]) -> [2] { let y = x; } } });
        assert!(r.is_err());
    }
}
