//! Expanding `tasks![]`: the plain forms, a group whose tasks are spawned where the macro is
//! written (`TaskGroup` for the `for` form, `TupleGroup` for the list form), and what every
//! expansion shares (the errors, the loop of the `for` forms). The forms with a mode or options
//! are in `expand_modes`, which builds on this file.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use super::ast::{Task, Tasks, TasksInput};

/// Expands `tasks![...]` without a mode or options.
pub(crate) fn tasks(tasks: Tasks) -> TokenStream {
    // `send`: a group of kind `Sendable`, whose `spawn` needs `Send` futures and lets a
    // multi-threaded runtime run them in parallel. Otherwise `spawn` keeps them on this thread.
    let spawn = format_ident!("spawn");
    match tasks.input {
        TasksInput::List(list) => expand_list(&tasks.options.krate, list, &spawn, tasks.options.send),
        TasksInput::For {
            for_token,
            pat,
            iter,
            expr,
        } => expand_for(
            &tasks.options.krate,
            for_token,
            &pat,
            &iter,
            &expr,
            &spawn,
            tasks.options.send,
        ),
    }
}

/// The errors as one expression: `{ compile_error!(..) compile_error!(..) (compile_error!(..)) }`.
/// Side by side in expression position they would not parse; in a block, all but the last are
/// statements and the last is the value, so `.await` on it adds no error of its own.
pub(crate) fn compile_errors(error: syn::Error) -> TokenStream {
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
fn expand_list(krate: &TokenStream, tasks: Vec<Task>, spawn: &syn::Ident, send: bool) -> TokenStream {
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
    let mut body = quote! { let #group = #krate::__private::TupleGroup::#new(); };
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
    krate: &TokenStream,
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
        quote!(#krate::TaskGroup::#with_capacity),
        spawn,
        quote!(#group),
    )
}

/// The loop of the `for` forms that evaluate their task expressions where `tasks![]` is
/// written: `{ let items = ITER.into_iter(); let mut COLLECTION = WITH_CAPACITY(size hint);
/// for PAT in items { STEP; } RESULT }`.
pub(super) fn for_loop(
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

