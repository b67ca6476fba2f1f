//! Validation: the checks that need more than syntax, each error pointing at the user's token
//! and saying what to write instead.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

use crate::error::Errors;
use crate::expand::Entry;
use crate::parse::{EntryOption, FnItem, Tasks, TasksInput};

/// The options of `#[job_main]` / `#[job_test]`, once checked.
#[derive(Default)]
pub(crate) struct EntryConfig {
    /// `runtime = EXPR`: the runtime to run on, instead of the embedded event loop.
    pub(crate) runtime: Option<TokenStream>,
    /// `virtual_time` (tests only): the runtime's virtual clock.
    pub(crate) virtual_time: bool,
}

/// The options each attribute accepts, for error messages.
fn valid_options(entry: Entry) -> &'static str {
    match entry {
        Entry::Main => "`runtime = <expression>`",
        Entry::Test => "`runtime = <expression>`, `virtual_time`",
    }
}

/// Checks the options; unknown and repeated ones become errors.
pub(crate) fn entry_config(
    entry: Entry,
    options: Vec<EntryOption>,
    errors: &mut Errors,
) -> EntryConfig {
    let mut config = EntryConfig::default();
    for option in options {
        let name = option.name.to_string();
        match name.as_str() {
            "runtime" => {
                if option.value.is_empty() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`runtime` needs a value: write `runtime = jobloop::EventLoop::new()` \
                         (any value whose type implements `jobloop::Runtime`)",
                    ));
                } else if config.runtime.is_some() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`runtime` is given twice: keep one",
                    ));
                } else {
                    config.runtime = Some(option.value);
                }
            }
            "virtual_time" if entry == Entry::Main => errors.push(syn::Error::new(
                option.name.span(),
                "`virtual_time` is for tests: write `#[jobloop::job_test(virtual_time)]`",
            )),
            "virtual_time" => {
                if !option.value.is_empty() {
                    errors.push(syn::Error::new_spanned(
                        &option.value,
                        "`virtual_time` takes no value: write `#[job_test(virtual_time)]`",
                    ));
                } else if config.virtual_time {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`virtual_time` is given twice: keep one",
                    ));
                }
                config.virtual_time = true;
            }
            _ => errors.push(syn::Error::new(
                option.name.span(),
                format!(
                    "unknown option `{name}` for `#[{}]`; valid options: {}",
                    entry.name(),
                    valid_options(entry)
                ),
            )),
        }
    }
    config
}

/// Checks the function; returns whether it can be expanded.
pub(crate) fn entry_fn(entry: Entry, item: &FnItem, errors: &mut Errors) -> bool {
    let mut found = Errors::default();
    let mut error = |tokens: &dyn quote::ToTokens, message: String| {
        found.push(syn::Error::new_spanned(tokens, message));
    };
    let name = entry.name();
    if let Some(constness) = &item.constness {
        error(
            constness,
            format!("`#[{name}]` functions cannot be `const`: remove `const`"),
        );
    }
    if item.asyncness.is_none() {
        error(
            &item.fn_token,
            format!(
                "`#[{name}]` needs an `async fn`: write `async fn {}()`",
                item.ident
            ),
        );
    }
    if let Some(unsafety) = &item.unsafety {
        error(
            unsafety,
            format!("`#[{name}]` functions cannot be `unsafe`: remove `unsafe`"),
        );
    }
    if let Some(abi) = &item.abi {
        error(
            abi,
            format!("`#[{name}]` functions cannot be `extern`: remove the ABI"),
        );
    }
    if let Some(receiver) = item.inputs.clone().into_iter().find(is_self) {
        error(
            &receiver,
            format!(
                "`#[{name}]` cannot take `self`: put it on a free function, \
                 outside any `impl` block"
            ),
        );
    } else if !item.inputs.is_empty() {
        let message = match entry {
            Entry::Main => format!(
                "`#[{name}]` functions take no arguments: remove them \
                 (read command-line arguments with `std::env::args()`)"
            ),
            Entry::Test => format!("`#[{name}]` functions take no arguments: remove them"),
        };
        error(&item.inputs, message);
    }
    if item.generics.lt_token.is_some() {
        let params = &item.generics;
        let (lt, gt) = (&params.lt_token, &params.gt_token);
        let params = &params.params;
        error(
            &quote::quote!(#lt #params #gt),
            format!("`#[{name}]` functions cannot be generic: remove the `<...>` parameters"),
        );
    }
    if let Some(where_clause) = &item.generics.where_clause {
        error(
            where_clause,
            format!("`#[{name}]` functions cannot have a `where` clause: remove it"),
        );
    }
    if entry == Entry::Test {
        for attr in &item.attrs {
            if crate::expand::is_test_attr(attr) {
                let path = attr.path();
                let written = quote::ToTokens::to_token_stream(path)
                    .to_string()
                    .replace(' ', "");
                error(
                    attr,
                    format!(
                        "remove `#[{written}]`: `#[job_test]` already makes the function a test \
                         and runs it on an event loop"
                    ),
                );
            }
        }
    }
    let ok = found.is_empty();
    errors.take(found.finish(()));
    ok
}

fn is_self(token: &TokenTree) -> bool {
    matches!(token, TokenTree::Ident(ident) if ident == "self")
}

/// `tasks![limit = N; for PAT in ITER => EXPR]` makes each task inside the group, in a closure,
/// when a slot frees up: `?` and `.await` in `EXPR` cannot act on the function that writes
/// `tasks![]`. Points at each one that would (rustc would only speak of a closure the user
/// never wrote). Blocks and closures of the user's own (`async { .. }`, `|x| ..`, nested `fn`
/// items), where `?` and `.await` may be fine, are not looked into: what is missed there
/// still gets rustc's error, and nothing valid is rejected.
pub(crate) fn tasks(tasks: &Tasks) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let (Some(_), TasksInput::For { expr, .. }) = (&tasks.options.limit, &tasks.input) {
        check_lazy_task(expr.tokens.clone(), &mut errors);
    }
    errors.finish(())
}

