//! `#[job_main]` and `#[job_test]`: parse → validate → expand.

mod ast;
mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) use ast::Entry;

use crate::errors::Errors;

/// Expands `#[job_main(args)]` or `#[job_test(args)]` on `item`.
pub(crate) fn expand(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = parse::options(args, &mut errors);
    let config = validate::config(entry, options, &mut errors);
    let function = match parse::function(entry, item.clone()) {
        Ok(function) => function,
        Err(error) => {
            // Not a function we can read: give it back untouched, beside the errors.
            errors.push(error);
            let compile_errors = errors.to_compile_errors();
            return quote! { #compile_errors #item };
        }
    };
    let expanded = if validate::function(entry, &function, &mut errors) {
        // Bad options alone do not stop the expansion: it uses the defaults, so the body is
        // still type-checked as the user will run it.
        expand::function(entry, &config, &function)
    } else {
        expand::fallback(entry, &function, item)
    };
    let compile_errors = errors.to_compile_errors();
    quote! { #compile_errors #expanded }
}
