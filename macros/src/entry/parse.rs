//! Parsing `#[job_main(...)]` / `#[job_test(...)]`: the options, and the signature of the
//! function they are put on. Only the signature is parsed into a syntax tree; the body is kept
//! as token trees, copied into the expansion as it is, so the compiler reports errors in it at
//! the user's own tokens, and a 2 000-line `main` costs nothing to expand.

use proc_macro2::{Delimiter, Ident, TokenStream, TokenTree};
use syn::parse::{ParseStream, Parser};
use syn::{Abi, Attribute, Generics, ReturnType, Token, Visibility};

use super::ast::{Entry, EntryOption, FnItem};
use crate::errors::Errors;
use crate::tokens::split;

/// Parses the comma-separated options of `#[job_main(...)]`; malformed ones become errors.
pub(crate) fn options(args: TokenStream, errors: &mut Errors) -> Vec<EntryOption> {
    let segments = split(args, &[',']);
    let count = segments.len();
    let mut options = Vec::new();
    for (index, segment) in segments.into_iter().enumerate() {
        let mut tokens = segment.tokens.iter();
        let Some(first) = tokens.next() else {
            // An empty trailing segment is a trailing comma (or no options at all).
            if let (Some(separator), true) = (&segment.separator, index + 1 < count) {
                errors.push(syn::Error::new(
                    separator.span(),
                    "expected an option before this `,`: remove the extra `,`",
                ));
            }
            continue;
        };
        let TokenTree::Ident(name) = first else {
            errors.push(syn::Error::new(
                first.span(),
                "expected an option name, like `runtime = jobloop::EventLoop::new()`",
            ));
            continue;
        };
        match tokens.next() {
            Some(TokenTree::Punct(eq)) if eq.as_char() == '=' => {
                let value: TokenStream = tokens.cloned().collect();
                if value.is_empty() {
                    errors.push(syn::Error::new(
                        eq.span(),
                        format!(
                            "expected a value after `{name} =`, like \
                             `{name} = jobloop::EventLoop::new()`"
                        ),
                    ));
                    continue;
                }
                options.push(EntryOption {
                    name: name.clone(),
                    value,
                });
            }
            Some(other) => errors.push(syn::Error::new(
                other.span(),
                format!("expected `=` after `{name}`: write `{name} = <value>`"),
            )),
            // A bare name: the value check in `validate` explains what it takes.
            None => options.push(EntryOption {
                name: name.clone(),
                value: TokenStream::new(),
            }),
        }
    }
    options
}

/// Parses the item an attribute is put on; anything but a function is an error.
///
/// The body is taken off first and never goes through syn: syn copies every token it parses
/// into a buffer, which for a 2 000-line `main` would cost more than the whole expansion.
pub(crate) fn function(entry: Entry, item: TokenStream) -> syn::Result<FnItem> {
    let mut tokens: Vec<TokenTree> = item.into_iter().collect();
    let body = match tokens.pop() {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => Some(group),
        Some(other) => {
            tokens.push(other);
            None
        }
        None => None,
    };
    let signature: TokenStream = tokens.into_iter().collect();
    let parser = |input: ParseStream| {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let constness: Option<Token![const]> = input.parse()?;
        let asyncness: Option<Token![async]> = input.parse()?;
        let unsafety: Option<Token![unsafe]> = input.parse()?;
        let abi: Option<Abi> = if input.peek(Token![extern]) {
            Some(input.parse()?)
        } else {
            None
        };
        if !input.peek(Token![fn]) {
            return Err(input.error(format!(
                "`#[{}]` goes on an async function: write `{}`",
                entry.name(),
                entry.example()
            )));
        }
        let fn_token: Token![fn] = input.parse()?;
        let ident: Ident = input.parse()?;
        let mut generics: Generics = input.parse()?;
        let content;
        syn::parenthesized!(content in input);
        let inputs: TokenStream = content.parse()?;
        let output: ReturnType = input.parse()?;
        generics.where_clause = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("expected the function's body `{ ... }`"));
        }
        let Some(body) = body else {
            return Err(syn::Error::new(
                ident.span(),
                "expected the function's body `{ ... }` after the signature",
            ));
        };
        Ok(FnItem {
            attrs,
            vis,
            constness,
            asyncness,
            unsafety,
            abi,
            fn_token,
            ident,
            generics,
            inputs,
            output,
            body,
        })
    };
    parser.parse2(signature)
}

