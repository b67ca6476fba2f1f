//! Validating `tasks![]`: the checks that need more than the shape of the input, each error
//! pointing at the user's token and saying what to write instead.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::ast::{Tasks, TasksInput, TasksMode, TasksOptions};
use crate::errors::Errors;

/// `tasks![limit = N; for PAT in ITER => EXPR]` makes each task inside the group, in a closure,
/// when a slot frees up: `?` and `.await` in `EXPR` cannot act on the function that writes
/// `tasks![]`. Points at each one that would (rustc would only speak of a closure the user
/// never wrote).
///
/// The check is on tokens and errs on the side of silence: it stops looking at the rest of a
/// level at the first `|` (a closure, whose body is its own, or an operator) and at the first
/// item keyword (`fn`, `struct`, `const`, ...), and does not look into `async` blocks or macro
/// arguments (whose `?` may mean anything). What it misses still gets rustc's error; nothing
/// valid is rejected.
pub(crate) fn tasks(tasks: &Tasks) -> syn::Result<()> {
    let mut errors = Errors::default();
    check_combinations(&tasks.options, &mut errors);
    if let (Some(progress), TasksInput::List(_)) = (&tasks.options.progress, &tasks.input) {
        errors.push(syn::Error::new(
            progress.span(),
            format!(
                "`{progress}` is for big groups, written `tasks![{progress}; for x in xs => job(x)]`: \
                 a list of tasks has no progress worth a bar. Remove `{progress}`, or write the \
                 tasks as a `for` form"
            ),
        ));
    }
    if let (Some(_), TasksInput::For { expr, .. }) = (&tasks.options.limit, &tasks.input) {
        check_lazy_task(expr.tokens.clone(), &mut errors);
    }
    let lazy = tasks.options.limit.is_some();
    match &tasks.input {
        TasksInput::List(list) => {
            for task in list {
                check_control_flow(task.tokens.clone(), false, Form::List, &mut errors);
            }
        }
        TasksInput::For { expr, .. } => {
            let form = if lazy { Form::Lazy } else { Form::Loop };
            check_control_flow(expr.tokens.clone(), false, form, &mut errors);
        }
    }
    errors.finish(())
}

/// Options that cannot go together, each an error at the option that conflicts.
fn check_combinations(options: &TasksOptions, errors: &mut Errors) {
    if let (Some((TasksMode::Race, race)), Some(stream)) = (&options.mode, &options.stream) {
        errors.push(syn::Error::new(
            stream.span(),
            format!(
                "`{race}` and `{stream}` cannot be combined: a race gives one output, the first \
                 task's to finish, and a stream gives every output as it finishes. Remove \
                 `race` (the stream's first item is the winner: `.next().await`, then drop the \
                 stream to cancel the others), or remove `stream`"
            ),
        ));
    }
    // (A race with a stream is refused above.)
    let reports_timeouts = matches!(
        &options.mode,
        Some((TasksMode::Settle, _)) | Some((TasksMode::Try, _)) | Some((TasksMode::Race, _))
    );
    if let (Some(stream), Some(_), false) = (&options.stream, &options.timeout, reports_timeouts) {
        errors.push(syn::Error::new(
            stream.span(),
            format!(
                "a `{stream}` with a `timeout` would end at its deadline without a word for the \
                 work it cut off: say how to report it. Add `try` (the stream's last item is \
                 then `Err(Elapsed.into())` whenever work was left, for tasks whose error \
                 converts from `jobloop::Elapsed`), or `settle` (each task still running is then \
                 an item `Err(e)` with `e.is_timeout()`; `timed_out()` tells whether items were \
                 left unstarted)"
            ),
        ));
    }
    let reports_task_timeouts = matches!(
        &options.mode,
        Some((TasksMode::Settle, _)) | Some((TasksMode::Try, _))
    );
    if let (Some((keyword, _)), false) = (&options.task_timeout, reports_task_timeouts) {
        let message = match &options.mode {
            Some((TasksMode::Race, race)) => format!(
                "`{keyword}` cannot be used with `{race}`: a race has no place for a task that \
                 timed out. Give the race as a whole a deadline with `timeout = D` instead, or \
                 use `settle` or `try`"
            ),
            _ => format!(
                "`{keyword}` needs a mode that says what a task that timed out gives: add \
                 `settle` (that task is then `Err(e)` with `e.is_timeout()`, the others keep \
                 their outputs) or `try` (the group then fails with `Err(Elapsed.into())`, for \
                 tasks whose error converts from `jobloop::Elapsed`, as `std::io::Error` does). \
                 For one deadline for the whole group, write `timeout = D`"
            ),
        };
        errors.push(syn::Error::new(keyword.span(), message));
    }
    if let (Some(scoped), true) = (&options.scoped, options.send) {
        errors.push(syn::Error::new(
            scoped.span(),
            format!(
                "`{scoped}` and `send` cannot be combined: a scoped group polls its tasks itself, \
                 on its own thread, so they never run on another one. Remove `send` to let the \
                 tasks borrow, or remove `scoped` to run them on any thread of a \
                 multi-threaded runtime (they must then own what they use: `'static`)"
            ),
        ));
    }
}