fn check_lazy_task(tokens: TokenStream, errors: &mut Errors) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        let previous = i.checked_sub(1).and_then(|p| tokens.get(p));
        match token {
            TokenTree::Punct(punct) if punct.as_char() == '?' => errors.push(syn::Error::new(
                punct.span(),
                "with `limit`, each task is made inside the group when a slot frees up, so \
                 this `?` cannot return from the function: compute the values before \
                 `tasks![]` (for example, collect them into a `Vec`), or remove `limit`",
            )),
            TokenTree::Ident(ident) if ident == "await" && is_punct(previous, '.') => {
                errors.push(syn::Error::new(
                    ident.span(),
                    "with `limit`, each task is made inside the group when a slot frees up, \
                     so this `.await` cannot run in the function: await before `tasks![]`, \
                     move it into the task (`async move { .. }`), or remove `limit`",
                ));
            }
            // A closure of the user's: its body runs in its own frame; skip to the end of the
            // expression it is in.
            TokenTree::Punct(punct) if punct.as_char() == '|' && starts_closure(previous) => {
                while tokens
                    .get(i + 1)
                    .is_some_and(|t| !is_punct(Some(t), ',') && !is_punct(Some(t), ';'))
                {
                    i += 1;
                }
            }
            // A nested item (`fn f() -> Result<..> { .. }`): skip to the end of its body.
            TokenTree::Ident(ident)
                if ident == "fn" || ident == "impl" || ident == "mod" || ident == "trait" =>
            {
                while let Some(next) = tokens.get(i + 1) {
                    i += 1;
                    if matches!(next, TokenTree::Group(group) if group.delimiter() == Delimiter::Brace)
                    {
                        break;
                    }
                }
            }
            TokenTree::Group(group) => {
                // An `async` block's `?` and `.await` are its own.
                let async_block = group.delimiter() == Delimiter::Brace
                    && matches!(previous, Some(TokenTree::Ident(ident)) if ident == "async" || ident == "move");
                if !async_block {
                    check_lazy_task(group.stream(), errors);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

fn is_punct(token: Option<&TokenTree>, c: char) -> bool {
    matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == c)
}

/// Whether a `|` after `previous` opens a closure's parameters rather than being an operator.
fn starts_closure(previous: Option<&TokenTree>) -> bool {
    match previous {
        None => true,
        Some(TokenTree::Punct(punct)) => {
            matches!(punct.as_char(), ',' | '=' | ';' | '>' | '|' | '(' | '!')
        }
        Some(TokenTree::Ident(ident)) => ident == "move" || ident == "return" || ident == "async",
        Some(_) => false,
    }
}
