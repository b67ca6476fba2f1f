//! Validating `#[job_main]` / `#[job_test]`: the checks that need more than syntax, each error
//! pointing at the user's token and saying what to write instead.

use proc_macro2::TokenTree;

use super::ast::{is_test_attr, Entry, EntryConfig, EntryOption, FnItem};
use crate::errors::Errors;

/// The options each attribute accepts, for error messages.
fn valid_options(entry: Entry) -> &'static str {
    match entry {
        Entry::Main => "`runtime = <expression>`, `signals = false`, `debug`, `crate = <path>`",
        Entry::Test => {
            "`runtime = <expression>`, `virtual_time`, `shuffle` (or `shuffle = <runs>`), `debug`, \
             `crate = <path>`"
        }
    }
}

/// Checks the options; unknown and repeated ones become errors.
pub(crate) fn config(
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
            "crate" => {
                if option.value.is_empty() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`crate` needs a path: write `crate = my_jobloop` (where jobloop is, when \
                         it is renamed in Cargo.toml or re-exported by another crate)",
                    ));
                } else if config.krate.is_some() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`crate` is given twice: keep one",
                    ));
                } else {
                    config.krate = Some(option.value);
                }
            }
            "signals" if entry == Entry::Test => errors.push(syn::Error::new(
                option.name.span(),
                "`signals` is for `#[job_main]`: a test does not catch Ctrl-C, remove it",
            )),
            "signals" => {
                let value = option.value.to_string();
                let flag = match value.as_str() {
                    "false" => Some(false),
                    "true" => Some(true),
                    _ => None,
                };
                if config.signals.is_some() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`signals` is given twice: keep one",
                    ));
                } else if let Some(flag) = flag {
                    config.signals = Some(flag);
                } else if option.value.is_empty() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`signals` needs a value: write `signals = false` to let the program \
                         handle Ctrl-C and SIGTERM itself",
                    ));
                } else {
                    errors.push(syn::Error::new_spanned(
                        &option.value,
                        "`signals` is `true` (the default with jobloop's feature `signal`: Ctrl-C \
                         and SIGTERM cancel the main task, then the program exits) or `false`: \
                         write `signals = false`",
                    ));
                }
            }
            "debug" => {
                if !option.value.is_empty() {
                    errors.push(syn::Error::new_spanned(
                        &option.value,
                        "`debug` takes no value: write `debug` (the slow-poll threshold is set \
                         with `JOBLOOP_DEBUG_SLOW_MS` or `jobloop::debug::set_slow_poll_threshold`)",
                    ));
                } else if config.debug {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`debug` is given twice: keep one",
                    ));
                }
                config.debug = true;
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
            "shuffle" if entry == Entry::Main => errors.push(syn::Error::new(
                option.name.span(),
                "`shuffle` is for tests: write `#[jobloop::job_test(shuffle)]`",
            )),
            "shuffle" => {
                let runs = if option.value.is_empty() {
                    Some(None)
                } else {
                    match syn::parse2::<syn::LitInt>(option.value.clone())
                        .ok()
                        .and_then(|runs| runs.base10_parse::<u32>().ok())
                    {
                        Some(runs) if runs > 0 => Some(Some(runs)),
                        _ => {
                            errors.push(syn::Error::new_spanned(
                                &option.value,
                                "`shuffle` takes how many schedules to try, a whole number of 1 \
                                 or more: write `shuffle = 100`, or `shuffle` alone for 100",
                            ));
                            None
                        }
                    }
                };
                if config.shuffle.is_some() {
                    errors.push(syn::Error::new(
                        option.name.span(),
                        "`shuffle` is given twice: keep one",
                    ));
                } else if let Some(runs) = runs {
                    config.shuffle = Some((option.name.clone(), runs));
                }
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
    if let (Some((shuffle, _)), Some(_)) = (&config.shuffle, &config.runtime) {
        errors.push(syn::Error::new(
            shuffle.span(),
            "`shuffle` runs the test on the embedded event loop, the one runtime whose order of \
             ready tasks jobloop chooses: remove `runtime = ...` (or `shuffle`)",
        ));
    }
    config
}

/// Checks the function; returns whether it can be expanded.
pub(crate) fn function(entry: Entry, item: &FnItem, errors: &mut Errors) -> bool {
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
            if is_test_attr(attr) {
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

