//! Expanding `tasks![]` with a mode or options: a `jobloop::group::Group` over the tasks, with
//! the mode's value, the limit and the timeout. The list form boxes its tasks into one output
//! type (an enum of the island module, see `expand`) and rebuilds the tuple at the end.

use proc_macro2::{Ident, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use super::ast::{Task, Tasks, TasksInput, TasksMode, TasksOptions};
use super::expand::{bounds, call_island, shielded_local, Bounds};
use crate::tokens::{expr_text, located_at};

/// Expands `tasks![OPTIONS; ...]`.
pub(crate) fn tasks(tasks: &Tasks) -> TokenStream {
    match &tasks.input {
        TasksInput::List(list) => list_form(&tasks.options, list),
        TasksInput::For {
            for_token,
            pat,
            iter,
            expr,
        } => for_form(&tasks.options, for_token, pat, iter, expr),
    }
}

fn mode(options: &TasksOptions) -> Option<TasksMode> {
    options.mode.as_ref().map(|(mode, _)| *mode)
}

/// The mode's value, `<Try<_, _> as Default>::default()` (every trait method by its full path,
/// so that a crate under `#![no_implicit_prelude]` can use the macro).
fn mode_value(krate: &TokenStream, mode: Option<TasksMode>) -> TokenStream {
    match mode {
        None => quote!(<#krate::group::All<_> as ::core::default::Default>::default()),
        Some(TasksMode::Try) => {
            quote!(<#krate::group::Try<_, _> as ::core::default::Default>::default())
        }
        Some(TasksMode::Settle) => {
            quote!(<#krate::group::Settle<_> as ::core::default::Default>::default())
        }
        Some(TasksMode::Race) => quote!(#krate::group::Race),
    }
}

/// `Group::with_names` or `Group::with_names_send`.
fn constructor(krate: &TokenStream, send: bool) -> TokenStream {
    if send {
        quote!(#krate::group::Group::with_names_send)
    } else {
        quote!(#krate::group::Group::with_names)
    }
}

/// Wraps a group with its timeout: `jobloop::timeout` (which cancels the tasks when it expires
/// and gives `Err(Elapsed)`) for every mode but `settle`, which reports the unfinished tasks
/// instead (`deadline_after`).
fn with_timeout(
    krate: &TokenStream,
    mode: Option<TasksMode>,
    timeout: Option<&TokenStream>,
    group: TokenStream,
) -> TokenStream {
    match timeout {
        None => group,
        Some(timeout) if mode == Some(TasksMode::Settle) => {
            quote!(#group.deadline_after(#timeout))
        }
        Some(timeout) => quote!(#krate::timeout(#timeout, #group)),
    }
}

/// Checks at the task's expression that it is a future (and, under `try`, returns a `Result`).
fn checked_task(options: &TasksOptions, task: &Task) -> TokenStream {
    let span = task.span;
    let krate = located_at(&options.krate, span);
    let tokens = &task.tokens;
    match mode(options) {
        Some(TasksMode::Try) => {
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
/// expressions are evaluated inside the group, in a closure whose parameter is the user's
/// pattern (in parentheses: an or-pattern is fine there).
fn for_form(
    options: &TasksOptions,
    for_token: &TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    expr: &Task,
) -> TokenStream {
    let anchor = options.anchor;
    // Errors about the group as a whole (a task that is not a future makes the group's type
    // invalid too) point at the user's first token, not into the `tasks!` wrapper.
    let krate = &located_at(&options.krate, anchor);
    let name = expr_text(&expr.tokens);
    let task = checked_task(options, expr);
    let new = constructor(krate, options.send);
    let mode_value = mode_value(krate, mode(options));
    let limit = match &options.limit {
        Some(limit) => quote!(#limit),
        None => quote!(::core::primitive::usize::MAX),
    };
    let group = |tasks: TokenStream| {
        let group = quote_spanned! {anchor=>
            #new(#krate::__private::Names::Each(#name), #mode_value, #limit, #tasks)
        };
        with_timeout(krate, mode(options), options.timeout.as_ref(), group)
    };
    if options.limit.is_some() {
        return group(quote! {
            ::core::iter::Iterator::map(
                ::core::iter::IntoIterator::into_iter(#iter),
                |(#pat)| #task,
            )
        });
    }
    let (futures, shield) = shielded_local("jobloop_tasks");
    let for_keyword = for_token.to_token_stream();
    let group = group(quote!(#futures));
    quote! {
        {
            #shield
            let mut #futures = ::std::vec::Vec::new();
            #for_keyword #pat in #krate::__private::sized(&mut #futures, #iter) {
                #futures.push(#task);
            }
            #group
        }
    }
}

/// `tasks![OPTIONS; a, b]`: one `Group` of boxed futures, the tasks whatever their output types,
/// made by `group::start` of the island module (see `expand`) from the checked task expressions
/// and the options' values. The tasks' outputs become the variants of the module's enum `Out`,
/// and the tuple is rebuilt from them at the end. `race` needs one output type, so its tasks are
/// boxed as they are.
fn list_form(options: &TasksOptions, tasks: &[Task]) -> TokenStream {
    let krate = &options.krate;
    let mode = mode(options);
    let Bounds {
        future: future_bound,
        output: output_bound,
        dyn_send,
    } = bounds(options);
    let count = tasks.len();
    let futures: Vec<Ident> = (0..count).map(|i| format_ident!("F{}", i)).collect();
    let names: Vec<Ident> = (0..count).map(|i| format_ident!("task_{}", i)).collect();
    let variants: Vec<Ident> = (0..count).map(|i| format_ident!("T{}", i)).collect();
    // The type parameters of each task's output, by mode: `O{i}`, or `A{i}`/`E{i}` for the `Ok`
    // and `Err` types of a `try` task, or one `T` for a race.
    let outputs: Vec<Ident> = (0..count).map(|i| format_ident!("O{}", i)).collect();
    let oks: Vec<Ident> = (0..count).map(|i| format_ident!("A{}", i)).collect();
    let errors: Vec<Ident> = (0..count).map(|i| format_ident!("E{}", i)).collect();
    let is_try = mode == Some(TasksMode::Try);
    let race = mode == Some(TasksMode::Race);
    let settle = mode == Some(TasksMode::Settle);

    // The function's type parameters, its bounds, and each task's output as a type.
    let (params, output_of): (Vec<TokenStream>, Vec<TokenStream>) = if race {
        let params = std::iter::once(quote!(T)).chain(futures.iter().map(|f| quote!(#f)));
        (params.collect(), vec![quote!(T); count])
    } else if is_try {
        let params = futures
            .iter()
            .zip(&oks)
            .zip(&errors)
            .map(|((f, a), e)| quote!(#f, #a, #e));
        let outputs = oks.iter().zip(&errors).map(|(a, e)| quote!(::core::result::Result<#a, #e>));
        (params.collect(), outputs.collect())
    } else {
        let params = futures.iter().zip(&outputs).map(|(f, o)| quote!(#f, #o));
        (params.collect(), outputs.iter().map(|o| quote!(#o)).collect())
    };
    let mut bounds = TokenStream::new();
    for (future, output) in futures.iter().zip(&output_of) {
        bounds.extend(quote!(#future: #future_bound<Output = #output> + 'static, #output: #output_bound,));
    }
    if race {
        bounds.extend(quote!(T: #output_bound,));
    }
    if is_try {
        // The first task's error type is the group's; the others convert into it with `From`,
        // as `?` does.
        let first = &errors[0];
        for error in errors.iter().skip(1) {
            bounds.extend(quote!(#first: ::core::convert::From<#error>,));
        }
        for (ok, error) in oks.iter().zip(&errors) {
            bounds.extend(quote!(#ok: #output_bound, #error: #output_bound,));
        }
    }

    // What the group's boxed futures output, and each task mapped to it.
    let enum_type = if is_try {
        quote!(Out<#(#oks),*>)
    } else {
        quote!(Out<#(#outputs),*>)
    };
    let element = if race {
        quote!(T)
    } else if is_try {
        let first = &errors[0];
        quote!(::core::result::Result<#enum_type, #first>)
    } else {
        enum_type.clone()
    };
    let boxed: Vec<TokenStream> = names
        .iter()
        .zip(&variants)
        .enumerate()
        .map(|(i, (name, variant))| {
            let future = if race {
                quote!(#name)
            } else if is_try {
                let error = if i == 0 {
                    quote!(error)
                } else {
                    quote!(::core::convert::From::from(error))
                };
                quote!(async move {
                    match #name.await {
                        ::core::result::Result::Ok(value) => ::core::result::Result::Ok(Out::#variant(value)),
                        ::core::result::Result::Err(error) => ::core::result::Result::Err(#error),
                    }
                })
            } else {
                quote!(async move { Out::#variant(#name.await) })
            };
            quote!(::std::boxed::Box::pin(#future))
        })
        .collect();

    // The tuple, rebuilt from the outputs (which the group gives in written order).
    let take = variants.iter().map(|variant| {
        if settle {
            quote! {
                match ::core::iter::Iterator::next(&mut outputs) {
                    ::core::option::Option::Some(::core::result::Result::Ok(Out::#variant(value))) => ::core::result::Result::Ok(value),
                    ::core::option::Option::Some(::core::result::Result::Err(error)) => ::core::result::Result::Err(error),
                    _ => ::core::unreachable!("jobloop: a group gives one outcome per task, in order"),
                }
            }
        } else {
            quote! {
                match ::core::iter::Iterator::next(&mut outputs) {
                    ::core::option::Option::Some(Out::#variant(value)) => value,
                    _ => ::core::unreachable!("jobloop: a group gives one output per task, in order"),
                }
            }
        }
    });
    let tuple = quote! {
        {
            let mut outputs = ::core::iter::IntoIterator::into_iter(outputs);
            ( #(#take,)* )
        }
    };
    let tuple_type = if settle {
        quote!((#(::core::result::Result<#output_of, #krate::TaskError>,)*))
    } else if is_try {
        quote!((#(#oks,)*))
    } else {
        quote!((#(#output_of,)*))
    };
    let (result, result_type) = if race {
        (quote!(outputs), quote!((::core::primitive::usize, T)))
    } else if is_try {
        let first = &errors[0];
        (
            quote!(::core::result::Result::map(outputs, |outputs| #tuple)),
            quote!(::core::result::Result<#tuple_type, #first>),
        )
    } else {
        (tuple, tuple_type)
    };
    // With a timeout (but not under `settle`), the outputs come wrapped in `Result<_, Elapsed>`.
    let timed = options.timeout.is_some() && !settle;
    let (result, result_type) = if timed {
        (
            quote!(::core::result::Result::map(outputs, |outputs| #result)),
            quote!(::core::result::Result<#result_type, #krate::Elapsed>),
        )
    } else {
        (result, result_type)
    };

    let group_future = if options.send {
        quote!(SendGroupFuture)
    } else {
        quote!(LocalGroupFuture)
    };
    let names_list: Vec<String> = tasks.iter().map(|task| expr_text(&task.tokens)).collect();
    let new = constructor(krate, options.send);
    let mode_value = mode_value(krate, mode);
    let timeout_param = options
        .timeout
        .as_ref()
        .map(|_| quote!(timeout: ::core::time::Duration,));
    let group = with_timeout(
        krate,
        mode,
        options.timeout.as_ref().map(|_| quote!(timeout)).as_ref(),
        quote! {
            #new(#krate::__private::Names::List(&[#(#names_list),*]), #mode_value, limit, futures)
        },
    );
    let enum_def = (!race).then(|| {
        quote! {
            pub enum Out<#(#variants),*> { #(#variants(#variants)),* }
        }
    });
    let island = quote! {
        mod group {
            #enum_def
            #[track_caller]
            pub fn start<#(#params),*>(
                limit: ::core::primitive::usize,
                #timeout_param
                #(#names: #futures,)*
            ) -> #krate::__private::#group_future<#result_type>
            where
                #bounds
            {
                let futures: [
                    ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #element> #dyn_send>>;
                    #count
                ] = [#(#boxed),*];
                let group = #group;
                // Boxed, so that the caller sees a type of its own and not this function's
                // bounds: a task that is not a future is reported once, at its expression.
                #krate::__private::#group_future(::std::boxed::Box::pin(async move {
                    let outputs = group.await;
                    #result
                }))
            }
        }
    };
    let limit = match &options.limit {
        Some(limit) => quote!(#limit),
        None => quote!(::core::primitive::usize::MAX),
    };
    let mut arguments = vec![limit];
    if let Some(timeout) = &options.timeout {
        arguments.push(timeout.clone());
    }
    arguments.extend(tasks.iter().map(|task| checked_task(options, task)));
    call_island(options, island, arguments)
}
