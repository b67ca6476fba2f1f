//! Validating `tasks![]`: the checks that need more than the shape of the input, each error
//! pointing at the user's token and saying what to write instead.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use super::ast::{Tasks, TasksInput};
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
    if let (Some(_), TasksInput::For { expr, .. }) = (&tasks.options.limit, &tasks.input) {
        check_lazy_task(expr.tokens.clone(), &mut errors);
    }
    errors.finish(())
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
