//! Expanding `tasks![]` with a mode or options: a `jobloop::group::Group` over the tasks, with
//! the mode's value, the limit and the timeout. The list form boxes its tasks into one output
//! type (an enum of the island module, see `expand`) and rebuilds the tuple at the end.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
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

/// `Group::with_names`, or its `_send`/`_scoped` variant, or the same of `GroupStream`.
fn constructor(krate: &TokenStream, options: &TasksOptions) -> TokenStream {
    let group = if options.stream.is_some() {
        quote!(GroupStream)
    } else {
        quote!(Group)
    };
    let new = if options.scoped.is_some() {
        quote!(with_names_scoped)
    } else if options.send {
        quote!(with_names_send)
    } else {
        quote!(with_names)
    };
    quote!(#krate::group::#group::#new)
}

/// Wraps a group with its timeout: `jobloop::timeout` (which cancels the tasks when it expires
/// and gives `Err(Elapsed)`) for every mode but `settle`, which reports the unfinished tasks
/// instead (through `with_timeout`), and streams, which end: under `settle` after an item per
/// unfinished task (`with_timeout`), under `try` with an error made from `Elapsed`
/// (`with_timeout_error`; validation refuses a stream with a timeout in another mode).
fn with_timeout(
    krate: &TokenStream,
    options: &TasksOptions,
    timeout: Option<&TokenStream>,
    group: TokenStream,
) -> TokenStream {
    match timeout {
        None => group,
        Some(timeout) if options.stream.is_some() && mode(options) == Some(TasksMode::Try) => {
            let span = timeout.clone().into_iter().next().map_or_else(Span::call_site, |t| t.span());
            let from = quote_spanned!(span=> ::core::convert::From::from);
            quote!(#group.with_timeout_error(#timeout, #from))
        }
        Some(timeout) if mode(options) == Some(TasksMode::Settle) || options.stream.is_some() => {
            quote!(#group.with_timeout(#timeout))
        }
        // The bar is told of the timeout around its group, to say "timed out" when it ends
        // there; the duration is evaluated once, before the group, as without `progress`.
        Some(timeout) if options.progress.is_some() => {
            let duration = Ident::new("jobloop_timeout", Span::mixed_site());
            quote!({
                let #duration = #timeout;
                #krate::timeout(#duration, #group.progress_timeout(#duration))
            })
        }
        Some(timeout) => quote!(#krate::timeout(#timeout, #group)),
    }
}

/// Gives each task of a group its own timeout: `with_task_timeout` under `settle`, which makes
/// a late task an error that `is_timeout()`, and `with_task_timeout_error` under `try`, given
/// `From::from` spanned at the duration (where a missing `From<Elapsed>` is reported).
/// Validation refuses `task_timeout` in the other modes.
fn with_task_timeout(
    options: &TasksOptions,
    task_timeout: Option<&TokenStream>,
    group: TokenStream,
) -> TokenStream {
    match task_timeout {
        None => group,
        Some(duration) if mode(options) == Some(TasksMode::Try) => {
            let span = duration.clone().into_iter().next().map_or_else(Span::call_site, |t| t.span());
            let from = quote_spanned!(span=> ::core::convert::From::from);
            quote!(#group.with_task_timeout_error(#duration, #from))
        }
        Some(duration) => quote!(#group.with_task_timeout(#duration)),
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
    let new = constructor(krate, options);
    let mode_value = mode_value(krate, mode(options));
    let limit = match &options.limit {
        Some(limit) => quote!(#limit),
        None => quote!(::core::primitive::usize::MAX),
    };
    let group = |tasks: TokenStream| {
        let mut group = quote_spanned! {anchor=>
            #new(#krate::__private::Names::Each(#name), #mode_value, #limit, #tasks)
        };
        if let Some(progress) = &options.progress {
            // At the user's `progress`: without jobloop's feature `progress` the call is an
            // error, which says so there.
            let call = quote_spanned! {progress.span()=> with_progress };
            group = quote!(#group.#call());
        }
        let task_timeout = options.task_timeout.as_ref().map(|(_, duration)| duration);
        let group = with_task_timeout(options, task_timeout, group);
        with_timeout(krate, options, options.timeout.as_ref(), group)
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
/// and the tuple is rebuilt from them at the end. A race and a stream need one output type, so
/// their tasks are boxed as they are. Under `scoped` the tasks may borrow: every `'static` is
/// the lifetime `'scope` of the island's function instead.
fn list_form(options: &TasksOptions, tasks: &[Task]) -> TokenStream {
    let krate = &options.krate;
    let mode = mode(options);
    let Bounds {
        future: future_bound,
        output: output_bound,
        dyn_send,
    } = bounds(options);
    let scoped = options.scoped.is_some();
    let stream = options.stream.is_some();
    let (lifetime, output_bound) = if scoped {
        (quote!('scope), quote!('scope))
    } else {
        (quote!('static), output_bound)
    };
    let count = tasks.len();
    let futures: Vec<Ident> = (0..count).map(|i| format_ident!("F{}", i)).collect();
    let names: Vec<Ident> = (0..count).map(|i| format_ident!("task_{}", i)).collect();
    let variants: Vec<Ident> = (0..count).map(|i| format_ident!("T{}", i)).collect();
    // The type parameters of each task's output, by mode: `O{i}`, or `A{i}`/`E{i}` for the `Ok`
    // and `Err` types of a `try` task, or one `T` (`A`, `E` under `try`) for a race or a stream.
    let outputs: Vec<Ident> = (0..count).map(|i| format_ident!("O{}", i)).collect();
    let oks: Vec<Ident> = (0..count).map(|i| format_ident!("A{}", i)).collect();
    let errors: Vec<Ident> = (0..count).map(|i| format_ident!("E{}", i)).collect();
    let is_try = mode == Some(TasksMode::Try);
    let race = mode == Some(TasksMode::Race);
    let settle = mode == Some(TasksMode::Settle);
    let uniform = race || stream;

    // The function's type parameters, its bounds, and each task's output as a type.
    let mut params: Vec<TokenStream> = Vec::new();
    if scoped {
        params.push(quote!('scope));
    }
    // A race's or a stream's tasks: the first one's output is the group's type (`T`, or
    // `Result<A, E>`), the others' must be the same (`same_output`, called at each of them, whose
    // error says so at the task that differs).
    let uniform_type = if is_try {
        quote!(::core::result::Result<A, E>)
    } else {
        quote!(T)
    };
    let output_of: Vec<TokenStream> = if uniform {
        if is_try {
            params.extend([quote!(A), quote!(E)]);
        } else {
            params.push(quote!(T));
        }
        params.extend(futures.iter().map(|f| quote!(#f)));
        futures.iter().map(|_| uniform_type.clone()).collect()
    } else if is_try {
        params.extend(
            futures
                .iter()
                .zip(&oks)
                .zip(&errors)
                .map(|((f, a), e)| quote!(#f, #a, #e)),
        );
        let outputs = oks.iter().zip(&errors).map(|(a, e)| quote!(::core::result::Result<#a, #e>));
        outputs.collect()
    } else {
        params.extend(futures.iter().zip(&outputs).map(|(f, o)| quote!(#f, #o)));
        outputs.iter().map(|o| quote!(#o)).collect()
    };
    let mut bounds = TokenStream::new();
    for (future, output) in futures.iter().zip(&output_of) {
        bounds.extend(quote!(#future: #future_bound<Output = #output> + #lifetime,));
        if !uniform {
            bounds.extend(quote!(#output: #output_bound,));
        }
    }
    if uniform && is_try {
        bounds.extend(quote!(A: #output_bound, E: #output_bound,));
    } else if uniform {
        bounds.extend(quote!(T: #output_bound,));
    }
    if is_try && !uniform {
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
    let element = if uniform {
        uniform_type.clone()
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
            let future = if uniform {
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
    let boxed_type = quote! {
        ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = #element> #dyn_send + #lifetime>>
    };

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

    let names_list: Vec<String> = tasks.iter().map(|task| expr_text(&task.tokens)).collect();
    let new = constructor(krate, options);
    let mode_value = mode_value(krate, mode);
    let timeout_param = options
        .timeout
        .as_ref()
        .map(|_| quote!(timeout: ::core::time::Duration,));
    let task_timeout_param = options
        .task_timeout
        .as_ref()
        .map(|_| quote!(task_timeout: ::core::time::Duration,));
    let group = with_task_timeout(
        options,
        options.task_timeout.as_ref().map(|_| quote!(task_timeout)).as_ref(),
        quote! {
            #new(#krate::__private::Names::List(&[#(#names_list),*]), #mode_value, limit, futures)
        },
    );
    let group = with_timeout(
        krate,
        options,
        options.timeout.as_ref().map(|_| quote!(timeout)).as_ref(),
        group,
    );
    // Under `try`, an error made from `Elapsed` (a task's own timeout, or a stream's): the
    // group's error type converts from it.
    let elapsed_error = is_try
        && (options.task_timeout.is_some() || (stream && options.timeout.is_some()));
    if elapsed_error {
        let error = if uniform { quote!(E) } else { errors[0].to_token_stream() };
        bounds.extend(quote!(#error: ::core::convert::From<#krate::Elapsed>,));
    }
    let enum_def = (!uniform).then(|| {
        quote! {
            pub enum Out<#(#variants),*> { #(#variants(#variants)),* }
        }
    });
    let (return_type, body) = if stream {
        // The stream itself: its type is nameable, and its items are the tasks' outputs.
        let mode_type = match mode {
            Some(TasksMode::Try) => quote!(#krate::group::Try<A, E>),
            Some(TasksMode::Settle) => quote!(#krate::group::Settle<T>),
            _ => quote!(#krate::group::All<T>),
        };
        let kind = if scoped {
            quote!(#krate::group::Scoped)
        } else if options.send {
            quote!(#krate::group::Sendable)
        } else {
            quote!(#krate::group::Local)
        };
        let return_type = quote! {
            #krate::group::GroupStream<::core::array::IntoIter<#boxed_type, #count>, #mode_type, #kind>
        };
        (return_type, group)
    } else {
        let (group_future, generics) = if scoped {
            (quote!(ScopedGroupFuture), quote!(<'scope, #result_type>))
        } else if options.send {
            (quote!(SendGroupFuture), quote!(<#result_type>))
        } else {
            (quote!(LocalGroupFuture), quote!(<#result_type>))
        };
        // Boxed, so that the caller sees a type of its own and not this function's bounds: a
        // task that is not a future is reported once, at its expression.
        let body = quote! {
            let group = #group;
            #krate::__private::#group_future(::std::boxed::Box::pin(async move {
                let outputs = group.await;
                #result
            }))
        };
        (quote!(#krate::__private::#group_future #generics), body)
    };
    let island = quote! {
        mod group {
            #enum_def
            #[track_caller]
            pub fn start<#(#params),*>(
                limit: ::core::primitive::usize,
                #timeout_param
                #task_timeout_param
                #(#names: #futures,)*
            ) -> #return_type
            where
                #bounds
            {
                let futures: [#boxed_type; #count] = [#(#boxed),*];
                #body
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
    if let Some((_, task_timeout)) = &options.task_timeout {
        arguments.push(task_timeout.clone());
    }
    if !uniform {
        arguments.extend(tasks.iter().map(|task| checked_task(options, task)));
        return call_island(options, island, arguments);
    }
    // A race's or a stream's tasks are made first, in order (after the options' values, as in
    // the call), each after the first checked against it where it is written.
    let mut lets = TokenStream::new();
    for (i, argument) in std::mem::take(&mut arguments).into_iter().enumerate() {
        if i == 0 && options.limit.is_none() {
            arguments.push(argument); // no limit: a constant
            continue;
        }
        let (local, shield) = shielded_local(&format!("jobloop_option_{i}"));
        lets.extend(quote! { #shield let #local = #argument; });
        arguments.push(quote!(#local));
    }
    let mut first = None;
    for (i, task) in tasks.iter().enumerate() {
        let (local, shield) = shielded_local(&format!("jobloop_task_{i}"));
        let checked = checked_task(options, task);
        let value = match &first {
            None => checked,
            Some(first) => {
                let krate = located_at(krate, task.span);
                quote_spanned! {task.span=> #krate::__private::same_output(&#first, #checked) }
            }
        };
        lets.extend(quote! { #shield let #local = #value; });
        arguments.push(quote!(#local));
        first.get_or_insert(local);
    }
    let call = call_island(options, island, arguments);
    quote! {{ #lets #call }}
}
