//! The expansion functions of `jobloop-macros`, outside the proc-macro crate, for fuzzing.
//!
//! A proc-macro crate exports only its macros, so its modules are compiled again here from the
//! same files: no production code changes for the fuzzer. When `macros/src/lib.rs` gains a
//! module, add it below too.

// The macros crate uses all of these; here only the expansion functions are called.
#![allow(dead_code, unused_imports)]

#[path = "../../macros/src/error.rs"]
mod error;
#[path = "../../macros/src/expand.rs"]
mod expand;
#[path = "../../macros/src/parse.rs"]
mod parse;
#[path = "../../macros/src/split.rs"]
mod split;
#[path = "../../macros/src/validate.rs"]
mod validate;

use std::str::FromStr;

use proc_macro2::TokenStream;

pub use expand::Entry;

/// `#[job_main(args)]` / `#[job_test(args)]` on `item`.
pub fn entry(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    expand::entry(entry, args, item)
}

/// `tasks![input]`.
pub fn tasks(input: TokenStream) -> TokenStream {
    expand::tasks(input)
}

/// One fuzz input: the bytes as text (invalid UTF-8 replaced), lexed; text that does not lex is
/// skipped, as rustc would never call the macro with it. The whole text is a `tasks![]` input,
/// and the item of both attributes, whose arguments are the first line (none without a newline).
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(whole) = TokenStream::from_str(&text) else {
        return;
    };
    let _ = tasks(whole.clone());
    let (args, item) = match text.split_once('\n') {
        Some((first, rest)) => match (TokenStream::from_str(first), TokenStream::from_str(rest)) {
            (Ok(args), Ok(item)) => (args, item),
            _ => (TokenStream::new(), whole),
        },
        None => (TokenStream::new(), whole),
    };
    let _ = entry(Entry::Main, args.clone(), item.clone());
    let _ = entry(Entry::Test, args, item);
}
