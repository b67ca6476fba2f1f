//! Expanding `#[job_main]` / `#[job_test]`: a plain `fn` that runs the body on a runtime, as a
//! person would write it (`EventLoop::new().block_on(async { .. })`), or, when the function
//! itself is invalid, the function as written where it causes no further error.

use proc_macro2::TokenStream;
use quote::quote;

use super::ast::{is_test_attr, Entry, EntryConfig, FnItem};

pub(crate) fn function(entry: Entry, config: &EntryConfig, function: &FnItem) -> TokenStream {
    let FnItem {
        attrs,
        vis,
        ident,
        output,
        body,
        ..
    } = function;
    let run = match (&config.runtime, config.virtual_time) {
        (None, false) => quote! { ::jobloop::EventLoop::new().block_on(async #body) },
        (None, true) => {
            quote! { ::jobloop::EventLoop::new().with_virtual_time().block_on(async #body) }
        }
        (Some(runtime), false) => quote! { ::jobloop::Runtime::run(#runtime, async #body) },
        (Some(runtime), true) => quote! {
            ::jobloop::Runtime::run(::jobloop::Runtime::with_virtual_time(#runtime), async #body)
        },
    };
    let test_attr = match entry {
        Entry::Main => TokenStream::new(),
        Entry::Test => quote! { #[::core::prelude::v1::test] },
    };
    quote! {
        #test_attr
        #(#attrs)*
        #vis fn #ident() #output {
            #run
        }
    }
}

/// What is emitted when the function itself is invalid: the function as written, where it
/// causes no further error, so that the rest of the crate and the IDE keep working.
pub(crate) fn fallback(entry: Entry, function: &FnItem, item: TokenStream) -> TokenStream {
    // A method must stay in its `impl` block: give it back as it is.
    if function
        .inputs
        .clone()
        .into_iter()
        .any(|t| t.to_string() == "self")
    {
        return item;
    }
    // Inside an anonymous const block, an `async fn main` with arguments is just a function: it
    // neither clashes with the real `main` nor trips the checks on it. `const`, `unsafe` and
    // `extern` were reported already and are left out, so rustc does not report them again.
    let FnItem {
        attrs,
        vis,
        asyncness,
        fn_token,
        ident,
        generics,
        inputs,
        output,
        body,
        ..
    } = function;
    let attrs = attrs.iter().filter(|attr| !is_test_attr(attr));
    let where_clause = &generics.where_clause;
    let stub_main = (entry == Entry::Main && ident == "main").then(|| quote! { fn main() {} });
    quote! {
        const _: () = {
            #(#attrs)*
            #[allow(dead_code)]
            #vis #asyncness #fn_token #ident #generics (#inputs) #output
            #where_clause
            #body
        };
        #stub_main
    }
}