/// Where a task expression is evaluated, which tells what a `return`, `break` or `continue` in
/// it would leave.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `tasks![a, b]`: where the macro is written, before the tasks start.
    List,
    /// `tasks![for x in xs => job(x)]`: in the loop over the items, where the macro is written.
    Loop,
    /// `tasks![limit = n; for ..]`: in a closure inside the group, each time a task may start.
    Lazy,
}

/// A `return`, `break` or `continue` of a task expression (not of a closure, an `async` block or
/// a loop of its own) would leave what makes the tasks, not the task: the group would be left
/// half made (or, `break` in the `for` form, end with fewer tasks than items, silently). Each is
/// a compile error at its token that says why. The walk errs on the side of silence, as the
/// check of lazy tasks does: it stops at a closure's `|` and at item keywords, and skips `async`
/// blocks and macro arguments.
fn check_control_flow(tokens: TokenStream, in_loop: bool, form: Form, errors: &mut Errors) {
    let mut previous: Option<TokenTree> = None;
    let mut before_previous: Option<TokenTree> = None;
    // A `loop`, `while` or `for` was seen: the next block at this level is its body.
    let mut loop_body_next = false;
    for token in tokens {
        match &token {
            TokenTree::Ident(ident) if ident == "return" => {
                let leaves = match form {
                    Form::List | Form::Loop => {
                        "the function that writes `tasks![]`, while the group is being made"
                    }
                    Form::Lazy => "the closure in which the group makes each task",
                };
                errors.push(syn::Error::new(
                    ident.span(),
                    format!(
                        "this `return` would leave {leaves}, not the task: a task expression \
                         must give the task's future. Put the `return` inside the task \
                         (`async move {{ .. return ..; }}`), or decide before `tasks![]`"
                    ),
                ));
            }
            TokenTree::Ident(ident) if (ident == "break" || ident == "continue") && !in_loop => {
                let word = ident.to_string();
                let message = match form {
                    Form::Loop => format!(
                        "this `{word}` would act on the loop that starts the tasks, which would \
                         end with fewer tasks than items: choose the items before `tasks![]` \
                         (`.filter(..)`, `.take_while(..)`), or put the `{word}` in a loop \
                         inside the task"
                    ),
                    _ => format!(
                        "`{word}` outside a loop of the task: a task expression must give the \
                         task's future. Choose the items before `tasks![]` (`.filter(..)`), or \
                         put the `{word}` in a loop inside the task"
                    ),
                };
                errors.push(syn::Error::new(ident.span(), message));
            }
            TokenTree::Ident(ident)
                if ident == "loop" || ident == "while" || ident == "for" =>
            {
                loop_body_next = true;
            }
            TokenTree::Punct(punct) if punct.as_char() == '|' => return,
            TokenTree::Ident(ident) if STOP_WORDS.iter().any(|word| ident == word) => return,
            TokenTree::Group(group) => {
                let brace = group.delimiter() == Delimiter::Brace;
                let async_block = brace
                    && matches!(&previous, Some(TokenTree::Ident(ident)) if ident == "async" || ident == "move");
                let macro_arguments = is_punct(previous.as_ref(), '!');
                // `'a: { .. }`: a labeled block, which `break 'a` may leave.
                let labeled = brace
                    && is_punct(previous.as_ref(), ':')
                    && matches!(&before_previous, Some(TokenTree::Ident(_)));
                if !async_block && !macro_arguments {
                    let body = brace && std::mem::take(&mut loop_body_next);
                    check_control_flow(group.stream(), in_loop || body || labeled, form, errors);
                }
            }
            _ => {}
        }
        before_previous = previous;
        previous = Some(token);
    }
}

/// Keywords after which the rest of a level is an item or a construct with its own `?`.
const STOP_WORDS: &[&str] = &[
    "fn",
    "impl",
    "mod",
    "trait",
    "struct",
    "enum",
    "union",
    "type",
    "static",
    "const",
    "try",
    "macro_rules",
    "use",
    "extern",
];

fn check_lazy_task(tokens: TokenStream, errors: &mut Errors) {
    let mut previous: Option<TokenTree> = None;
    for token in tokens {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == '?' => errors.push(syn::Error::new(
                punct.span(),
                "with `limit`, each task is made inside the group when a slot frees up, so \
                 this `?` cannot return from the function: compute the values before \
                 `tasks![]` (for example, collect them into a `Vec`), or remove `limit`",
            )),
            TokenTree::Ident(ident) if ident == "await" && is_punct(previous.as_ref(), '.') => {
                errors.push(syn::Error::new(
                    ident.span(),
                    "with `limit`, each task is made inside the group when a slot frees up, \
                     so this `.await` cannot run in the function: await before `tasks![]`, \
                     move it into the task (`async move { .. }`), or remove `limit`",
                ));
            }
            TokenTree::Punct(punct) if punct.as_char() == '|' => return,
            TokenTree::Ident(ident) if STOP_WORDS.iter().any(|word| ident == word) => return,
            TokenTree::Group(group) => {
                let async_block = group.delimiter() == Delimiter::Brace
                    && matches!(&previous, Some(TokenTree::Ident(ident)) if ident == "async" || ident == "move");
                let macro_arguments = is_punct(previous.as_ref(), '!');
                if !async_block && !macro_arguments {
                    check_lazy_task(group.stream(), errors);
                }
            }
            _ => {}
        }
        previous = Some(token);
    }
}

fn is_punct(token: Option<&TokenTree>, c: char) -> bool {
    matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == c)
}
