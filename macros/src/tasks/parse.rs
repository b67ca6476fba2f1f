//! Parsing `tasks![...]`: the options before `;`, then a list of task expressions or the `for`
//! form. Task expressions are kept as token trees; the compiler reports errors in them at the
//! user's own tokens.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};

use super::ast::{Task, Tasks, TasksInput, TasksMode, TasksOptions};
use crate::errors::Errors;
use crate::tokens::{find_fat_arrow, first_top_level, is_ident, split, Segment};

/// The options `tasks![]` accepts, for error messages.
const TASKS_OPTIONS: &str =
    "`try`, `settle`, `race`, `stream`, `scoped`, `send`, `progress`, `limit = N`, `timeout = DURATION`, \
     `task_timeout = DURATION`";

/// Parses the input of `tasks![...]`, reporting every malformed part.
pub(crate) fn tasks(input: TokenStream) -> syn::Result<Tasks> {
    let mut errors = Errors::default();
    let mut tokens: Vec<TokenTree> = input.into_iter().collect();
    let krate = crate_path(&mut tokens);
    let anchor = tokens.first().map_or_else(Span::call_site, TokenTree::span);
    // Options end at the first top-level `;`, if what comes before it looks like options.
    let prefix = first_top_level(&tokens, ';')
        .map(|end| Segment {
            tokens: tokens[..end].to_vec(),
            separator: tokens.get(end).cloned(),
        })
        .filter(looks_like_options);
    if prefix.is_none() {
        if let Some(error) = missing_semicolon(&tokens) {
            errors.push(error);
        }
    }
    let mut options = match &prefix {
        Some(prefix) => {
            let options = tasks_options(prefix, &mut errors);
            tokens.drain(..=prefix.tokens.len());
            options
        }
        None => TasksOptions::default(),
    };
    options.krate = krate;
    options.anchor = anchor;
    let segments = split(tokens.into_iter().collect(), &[',', ';']);
    for segment in &segments {
        if let Some(separator @ TokenTree::Punct(punct)) = &segment.separator {
            if punct.as_char() == ';' {
                errors.push(syn::Error::new(
                    separator.span(),
                    format!(
                        "unexpected `;`: separate tasks with `,` (a `;` ends the options, as in \
                         `tasks![try; ...]`; valid options: {TASKS_OPTIONS})"
                    ),
                ));
            }
        }
    }
    let starts_with_for = segments
        .first()
        .and_then(|segment| segment.tokens.first())
        .is_some_and(|token| is_ident(token, "for"));
    let parsed = if starts_with_for {
        parse_for(segments, &mut errors)
    } else {
        parse_list(segments, &mut errors)
    };
    if let (Some((TasksMode::Race, race)), Some(TasksInput::List(list))) = (&options.mode, &parsed)
    {
        if list.len() == 1 {
            errors.push(syn::Error::new(
                race.span(),
                "`race` needs at least two tasks to race: add tasks, or remove `race`",
            ));
        }
    }
    let input = errors.finish(parsed)?.ok_or_else(|| {
        // Unreachable in practice: every `None` above comes with an error. Kept as an error, not
        // a panic, because a proc macro must never panic.
        syn::Error::new(Span::call_site(), "invalid `tasks![]` input")
    })?;
    Ok(Tasks { options, input })
}

/// Takes the crate path that the `jobloop::tasks!` wrapper puts first, `$crate ;` (no user
/// input starts so: `$crate` exists only inside `macro_rules!`, and an expression starting with
/// it goes on with `::`). Without it, jobloop is `::jobloop`.
fn crate_path(tokens: &mut Vec<TokenTree>) -> TokenStream {
    match tokens.as_slice() {
        [TokenTree::Ident(krate), TokenTree::Punct(semicolon), ..]
            if krate == "$crate" && semicolon.as_char() == ';' =>
        {
            let krate = krate.clone();
            tokens.drain(..2);
            TokenTree::Ident(krate).into()
        }
        _ => quote::quote!(::jobloop),
    }
}

