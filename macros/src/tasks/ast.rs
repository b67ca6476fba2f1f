//! The types of `tasks![]`: the options and the tasks, as parsing makes them. Imports nothing
//! else of the crate.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};

/// The input of `tasks![...]`: options, then the tasks.
pub(crate) struct Tasks {
    pub(crate) options: TasksOptions,
    pub(crate) input: TasksInput,
}

/// The options written before `;` in `tasks![try, limit = 8; ...]`.
pub(crate) struct TasksOptions {
    /// Where jobloop is: the `$crate` that the `jobloop::tasks!` wrapper passes first (not an
    /// option the user writes), `::jobloop` when the proc macro is called directly.
    pub(crate) krate: TokenStream,
    /// The first token the user wrote: where errors about the group as a whole point. (The
    /// macro's own call site is inside the `jobloop::tasks!` wrapper, in jobloop's source.)
    pub(crate) anchor: Span,
    /// `send`: the tasks are `Send` and may run on any thread of a multi-threaded runtime.
    pub(crate) send: bool,
    /// `try`, `settle` or `race`, with the keyword's token.
    pub(crate) mode: Option<(TasksMode, Ident)>,
    /// `limit = N`: at most N tasks run at once.
    pub(crate) limit: Option<TokenStream>,
    /// `timeout = DURATION`: the deadline of the whole group.
    pub(crate) timeout: Option<TokenStream>,
    /// `task_timeout = DURATION`: each task's own deadline, from its start; the keyword.
    pub(crate) task_timeout: Option<(Ident, TokenStream)>,
    /// `stream`: the group is a stream of outcomes in the order the tasks finish; the keyword.
    pub(crate) stream: Option<Ident>,
    /// `scoped`: the group polls its tasks itself, so that they may borrow; the keyword.
    pub(crate) scoped: Option<Ident>,
    /// `progress`: a live progress bar on stderr (for-form only).
    pub(crate) progress: Option<Ident>,
}

impl Default for TasksOptions {
    fn default() -> Self {
        TasksOptions {
            krate: quote::quote!(::jobloop),
            anchor: Span::call_site(),
            send: false,
            mode: None,
            limit: None,
            timeout: None,
            task_timeout: None,
            stream: None,
            scoped: None,
            progress: None,
        }
    }
}

impl TasksOptions {
    /// Whether the group needs the general engine (`jobloop::group::Group`) rather than the
    /// plain fast path.
    pub(crate) fn needs_engine(&self) -> bool {
        self.mode.is_some()
            || self.limit.is_some()
            || self.timeout.is_some()
            || self.task_timeout.is_some()
            || self.stream.is_some()
            || self.scoped.is_some()
            || self.progress.is_some()
    }
}

/// The modes of `tasks![]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TasksMode {
    Try,
    Settle,
    Race,
}

/// One task expression, with the span of its first token (where errors about it point).
pub(crate) struct Task {
    pub(crate) tokens: TokenStream,
    pub(crate) span: Span,
}

impl Task {
    pub(crate) fn new(tokens: Vec<TokenTree>) -> Task {
        let span = tokens.first().map_or(Span::call_site(), TokenTree::span);
        Task {
            tokens: tokens.into_iter().collect(),
            span,
        }
    }
}

/// The tasks of `tasks![...]`.
pub(crate) enum TasksInput {
    /// `tasks![a, b, c]`: one task per expression, output a tuple.
    List(Vec<Task>),
    /// `tasks![for PAT in ITER => EXPR]`: one task per item, output a `Vec`.
    For {
        for_token: TokenTree,
        pat: TokenStream,
        iter: TokenStream,
        expr: Task,
    },
}

