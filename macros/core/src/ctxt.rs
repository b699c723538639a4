//! Error accumulation, after serde_derive's `Ctxt`: every stage pushes spanned errors here and
//! keeps going, so the user sees all their mistakes at once; the driver checks once at the end.

use proc_macro2::{Span, TokenStream, TokenTree};
use std::cell::RefCell;

/// Collects errors. Checked once, by [`Ctxt::finish`].
#[derive(Default)]
pub struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
}

impl Ctxt {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error at `span`.
    pub fn error(&self, span: Span, msg: impl std::fmt::Display) {
        self.errors.borrow_mut().push(syn::Error::new(span, msg));
    }

    /// Records an error covering the tokens from `start` to `end` (a range on stable Rust,
    /// where `Span::join` is unavailable: syn spans first-to-last token of what it is given).
    pub fn error_range(&self, start: Span, end: Span, msg: impl std::fmt::Display) {
        let mut ts = TokenStream::new();
        ts.extend([
            TokenTree::Ident(proc_macro2::Ident::new("a", start)),
            TokenTree::Ident(proc_macro2::Ident::new("b", end)),
        ]);
        self.errors.borrow_mut().push(syn::Error::new_spanned(ts, msg));
    }

    /// Records a ready-made error (e.g. from syn's parser).
    pub fn syn_error(&self, e: syn::Error) {
        self.errors.borrow_mut().push(e);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// How many errors so far.
    pub fn count(&self) -> usize {
        self.errors.borrow().len()
    }

    /// All errors combined into one, or `Ok` if there were none.
    pub fn finish(self) -> Result<(), syn::Error> {
        let mut errs = self.errors.into_inner().into_iter();
        match errs.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in errs {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}
