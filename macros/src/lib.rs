//! The macros of [jobloop](https://docs.rs/jobloop): `#[job_main]`, `#[job_test]` and
//! `tasks![]`. Use them through the `jobloop` crate, which documents them.
//!
//! Each macro goes parse → validate → expand, one module each, over the types of its `ast`
//! module: `entry/` for the two attributes, `tasks/` for `tasks![]`. Only a function's signature
//! becomes a syntax tree; bodies and task expressions stay token trees. Errors are
//! `compile_error!`s with the span of the offending token, all of an invocation's errors at once;
//! on an error the attribute macros still emit the user's function so that the rest of the crate,
//! and the IDE, keep working. This file holds the shims only.

#![forbid(unsafe_code)]

use proc_macro::TokenStream;

include!("modules.rs");

/// Turns `async fn main()` into a program that runs on an event loop. See `jobloop::job_main`.
#[proc_macro_attribute]
pub fn job_main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Main, args.into(), item.into()).into()
}

/// Turns an `async fn` into a `#[test]` that runs on a fresh event loop. See `jobloop::job_test`.
#[proc_macro_attribute]
pub fn job_test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Entry::Test, args.into(), item.into()).into()
}

/// Starts one task per future and waits for all of them. See `jobloop::tasks`.
#[proc_macro]
pub fn tasks(input: TokenStream) -> TokenStream {
    tasks::expand(input.into()).into()
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;