/// Whether `prefix` reads as options: each part `name` or `name = value` (or empty, a stray `,`).
fn looks_like_options(prefix: &Segment) -> bool {
    split(prefix.stream(), &[',']).iter().all(|segment| {
        matches!(
            segment.tokens.as_slice(),
            [] | [TokenTree::Ident(_)] | [TokenTree::Ident(_), TokenTree::Punct(_), ..]
        )
    })
}

/// Options written without the `;` that ends them: `tasks![try a(), b()]`,
/// `tasks![limit = 4 for x in xs => f(x)]`.
fn missing_semicolon(tokens: &[TokenTree]) -> Option<syn::Error> {
    let [TokenTree::Ident(first), second, ..] = tokens else {
        return None;
    };
    let word = first.to_string();
    let missing = match (word.as_str(), second) {
        // `try` is a keyword: no task expression starts with it.
        ("try", _) => true,
        // A word then another word (`race for ...`): not an expression either.
        ("settle" | "race" | "send" | "stream" | "scoped" | "progress", TokenTree::Ident(_)) => true,
        // `limit = 4 ...`: an assignment is not a future.
        ("limit" | "timeout" | "task_timeout", TokenTree::Punct(eq)) => eq.as_char() == '=',
        _ => false,
    };
    let example = match word.as_str() {
        "limit" => "limit = 8".to_string(),
        "timeout" => "timeout = Duration::from_secs(5)".to_string(),
        "task_timeout" => "task_timeout = Duration::from_secs(2)".to_string(),
        _ => word,
    };
    missing.then(|| {
        syn::Error::new(
            first.span(),
            format!(
                "expected `;` after the options: write `tasks![{example}; ...]`, with a `;` \
                 between the options and the tasks"
            ),
        )
    })
}

