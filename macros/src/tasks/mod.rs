//! `tasks![]`: parse → validate → expand.

mod ast;
mod expand;
mod expand_modes;
mod parse;
mod validate;

use proc_macro2::TokenStream;

/// Expands `tasks![input]`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let tasks = match parse::tasks(input).and_then(|tasks| validate::tasks(&tasks).map(|()| tasks))
    {
        Ok(tasks) => tasks,
        Err(error) => return expand::compile_errors(error),
    };
    if tasks.options.needs_engine() {
        expand_modes::tasks(&tasks)
    } else {
        expand::tasks(tasks)
    }
}
