//! Expansion: the code the macros write. It calls the documented functions of the runtime
//! (`EventLoop::block_on`, `Runtime::block_on`, `TaskGroup`), so that `cargo expand` shows code a
//! person could have written.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use crate::error::Errors;
use crate::parse::{self, FnItem, TasksInput};
use crate::validate::{self, EntryConfig};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Main,
    Test,
}

impl Entry {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Entry::Main => "job_main",
            Entry::Test => "job_test",
        }
    }

    pub(crate) fn example(self) -> &'static str {
        match self {
            Entry::Main => "async fn main() { ... }",
            Entry::Test => "async fn my_test() { ... }",
        }
    }
}

/// Expands `#[job_main(args)]` or `#[job_test(args)]` on `item`.
pub fn entry(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let options = parse::entry_options(args, &mut errors);
    let config = validate::entry_config(entry, options, &mut errors);
    let function = match parse::fn_item(entry, item.clone()) {
        Ok(function) => function,
        Err(error) => {
            // Not a function we can read: give it back untouched, beside the errors.
            errors.push(error);
            let compile_errors = errors.to_compile_errors();
            return quote! { #compile_errors #item };
        }
    };
    let expanded = if validate::entry_fn(entry, &function, &mut errors) {
        // Bad options alone do not stop the expansion: it uses the defaults, so the body is
        // still type-checked as the user will run it.
        expand_entry(entry, &config, &function)
    } else {
        fallback(entry, &function, item)
    };
    let compile_errors = errors.to_compile_errors();
    quote! { #compile_errors #expanded }
}

fn expand_entry(entry: Entry, config: &EntryConfig, function: &FnItem) -> TokenStream {
    let FnItem {
        attrs,
        vis,
        ident,
        output,
        body,
        ..
    } = function;
    let run = match &config.runtime {
        None => quote! { ::jobloop::EventLoop::new().block_on(async #body) },
        Some(runtime) => quote! { ::jobloop::Runtime::run(#runtime, async #body) },
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
fn fallback(entry: Entry, function: &FnItem, item: TokenStream) -> TokenStream {
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

/// Whether `attr` is `#[test]` or another test attribute (`#[tokio::test]`, ...).
pub(crate) fn is_test_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "test")
}

/// Expands `tasks![...]`.
pub fn tasks(input: TokenStream) -> TokenStream {
    let tasks = match parse::tasks(input) {
        Ok(tasks) => tasks,
        Err(error) => return compile_errors_expr(error),
    };
    // `send`: the group's `spawn_send`, which needs `Send` futures and lets a multi-threaded
    // runtime run them in parallel. Otherwise `spawn`, on the spawning thread.
    let spawn = if tasks.options.send {
        format_ident!("spawn_send")
    } else {
        format_ident!("spawn")
    };
    match tasks.input {
        TasksInput::List(list) => expand_list(&list, &spawn),
        TasksInput::For {
            for_token,
            pat,
            iter,
            expr,
        } => expand_for(for_token, &pat, &iter, &expr, &spawn),
    }
}

/// The errors as one expression: `{ compile_error!(..) compile_error!(..) (compile_error!(..)) }`.
/// Side by side in expression position they would not parse; in a block, all but the last are
/// statements and the last is the value, so `.await` on it adds no error of its own.
fn compile_errors_expr(error: syn::Error) -> TokenStream {
    let mut errors: Vec<TokenStream> = error.into_iter().map(|e| e.to_compile_error()).collect();
    let last = errors.pop();
    quote! { { #(#errors)* (#last) } }
}

/// `GROUP.SPAWN(TASK)`, located at the task: a task that is not a future (or not `Send` under
/// `send`) is then reported at the user's expression, not at the macro.
fn spawn_call(group: &syn::Ident, spawn: &syn::Ident, task: &TokenStream) -> TokenStream {
    let span = task
        .clone()
        .into_iter()
        .next()
        .map_or(Span::call_site(), |token| token.span());
    let group = format_ident!("{}", group, span = Span::mixed_site().located_at(span));
    let spawn = format_ident!("{}", spawn, span = span);
    quote_spanned! {span=> #group.#spawn(#task) }
}

/// `tasks![a, b]`: a task per expression, awaited in the written order.
fn expand_list(tasks: &[TokenStream], spawn: &syn::Ident) -> TokenStream {
    // Mixed-site names cannot clash with the user's variables in the task expressions.
    let group = format_ident!("group", span = Span::mixed_site());
    let names: Vec<_> = (0..tasks.len())
        .map(|i| format_ident!("task_{}", i, span = Span::mixed_site()))
        .collect();
    let spawns = tasks.iter().map(|task| spawn_call(&group, spawn, task));
    quote! {
        {
            let #group = ::jobloop::__private::TupleGroup::new();
            #( let #names = #spawns; )*
            async move { ( #( #names.await, )* ) }
        }
    }
}

/// `tasks![for PAT in ITER => EXPR]`: a task per item, outputs in iteration order.
fn expand_for(
    for_token: proc_macro2::TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    expr: &TokenStream,
    spawn: &syn::Ident,
) -> TokenStream {
    let group = format_ident!("group", span = Span::mixed_site());
    let for_keyword = for_token.into_token_stream();
    let spawn = spawn_call(&group, spawn, expr);
    quote! {
        {
            let mut #group = ::jobloop::TaskGroup::new();
            #for_keyword #pat in #iter {
                #spawn;
            }
            #group
        }
    }
}