/// Parses the options before the `;`, reporting unknown, repeated and conflicting ones.
fn tasks_options(prefix: &Segment, errors: &mut Errors) -> TasksOptions {
    let mut options = TasksOptions::default();
    let semicolon = prefix
        .separator
        .as_ref()
        .map_or(Span::call_site(), TokenTree::span);
    if prefix.is_empty() {
        errors.push(syn::Error::new(
            semicolon,
            format!("expected options before `;` (valid options: {TASKS_OPTIONS}), or no `;`"),
        ));
        return options;
    }
    let mut send_seen = false;
    for segment in split(prefix.stream(), &[',']) {
        let tokens = segment.tokens.as_slice();
        let (name, value) = match tokens {
            [] => {
                if let Some(separator) = &segment.separator {
                    errors.push(syn::Error::new(
                        separator.span(),
                        "expected an option before this `,`: remove the extra `,`",
                    ));
                }
                continue;
            }
            [TokenTree::Ident(name)] => (name, None),
            [TokenTree::Ident(name), TokenTree::Punct(eq), rest @ ..] if eq.as_char() == '=' => {
                if rest.is_empty() {
                    errors.push(syn::Error::new(
                        eq.span(),
                        format!("expected a value after `{name} =`"),
                    ));
                    continue;
                }
                (name, Some(rest.iter().cloned().collect::<TokenStream>()))
            }
            // `looks_like_options` let only the shapes above through.
            _ => continue,
        };
        let word = name.to_string();
        match (word.as_str(), value) {
            ("send", None) => {
                if send_seen {
                    errors.push(syn::Error::new(
                        name.span(),
                        "`send` is given twice: keep one",
                    ));
                }
                send_seen = true;
                options.send = true;
            }
            (flag @ ("stream" | "scoped" | "progress"), None) => {
                let slot = match flag {
                    "stream" => &mut options.stream,
                    "scoped" => &mut options.scoped,
                    _ => &mut options.progress,
                };
                if slot.is_some() {
                    errors.push(syn::Error::new(
                        name.span(),
                        format!("`{flag}` is given twice: keep one"),
                    ));
                }
                *slot = Some(name.clone());
            }
            (mode @ ("try" | "settle" | "race"), None) => {
                let mode_value = match mode {
                    "try" => TasksMode::Try,
                    "settle" => TasksMode::Settle,
                    _ => TasksMode::Race,
                };
                match &options.mode {
                    Some((_, first)) if *first == word => errors.push(syn::Error::new(
                        name.span(),
                        format!("`{word}` is given twice: keep one"),
                    )),
                    Some((_, first)) => errors.push(syn::Error::new(
                        name.span(),
                        format!(
                            "`{first}` and `{word}` cannot be combined: a group has one mode, \
                             `try`, `settle` or `race`"
                        ),
                    )),
                    None => options.mode = Some((mode_value, name.clone())),
                }
            }
            ("limit" | "timeout", Some(value)) => {
                let slot = if word == "limit" {
                    &mut options.limit
                } else {
                    &mut options.timeout
                };
                if slot.is_some() {
                    errors.push(syn::Error::new(
                        name.span(),
                        format!("`{word}` is given twice: keep one"),
                    ));
                    continue;
                }
                if word == "limit" && is_zero(&value) {
                    errors.push(syn::Error::new_spanned(
                        &value,
                        "`limit = 0` would never start a task: write `limit = 1` or more",
                    ));
                    continue;
                }
                *slot = Some(value);
            }
            ("task_timeout", Some(value)) => {
                if options.task_timeout.is_some() {
                    errors.push(syn::Error::new(
                        name.span(),
                        "`task_timeout` is given twice: keep one",
                    ));
                    continue;
                }
                options.task_timeout = Some((name.clone(), value));
            }
            ("task_timeout", None) => errors.push(syn::Error::new(
                name.span(),
                "`task_timeout` needs a value: write `task_timeout = Duration::from_secs(2)` \
                 (each task has 2 s from its start)",
            )),
            ("limit", None) => errors.push(syn::Error::new(
                name.span(),
                "`limit` needs a value: write `limit = 8` (at most 8 tasks run at once)",
            )),
            ("timeout", None) => errors.push(syn::Error::new(
                name.span(),
                "`timeout` needs a value: write `timeout = Duration::from_secs(5)`",
            )),
            (
                flag @ ("send" | "try" | "settle" | "race" | "stream" | "scoped" | "progress"),
                Some(value),
            ) => {
                errors.push(syn::Error::new_spanned(
                    quote::quote!(#name #value),
                    format!("`{flag}` takes no value: write `tasks![{flag}; ...]`"),
                ));
            }
            _ => errors.push(syn::Error::new(
                name.span(),
                format!("unknown option `{word}` for `tasks![]`; valid options: {TASKS_OPTIONS}"),
            )),
        }
    }
    options
}

/// Whether `value` is an integer literal equal to 0 (`0`, `0usize`, `0x0`, `0_0`).
fn is_zero(value: &TokenStream) -> bool {
    let tokens: Vec<TokenTree> = value.clone().into_iter().collect();
    let [TokenTree::Literal(literal)] = tokens.as_slice() else {
        return false;
    };
    let text = literal.to_string().replace('_', "");
    const SUFFIXES: [&str; 12] = [
        "usize", "isize", "u128", "i128", "u64", "i64", "u32", "i32", "u16", "i16", "u8", "i8",
    ];
    let text = SUFFIXES
        .iter()
        .find_map(|suffix| text.strip_suffix(suffix))
        .unwrap_or(&text);
    let (digits, radix) = match text.get(..2) {
        Some("0x") => (&text[2..], 16),
        Some("0o") => (&text[2..], 8),
        Some("0b") => (&text[2..], 2),
        _ => (text, 10),
    };
    u128::from_str_radix(digits, radix) == Ok(0)
}

const TASKS_USAGE: &str = "write `tasks![job(1), job(2)]` or `tasks![for x in items => job(x)]`";

fn parse_list(segments: Vec<Segment>, errors: &mut Errors) -> Option<TasksInput> {
    let count = segments.len();
    if count == 1 && segments.iter().all(Segment::is_empty) {
        errors.push(syn::Error::new(
            Span::call_site(),
            format!("`tasks![]` needs at least one task: {TASKS_USAGE}"),
        ));
        return None;
    }
    let mut tasks = Vec::with_capacity(count);
    for segment in segments {
        if segment.is_empty() {
            // The empty segment after a trailing comma has no separator and is fine.
            if let Some(separator) = &segment.separator {
                errors.push(syn::Error::new(
                    separator.span(),
                    format!(
                        "expected a task before this `{separator}`: remove the extra `{separator}`"
                    ),
                ));
            }
            continue;
        }
        if let Some(for_token) = segment.tokens.first().filter(|t| is_ident(t, "for")) {
            errors.push(syn::Error::new(
                for_token.span(),
                "the `for` form takes the whole `tasks![]`: write \
                 `tasks![for x in items => job(x)]` on its own",
            ));
            continue;
        }
        tasks.push(Task::new(segment.tokens));
    }
    Some(TasksInput::List(tasks))
}

fn parse_for(segments: Vec<Segment>, errors: &mut Errors) -> Option<TasksInput> {
    let mut segments = segments.into_iter();
    let first = segments.next()?;
    // What follows the `for` form: nothing, or one trailing comma.
    for extra in segments {
        if let Some(token) = extra.tokens.first() {
            errors.push(syn::Error::new(
                token.span(),
                "unexpected task after the `for` form: `tasks![for x in items => job(x)]` takes \
                 one expression after `=>`",
            ));
        }
    }
    let mut tokens = first.tokens.into_iter();
    let for_token = tokens.next()?;
    let rest: Vec<TokenTree> = tokens.collect();
    let Some(in_index) = rest.iter().position(|t| is_ident(t, "in")) else {
        // Point where `in` was expected: at `=>` if there is one, else at the end.
        let span = match find_fat_arrow(&rest) {
            Some(arrow) => rest[arrow].span(),
            None => rest.last().map_or(for_token.span(), TokenTree::span),
        };
        errors.push(syn::Error::new(
            span,
            "expected `in` after the pattern: write `for x in items => job(x)`",
        ));
        return None;
    };
    let pat: TokenStream = rest[..in_index].iter().cloned().collect();
    let in_token = &rest[in_index];
    if pat.is_empty() {
        errors.push(syn::Error::new(
            in_token.span(),
            "expected a pattern before `in`: write `for x in items => job(x)`",
        ));
    }
    let after_in = &rest[in_index + 1..];
    let Some(arrow) = find_fat_arrow(after_in) else {
        let message = match after_in.last() {
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                "expected `=>` and the task after the iterator: write \
                 `for x in items => job(x)`, not a loop body `{ ... }`"
            }
            _ => "expected `=>` and the task after the iterator: write `for x in items => job(x)`",
        };
        let span = after_in.last().map_or(in_token.span(), TokenTree::span);
        errors.push(syn::Error::new(span, message));
        return None;
    };
    let iter: TokenStream = after_in[..arrow].iter().cloned().collect();
    let arrow_tokens: TokenStream = after_in[arrow..arrow + 2].iter().cloned().collect();
    if iter.is_empty() {
        errors.push(syn::Error::new(
            in_token.span(),
            "expected the items to iterate over after `in`: write `for x in items => job(x)`",
        ));
    }
    let expr = Task::new(after_in[arrow + 2..].to_vec());
    if expr.tokens.is_empty() {
        errors.push(syn::Error::new_spanned(
            arrow_tokens,
            "expected the task after `=>`: write `for x in items => job(x)`",
        ));
    }
    Some(TasksInput::For {
        for_token,
        pat,
        iter,
        expr,
    })
}
