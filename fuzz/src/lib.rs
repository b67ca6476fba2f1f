//! The expansion functions of `jobloop-macros`, outside the proc-macro crate, for fuzzing.
//!
//! A proc-macro crate exports only its macros, so its modules are compiled again here from the
//! same files, through the one list the crate itself uses (`macros/src/modules.rs`): no
//! production code changes for the fuzzer, and no second list to keep in sync.

// The macros crate uses all of these; here only the expansion functions are called.
#![allow(dead_code, unused_imports)]

include!("../../macros/src/modules.rs");

use std::str::FromStr;

use proc_macro2::TokenStream;

use entry::Entry;

/// `#[job_main(args)]` / `#[job_test(args)]` on `item`.
fn expand_entry(entry: Entry, args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry, args, item)
}

/// `tasks![input]`.
fn expand_tasks(input: TokenStream) -> TokenStream {
    tasks::expand(input)
}

/// One fuzz input: the bytes as text (invalid UTF-8 replaced), lexed; text that does not lex is
/// skipped, as rustc would never call the macro with it. The whole text is a `tasks![]` input,
/// and the item of both attributes, whose arguments are the first line (none without a newline).
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(whole) = TokenStream::from_str(&text) else {
        return;
    };
    let _ = expand_tasks(whole.clone());
    let (args, item) = match text.split_once('\n') {
        Some((first, rest)) => match (TokenStream::from_str(first), TokenStream::from_str(rest)) {
            (Ok(args), Ok(item)) => (args, item),
            _ => (TokenStream::new(), whole),
        },
        None => (TokenStream::new(), whole),
    };
    let _ = expand_entry(Entry::Main, args.clone(), item.clone());
    let _ = expand_entry(Entry::Test, args, item);
}
