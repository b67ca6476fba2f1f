//! Expanding `tasks![]` with a mode or options: a `jobloop::group::Group` over the tasks, with
//! the mode's value, the limit and the timeout. The list form boxes its tasks into one output
//! type (a local enum) and rebuilds the tuple at the end.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use super::ast::{Task, Tasks, TasksInput, TasksMode, TasksOptions};
use super::expand::for_loop;
use crate::tokens::{expr_text, located_at};

/// Expands `tasks![OPTIONS; ...]`.
pub(crate) fn tasks(tasks: &Tasks) -> TokenStream {
    match &tasks.input {
        TasksInput::List(list) => expand_list(&tasks.options, list),
        TasksInput::For {
            for_token,
            pat,
            iter,
            expr,
        } => expand_for(&tasks.options, for_token, pat, iter, expr),
    }
}

/// The parts every engine expansion shares: the mode's value, the limit, and the constructor.
struct Engine {
    mode: TokenStream,
    limit: TokenStream,
    new: TokenStream,
}

fn engine(options: &TasksOptions) -> Engine {
    // Errors about the group as a whole (a task that is not a future makes the group's type
    // invalid too) point at the user's first token, not into the `tasks!` wrapper.
    let krate = &located_at(&options.krate, options.anchor);
    let anchor = options.anchor;
    let mode = match options.mode.as_ref().map(|(mode, _)| mode) {
        None => quote_spanned!(anchor=> #krate::group::All::default()),
        Some(TasksMode::Try) => quote_spanned!(anchor=> #krate::group::Try::default()),
        Some(TasksMode::Settle) => quote_spanned!(anchor=> #krate::group::Settle::default()),
        Some(TasksMode::Race) => quote_spanned!(anchor=> #krate::group::Race),
    };
    let limit = match &options.limit {
        Some(limit) => quote!(#limit),
        None => quote!(::core::primitive::usize::MAX),
    };
    let new = if options.send {
        quote_spanned!(anchor=> #krate::group::Group::with_names_send)
    } else {
        quote_spanned!(anchor=> #krate::group::Group::with_names)
    };
    Engine { mode, limit, new }
}

/// Wraps a finished group with its timeout: `jobloop::timeout` (which cancels the tasks when it
/// expires) for every mode but `settle`, which reports the unfinished tasks instead.
fn with_timeout(options: &TasksOptions, group: TokenStream) -> TokenStream {
    let krate = &options.krate;
    let settle = matches!(options.mode, Some((TasksMode::Settle, _)));
    match &options.timeout {
        None => group,
        Some(timeout) if settle => quote!(#group.deadline_after(#timeout)),
        Some(timeout) => quote!(#krate::timeout(#timeout, #group)),
    }
}

/// Checks at the task's expression that it is a future (and, under `try`, returns a `Result`).
fn checked_task(options: &TasksOptions, task: &Task) -> TokenStream {
    let span = task.span;
    let krate = located_at(&options.krate, span);
    let tokens = &task.tokens;
    match options.mode {
        Some((TasksMode::Try, _)) => {
            quote_spanned! {span=> #krate::__private::try_task(#tokens) }
        }
        _ => quote_spanned! {span=> #krate::__private::task(#tokens) },
    }
}

/// `tasks![OPTIONS; for PAT in ITER => EXPR]`: a `Group` over the tasks.
///
/// Without a limit, the task expressions are evaluated first, in a loop where the macro is
/// written (as in the plain form), so they may use `?` and `.await`; the group then starts them
/// all. With `limit = N`, the iterator is consumed lazily instead, one task expression each time
/// a task may start, so that a group over millions of items holds N tasks at a time; those
/// expressions are evaluated inside the group, in a closure.
fn expand_for(
    options: &TasksOptions,
    for_token: &proc_macro2::TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    expr: &Task,
) -> TokenStream {
    let Engine { mode, limit, new } = engine(options);
    let krate = &options.krate;
    let name = expr_text(&expr.tokens);
    let task = checked_task(options, expr);
    let tasks = if options.limit.is_some() {
        quote! {
            ::core::iter::Iterator::map(::core::iter::IntoIterator::into_iter(#iter), |#pat| #task)
        }
    } else {
        let futures = format_ident!("futures", span = Span::mixed_site());
        for_loop(
            for_token,
            pat,
            iter,
            &futures,
            quote!(::std::vec::Vec::with_capacity),
            quote!(#futures.push(#task)),
            quote!(::core::iter::IntoIterator::into_iter(#futures)),
        )
    };
    let anchor = options.anchor;
    let names = located_at(krate, anchor);
    let group = quote_spanned! {anchor=>
        #new(
            #names::__private::Names::Each(#name),
            #mode,
            #limit,
            #tasks,
        )
    };
    with_timeout(options, group)
}

/// `tasks![OPTIONS; a, b]`: the tasks, whatever their output types, become one `Group` of boxed
/// futures whose outputs are the variants of a local enum; the tuple is rebuilt at the end.
/// `race` needs one output type, so its tasks are boxed as they are.
fn expand_list(options: &TasksOptions, tasks: &[Task]) -> TokenStream {
    let Engine { mode, limit, new } = engine(options);
    let krate = &options.krate;
    let names: Vec<String> = tasks.iter().map(|task| expr_text(&task.tokens)).collect();
    let vars: Vec<_> = (0..tasks.len())
        .map(|i| format_ident!("task_{}", i, span = Span::mixed_site()))
        .collect();
    let checked = tasks.iter().map(|task| checked_task(options, task));
    let send = options.send.then(|| quote!(+ ::core::marker::Send));
    let out = format_ident!("Out", span = Span::mixed_site());
    let variants: Vec<_> = (0..tasks.len())
        .map(|i| format_ident!("T{}", i, span = Span::mixed_site()))
        .collect();
    let placeholders = variants.iter().map(|_| quote!(_));
    let out_type = quote!(#out<#(#placeholders),*>);
    let race = matches!(options.mode, Some((TasksMode::Race, _)));
    let is_try = matches!(options.mode, Some((TasksMode::Try, _)));
    // The output type every boxed future shares, written once (one set of inference variables).
    let output = if race {
        quote!(_)
    } else if is_try {
        quote!(::core::result::Result<#out_type, _>)
    } else {
        out_type.clone()
    };
    let futures: Vec<TokenStream> = vars
        .iter()
        .zip(&variants)
        .enumerate()
        .map(|(i, (var, variant))| {
            let future = if race {
                quote!(#var)
            } else if is_try {
                // The first task's error type is the group's; the others convert with `From`,
                // as `?` does.
                let error = if i == 0 {
                    quote!(error)
                } else {
                    quote!(::core::convert::From::from(error))
                };
                quote!(async move {
                    match #var.await {
                        ::core::result::Result::Ok(value) => ::core::result::Result::Ok(#out::#variant(value)),
                        ::core::result::Result::Err(error) => ::core::result::Result::Err(#error),
                    }
                })
            } else {
                quote!(async move { #out::#variant(#var.await) })
            };
            quote!(::std::boxed::Box::pin(#future))
        })
        .collect();
    let count = tasks.len();
    let futures_var = format_ident!("futures", span = Span::mixed_site());
    let futures_def = quote! {
        let #futures_var: [
            ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #output> #send>>;
            #count
        ] = [#(#futures),*];
    };
    let group = with_timeout(
        options,
        quote! {
            #new(#krate::__private::Names::List(&[#(#names),*]), #mode, #limit, #futures_var)
        },
    );
    let outputs = format_ident!("outputs", span = Span::mixed_site());
    // Rebuilding the tuple from the outputs, which the group gives in written order.
    let settle = matches!(options.mode, Some((TasksMode::Settle, _)));
    let take = variants.iter().map(|variant| {
        if settle {
            quote! {
                match ::core::iter::Iterator::next(&mut #outputs) {
                    ::core::option::Option::Some(::core::result::Result::Ok(#out::#variant(value))) => ::core::result::Result::Ok(value),
                    ::core::option::Option::Some(::core::result::Result::Err(error)) => ::core::result::Result::Err(error),
                    _ => ::core::unreachable!("jobloop: a group gives one outcome per task, in order"),
                }
            }
        } else {
            quote! {
                match ::core::iter::Iterator::next(&mut #outputs) {
                    ::core::option::Option::Some(#out::#variant(value)) => value,
                    _ => ::core::unreachable!("jobloop: a group gives one output per task, in order"),
                }
            }
        }
    });
    let tuple = quote! {
        {
            let mut #outputs = ::core::iter::IntoIterator::into_iter(#outputs);
            ( #(#take,)* )
        }
    };
    let result = if race {
        quote!(#outputs)
    } else if is_try {
        quote!(::core::result::Result::map(#outputs, |#outputs| #tuple))
    } else {
        tuple
    };
    // With a timeout (but not under `settle`), the outputs come wrapped in `Result<_, Elapsed>`.
    let result = if options.timeout.is_some() && !settle {
        quote!(::core::result::Result::map(#outputs, |#outputs| #result))
    } else {
        result
    };
    let enum_def = (!race).then(|| quote!(enum #out<#(#variants),*> { #(#variants(#variants)),* }));
    let group_var = format_ident!("group", span = Span::mixed_site());
    quote! {
        {
            #enum_def
            #( let #vars = #checked; )*
            #futures_def
            let #group_var = #group;
            async move {
                let #outputs = #group_var.await;
                #result
            }
        }
    }
}
