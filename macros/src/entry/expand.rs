//! Expanding `#[job_main]` / `#[job_test]`: a plain `fn` that runs the body on a runtime, as a
//! person would write it (`EventLoop::new().block_on(async { .. })`), or, when the function
//! itself is invalid, the function as written where it causes no further error.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::ReturnType;

use super::ast::{is_test_attr, Entry, EntryConfig, FnItem};

/// The function as a plain `fn` that runs its body on the runtime.
pub(crate) fn function(entry: Entry, config: &EntryConfig, function: &FnItem) -> TokenStream {
    let FnItem {
        attrs,
        vis,
        ident,
        output,
        body,
        ..
    } = function;
    let krate = match &config.krate {
        Some(path) => path.clone(),
        None => quote!(::jobloop),
    };
    let check = returns_check(&krate, function);
    let mut body = quote! { async { #check #body } };
    // Debug mode: on before the first task starts; `main`'s end reported.
    let enable_debug = if config.debug {
        body = quote! { #krate::debug::watch_main(#body) };
        quote! { #krate::debug::enable(); }
    } else {
        TokenStream::new()
    };
    let runtime = config
        .runtime
        .as_ref()
        .map(|runtime| needs_feature(&krate, runtime));
    // A program catches Ctrl-C and SIGTERM to cancel its main task (unless `signals = false`);
    // a test does not.
    let signals = entry == Entry::Main && config.signals != Some(false);
    let run = match (runtime, config.virtual_time) {
        // A test run once per seeded schedule (validation refused `runtime` with it).
        (_, virtual_time) if config.shuffle.is_some() => {
            let runs = match config.shuffle.as_ref().and_then(|(_, runs)| *runs) {
                Some(runs) => quote!(#runs),
                None => quote!(#krate::__private::DEFAULT_RUNS),
            };
            quote! {
                #krate::__private::run_shuffled(
                    ::core::concat!(::core::module_path!(), "::", ::core::stringify!(#ident)),
                    #runs,
                    #virtual_time,
                    || #body,
                )
            }
        }
        (runtime, false) if signals => {
            let runtime = runtime.unwrap_or_else(|| quote!(#krate::EventLoop::new()));
            quote! { #krate::__private::run_main(#runtime, #body) }
        }
        (None, virtual_time) => {
            // A test fails when its tasks deadlock, instead of hanging (a program warns, in
            // debug mode).
            let deadlock = (entry == Entry::Test).then(|| quote!(.fail_on_deadlock()));
            let clock = virtual_time.then(|| quote!(.with_virtual_time()));
            quote! { #krate::EventLoop::new() #clock #deadlock .block_on(#body) }
        }
        (Some(runtime), false) => quote! { #krate::Runtime::run(#runtime, #body) },
        (Some(runtime), true) => quote! {
            #krate::Runtime::run(#krate::Runtime::with_virtual_time(#runtime), #body)
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
            #enable_debug
            #run
        }
    }
}

/// `if false { return returns::<R>(); }`, where `R` is the function's return type: the body is
/// then type-checked against `R` from its first line, so that a mismatch (a tail expression, a
/// `return`, a `?`) is reported in the body, at the user's token, rather than at the attribute.
/// Nothing when `R` cannot be named in a turbofish (`impl Trait`, `!`).
fn returns_check(krate: &TokenStream, function: &FnItem) -> TokenStream {
    let (ty, span) = match &function.output {
        ReturnType::Default => {
            let span = function.ident.span();
            (quote_spanned!(span=> ()), span)
        }
        ReturnType::Type(arrow, ty) => {
            let tokens = ty.to_token_stream();
            let unnameable = tokens.clone().into_iter().any(|token| {
                matches!(&token, TokenTree::Ident(word) if word == "impl")
                    || matches!(&token, TokenTree::Punct(p) if p.as_char() == '!')
            });
            if unnameable {
                return TokenStream::new();
            }
            (tokens, arrow.spans[0])
        }
    };
    let krate = crate::tokens::located_at(krate, span);
    quote_spanned! {span=>
        if false {
            return #krate::__private::returns::<#ty>();
        }
    }
}

/// `runtime = EXPR` naming an adapter behind a cargo feature (`Tokio`, `Smol`) becomes
/// `jobloop::__private::tokio_runtime!(EXPR)`, which is `EXPR` when the feature is on and,
/// when it is off, an error at the adapter's name that says what to add to Cargo.toml (instead
/// of rustc's "could not find `Tokio` in `runtime`").
fn needs_feature(krate: &TokenStream, runtime: &TokenStream) -> TokenStream {
    match adapter_named_in(runtime.clone()) {
        Some(name) => {
            let check = Ident::new(
                &format!("{}_runtime", name.to_string().to_lowercase()),
                name.span(),
            );
            // Every token of the invocation at the adapter's name: the error points there.
            let span = name.span();
            let krate = crate::tokens::located_at(krate, span);
            quote_spanned! {span=> #krate::__private::#check!(#runtime) }
        }
        None => runtime.clone(),
    }
}

/// The first `Tokio` or `Smol` in `tokens`, at any depth.
fn adapter_named_in(tokens: TokenStream) -> Option<Ident> {
    tokens.into_iter().find_map(|token| match token {
        TokenTree::Ident(ident) if ident == "Tokio" || ident == "Smol" => Some(ident),
        TokenTree::Group(group) => adapter_named_in(group.stream()),
        _ => None,
    })
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

