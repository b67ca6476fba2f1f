//! Expanding `tasks![]`: the plain forms, and what every expansion shares. The forms with a mode
//! or options are in `expand_modes`, which builds on this file.
//!
//! Hygiene: the user's task expressions are evaluated in the user's scope, and no name of the
//! expansion may meet a name of the user's. A local of the expansion (`let x = ..`) can be turned
//! into a pattern by a user's constant of the same name, whatever its span, so:
//!
//! - the list forms have no local at all in the user's scope: their code is a function in a
//!   module of its own (`mod group { pub fn start(..) }`), declared in a block that holds no user
//!   token, and the user's expressions are its arguments;
//! - the `for` forms that evaluate their task expressions where the macro is written (so that
//!   `?` and `.await` work in them) keep one local beside the user's loop, shielded by a function
//!   of the same name declared just before it: a user's item of that name cannot reach it.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use super::ast::{Task, Tasks, TasksInput, TasksOptions};
use crate::tokens::{expr_text, located_at};

/// Expands `tasks![...]` without a mode or options.
pub(crate) fn tasks(tasks: Tasks) -> TokenStream {
    match tasks.input {
        TasksInput::List(list) => list_form(&tasks.options, list),
        TasksInput::For {
            for_token,
            pat,
            iter,
            expr,
        } => for_form(&tasks.options, &for_token, &pat, &iter, &expr),
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

/// The bounds a task's future and output need under `send` or not.
pub(super) struct Bounds {
    /// `TaskFuture` or `SendTaskFuture`, whose error messages say what to write.
    pub(super) future: TokenStream,
    /// `'static` or `Send + 'static`.
    pub(super) output: TokenStream,
    /// `+ Send` for a boxed future, or nothing.
    pub(super) dyn_send: TokenStream,
}

pub(super) fn bounds(options: &TasksOptions) -> Bounds {
    let krate = &options.krate;
    if options.send {
        Bounds {
            future: quote!(#krate::group::SendTaskFuture),
            output: quote!(::core::marker::Send + 'static),
            dyn_send: quote!(+ ::core::marker::Send),
        }
    } else {
        Bounds {
            future: quote!(#krate::group::TaskFuture),
            output: quote!('static),
            dyn_send: TokenStream::new(),
        }
    }
}

/// `(CALLEE)(ARGUMENTS)`: a call of the function `group::start` of the module `island`, which is
/// declared in the callee's block, so that no user token (all are in `arguments`) sees it. The
/// call is located at the user's first token: what goes wrong with the group as a whole is
/// reported there.
pub(super) fn call_island(
    options: &TasksOptions,
    island: TokenStream,
    arguments: Vec<TokenStream>,
) -> TokenStream {
    let anchor = options.anchor;
    let callee = quote_spanned! {anchor=> { #island group::start } };
    let mut call = TokenStream::new();
    call.extend([TokenTree::Group(Group::new(Delimiter::Parenthesis, callee))]);
    // The arguments, moved into place: a task list can be long (`tasks![]` with 1 000 entries),
    // and interpolating borrowed streams would copy every token.
    let mut list = TokenStream::new();
    for argument in arguments {
        list.extend(argument);
        list.extend(quote!(,));
    }
    let mut arguments = Group::new(Delimiter::Parenthesis, list);
    arguments.set_span(anchor);
    call.extend([TokenTree::Group(arguments)]);
    call
}

/// `tasks![a, b]`: a task per expression, awaited in the written order, by a `TupleGroup`.
fn list_form(options: &TasksOptions, tasks: Vec<Task>) -> TokenStream {
    let krate = &options.krate;
    let Bounds { future, output, .. } = bounds(options);
    let (new, group_future) = if options.send {
        (quote!(with_names_send), quote!(SendGroupFuture))
    } else {
        (quote!(with_names), quote!(LocalGroupFuture))
    };
    // The tasks' text names them in debug mode and in the trace.
    let texts: Vec<String> = tasks.iter().map(|task| expr_text(&task.tokens)).collect();
    let futures: Vec<Ident> = (0..tasks.len()).map(|i| format_ident!("F{}", i)).collect();
    let outputs: Vec<Ident> = (0..tasks.len()).map(|i| format_ident!("O{}", i)).collect();
    let names: Vec<Ident> = (0..tasks.len()).map(|i| format_ident!("task_{}", i)).collect();
    let island = quote! {
        mod group {
            #[track_caller]
            pub fn start<#(#futures, #outputs),*>(#(#names: #futures),*)
                -> #krate::__private::#group_future<(#(#outputs,)*)>
            where
                #(#futures: #future<Output = #outputs> + 'static, #outputs: #output,)*
            {
                let mut group = #krate::__private::TupleGroup::#new(&[#(#texts),*]);
                #(let #names = group.spawn(#names);)*
                // Boxed, so that the caller sees a type of its own and not this function's
                // bounds: a task that is not a future is reported once, at its expression.
                #krate::__private::#group_future(::std::boxed::Box::pin(async move {
                    (#(#names.await,)*)
                }))
            }
        }
    };
    let arguments = tasks.iter().map(|task| checked_task(options, task)).collect();
    call_island(options, island, arguments)
}

/// `jobloop::__private::task(TASK)`, located at the task: the "not a future" error points at the
/// user's expression, and does not spread to the rest of the expansion.
pub(super) fn checked_task(options: &TasksOptions, task: &Task) -> TokenStream {
    let span = task.span;
    let krate = located_at(&options.krate, span);
    let tokens = &task.tokens;
    quote_spanned! {span=> #krate::__private::task(#tokens) }
}

/// The local of a `for` form, and the function declared before it, which shadows any item of the
/// user's with its name (such an item would turn the `let` into a pattern of it).
pub(super) fn shielded_local(name: &str) -> (Ident, TokenStream) {
    let local = Ident::new(name, Span::mixed_site());
    let shield = quote! {
        #[allow(dead_code, non_snake_case)]
        fn #local() {}
    };
    (local, shield)
}

/// `tasks![for PAT in ITER => EXPR]`: a task per item, outputs in iteration order. The loop is
/// the user's, so that the task expression may use `?` and `.await` of the function around it.
fn for_form(
    options: &TasksOptions,
    for_token: &TokenTree,
    pat: &TokenStream,
    iter: &TokenStream,
    expr: &Task,
) -> TokenStream {
    let krate = &options.krate;
    let new = if options.send {
        quote!(for_tasks_macro_send)
    } else {
        quote!(for_tasks_macro)
    };
    let (group, shield) = shielded_local("jobloop_group");
    // The spawn is located at the task: a task that is not a future (or not `Send` under
    // `send`) is reported at the user's expression.
    let span = expr.span;
    let mut group_at_task = group.clone();
    group_at_task.set_span(Span::mixed_site().located_at(span));
    let task = &expr.tokens;
    // The task's text names its tasks (`job(x)[i]`) in debug mode and in the trace.
    let text = expr_text(task);
    let spawn = quote_spanned! {span=> #group_at_task.spawn(#task) };
    // The user's `for` token: errors about the loop (a refutable pattern) point at it.
    let for_keyword = for_token.to_token_stream();
    let new = located_at(&quote!(#krate::TaskGroup::#new), options.anchor);
    quote! {
        {
            #shield
            let mut #group = #new(0, #text);
            #for_keyword #pat in #group.sized(#iter) {
                #spawn;
            }
            #group
        }
    }
}
