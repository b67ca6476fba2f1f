//! Expansion: the code the macros write. It calls the documented functions of the runtime
//! (`EventLoop::block_on`, `Runtime::block_on`, `TaskGroup`), so that `cargo expand` shows code a
//! person could have written.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use crate::error::Errors;
use crate::parse::{self, FnItem, Task, TasksInput, TasksMode, TasksOptions};
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
    let tasks = match parse::tasks(input).and_then(|tasks| validate::tasks(&tasks).map(|()| tasks))
    {
        Ok(tasks) => tasks,
        Err(error) => return compile_errors_expr(error),
    };
    // `send`: a group of kind `Sendable`, whose `spawn` needs `Send` futures and lets a
    // multi-threaded runtime run them in parallel. Otherwise `spawn` keeps them on this thread.
    let spawn = format_ident!("spawn");
    if tasks.options.needs_engine() {
        return match &tasks.input {
            TasksInput::List(list) => expand_engine_list(&tasks.options, list),
            TasksInput::For {
                for_token,
                pat,
                iter,
                expr,
            } => expand_engine_for(&tasks.options, for_token, pat, iter, expr),
        };
    }
    match tasks.input {
        TasksInput::List(list) => expand_list(list, &spawn, tasks.options.send),
        TasksInput::For {
            for_token,
            pat,
            iter,
            expr,
        } => expand_for(for_token, &pat, &iter, &expr, &spawn, tasks.options.send),
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
fn spawn_call(group: &syn::Ident, spawn: &syn::Ident, task: &Task) -> TokenStream {
    let span = task.span;
    let mut group = group.clone();
    group.set_span(Span::mixed_site().located_at(span));
    let mut spawn = spawn.clone();
    spawn.set_span(span);
    let tokens = &task.tokens;
    quote_spanned! {span=> #group.#spawn(#tokens) }
}

/// `tasks![a, b]`: a task per expression, awaited in the written order.
fn expand_list(tasks: Vec<Task>, spawn: &syn::Ident, send: bool) -> TokenStream {
    let new = if send {
        format_ident!("new_send")
    } else {
        format_ident!("new")
    };
    // Mixed-site names cannot clash with the user's variables in the task expressions.
    let group = format_ident!("group", span = Span::mixed_site());
    let names: Vec<_> = (0..tasks.len())
        .map(|i| format_ident!("task_{}", i, span = Span::mixed_site()))
        .collect();
    let mut body = quote! { let #group = ::jobloop::__private::TupleGroup::#new(); };
    // Built by moving each task's tokens into place: a task list can be long (`tasks![]` with
    // 1 000 entries), and interpolating borrowed streams would copy every token.
    for (name, task) in names.iter().zip(tasks) {
        body.extend(quote! { let #name = });
        body.extend(spawn_call_owned(&group, spawn, task));
        body.extend(quote! { ; });
    }
    body.extend(quote! { async move { ( #( #names.await, )* ) } });
    let mut block = TokenStream::new();
    block.extend([TokenTree::Group(proc_macro2::Group::new(
        proc_macro2::Delimiter::Brace,
        body,
    ))]);
    block
}

/// [`spawn_call`] that moves the task's tokens instead of copying them.
fn spawn_call_owned(group: &syn::Ident, spawn: &syn::Ident, task: Task) -> TokenStream {
    let span = task.span;
    let mut group = group.clone();
    group.set_span(Span::mixed_site().located_at(span));
    let mut spawn = spawn.clone();
    spawn.set_span(span);
    let mut dot = proc_macro2::Punct::new('.', proc_macro2::Spacing::Alone);
    dot.set_span(span);
    let mut arguments = proc_macro2::Group::new(proc_macro2::Delimiter::Parenthesis, task.tokens);
    arguments.set_span(span);
    [
        TokenTree::Ident(group),
        TokenTree::Punct(dot),
        TokenTree::Ident(spawn),
        TokenTree::Group(arguments),
    ]
    .into_iter()
    .collect()
}

/// `tasks![for PAT in ITER => EXPR]`: a task per item, outputs in iteration order.
fn expand_for(
    for_token: proc_macro2::TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    expr: &Task,
    spawn: &syn::Ident,
    send: bool,
) -> TokenStream {
    let group = format_ident!("group", span = Span::mixed_site());
    // Groups of `send` tasks share their state atomically; the others need no atomics.
    let with_capacity = if send {
        format_ident!("send_with_capacity")
    } else {
        format_ident!("with_capacity")
    };
    let spawn = spawn_call(&group, spawn, expr);
    for_loop(
        &for_token,
        pat,
        iter,
        &group,
        quote!(::jobloop::TaskGroup::#with_capacity),
        spawn,
        quote!(#group),
    )
}

/// The loop of the `for` forms that evaluate their task expressions where `tasks![]` is
/// written: `{ let items = ITER.into_iter(); let mut COLLECTION = WITH_CAPACITY(size hint);
/// for PAT in items { STEP; } RESULT }`.
fn for_loop(
    for_token: &proc_macro2::TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    collection: &syn::Ident,
    with_capacity: TokenStream,
    step: TokenStream,
    result: TokenStream,
) -> TokenStream {
    let items = format_ident!("items", span = Span::mixed_site());
    // The user's `for` token: errors about the loop (a refutable pattern) point at it.
    let for_keyword = for_token.to_token_stream();
    quote! {
        {
            let #items = ::core::iter::IntoIterator::into_iter(#iter);
            let mut #collection = #with_capacity(
                ::core::iter::Iterator::size_hint(&#items).0,
            );
            #for_keyword #pat in #items {
                #step;
            }
            #result
        }
    }
}

/// The text of a task expression, for its name in errors: tokens joined as written, with a
/// space between two words and after `,` and `;` (`fetch(u)`, `job(id*2)`, `{ let a=b; f(a) }`).
fn expr_text(tokens: &TokenStream) -> String {
    let mut text = String::new();
    let mut space_before_word = false;
    for token in tokens.clone() {
        match token {
            proc_macro2::TokenTree::Group(group) => {
                let inner = expr_text(&group.stream());
                match group.delimiter() {
                    proc_macro2::Delimiter::Parenthesis => text.push_str(&format!("({inner})")),
                    proc_macro2::Delimiter::Bracket => text.push_str(&format!("[{inner}]")),
                    proc_macro2::Delimiter::Brace => {
                        if !text.is_empty() && !text.ends_with(' ') {
                            text.push(' ');
                        }
                        text.push_str(&format!("{{ {inner} }}"));
                    }
                    proc_macro2::Delimiter::None => text.push_str(&inner),
                }
                space_before_word = matches!(group.delimiter(), proc_macro2::Delimiter::Brace);
            }
            proc_macro2::TokenTree::Punct(punct) => {
                text.push(punct.as_char());
                space_before_word = matches!(punct.as_char(), ',' | ';');
            }
            word => {
                if space_before_word {
                    text.push(' ');
                }
                text.push_str(&word.to_string());
                space_before_word = true;
            }
        }
    }
    text
}

/// The parts every engine expansion shares: the mode's value, the limit, and the constructor.
struct Engine {
    mode: TokenStream,
    limit: TokenStream,
    new: TokenStream,
}

fn engine(options: &TasksOptions) -> Engine {
    let mode = match options.mode.as_ref().map(|(mode, _)| mode) {
        None => quote!(::jobloop::group::All::default()),
        Some(TasksMode::Try) => quote!(::jobloop::group::Try::default()),
        Some(TasksMode::Settle) => quote!(::jobloop::group::Settle::default()),
        Some(TasksMode::Race) => quote!(::jobloop::group::Race),
    };
    let limit = match &options.limit {
        Some(limit) => quote!(#limit),
        None => quote!(::core::primitive::usize::MAX),
    };
    let new = if options.send {
        quote!(::jobloop::group::Group::with_names_send)
    } else {
        quote!(::jobloop::group::Group::with_names)
    };
    Engine { mode, limit, new }
}

/// Wraps a finished group with its timeout: `jobloop::timeout` (which cancels the tasks when it
/// expires) for every mode but `settle`, which reports the unfinished tasks instead.
fn with_timeout(options: &TasksOptions, group: TokenStream) -> TokenStream {
    let settle = matches!(options.mode, Some((TasksMode::Settle, _)));
    match &options.timeout {
        None => group,
        Some(timeout) if settle => quote!(#group.deadline_after(#timeout)),
        Some(timeout) => quote!(::jobloop::timeout(#timeout, #group)),
    }
}

/// Checks at the task's expression that it is a future (and, under `try`, returns a `Result`).
fn checked_task(options: &TasksOptions, task: &Task) -> TokenStream {
    let span = task.span;
    let tokens = &task.tokens;
    match options.mode {
        Some((TasksMode::Try, _)) => {
            quote_spanned! {span=> ::jobloop::__private::try_task(#tokens) }
        }
        _ => quote_spanned! {span=> ::jobloop::__private::task(#tokens) },
    }
}

/// `tasks![OPTIONS; for PAT in ITER => EXPR]`: a `Group` over the tasks.
///
/// Without a limit, the task expressions are evaluated first, in a loop where the macro is
/// written (as in the plain form), so they may use `?` and `.await`; the group then starts them
/// all. With `limit = N`, the iterator is consumed lazily instead, one task expression each time
/// a task may start, so that a group over millions of items holds N tasks at a time; those
/// expressions are evaluated inside the group, in a closure.
fn expand_engine_for(
    options: &TasksOptions,
    for_token: &proc_macro2::TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    expr: &Task,
) -> TokenStream {
    let Engine { mode, limit, new } = engine(options);
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
    let group = quote! {
        #new(
            ::jobloop::__private::Names::Each(#name),
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
fn expand_engine_list(options: &TasksOptions, tasks: &[Task]) -> TokenStream {
    let Engine { mode, limit, new } = engine(options);
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
            #new(::jobloop::__private::Names::List(&[#(#names),*]), #mode, #limit, #futures_var)
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
