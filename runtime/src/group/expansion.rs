//! What the expansion of `tasks![]` calls beside the group types: the names of the tasks, and
//! the functions and traits that check each task where it is written, so that a mistake is an
//! error at the task's expression that says what to write (not a future, not a `Result` under
//! `try`, another output than the first task's in a race). Re-exported for the expansion in
//! `jobloop::__private`; nothing here is for users to name.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::TaskFuture;

/// The names of a group's tasks, for [`TaskError`](crate::TaskError)s: what `tasks![]` passes to
/// [`Group::with_names`](super::Group::with_names).
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Names {
    /// Tasks given to [`Group::new`](super::Group::new): named by their index (`#3`).
    Unnamed,
    /// The `for` form: one expression, named with the item's index (`fetch(u)[3]`).
    Each(&'static str),
    /// The list form: one name per task.
    List(&'static [&'static str]),
}

impl Names {
    /// The group's label in the trace: `tasks![.. => fetch(u)]`, `tasks![a, b]`, or `group`
    /// for one made by hand.
    pub(crate) fn group_label(&self) -> String {
        match self {
            Names::Unnamed => "group".to_string(),
            Names::Each(expr) => format!("tasks![.. => {expr}]"),
            Names::List(names) => format!("tasks![{}]", names.join(", ")),
        }
    }

    pub(crate) fn name(&self, index: usize) -> String {
        match self {
            Names::Unnamed => format!("#{index}"),
            Names::Each(expr) => format!("{expr}[{index}]"),
            Names::List(names) => names
                .get(index)
                .map_or_else(|| format!("task {index}"), |name| (*name).to_string()),
        }
    }
}

/// The output of a task of a race or a stream written as a list (`tasks![race; a, b]`), which
/// must be the first task's, `T`: the trait exists for its error message, at the task that
/// returns another type.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this task returns `{Self}`, but the first task returns `{T}`: the tasks of a race \
               or a stream all return the same type",
    label = "returns `{Self}`, not `{T}`",
    note = "a race has one output and a stream one type of item: make every task return `{T}`, \
            or write the plain list form `tasks![a, b]`, whose output is a tuple"
)]
pub trait SameOutput<T> {
    /// The output, as the first task's type.
    fn same(self) -> T;
}

impl<T> SameOutput<T> for T {
    fn same(self) -> T {
        self
    }
}

/// A task of a race or a stream written as a list, after the first one, `first`: its output
/// must be the first task's, and this call, where the task is written, says so if it is not
/// ([`SameOutput`]'s error, once: what it returns is a future of the first task's type either
/// way). Gives the task as a future of that type.
#[doc(hidden)]
pub fn same_output<F0, F>(first: &F0, task: F) -> SameOutputTask<F, F0::Output>
where
    F0: Future,
    F: Future,
    F::Output: SameOutput<F0::Output>,
{
    let _ = first;
    SameOutputTask {
        task,
        same: SameOutput::same,
    }
}

pin_project_lite::pin_project! {
    /// What [`same_output`] gives: `task`, whose output comes as `T`. Its `Future` has no bound
    /// beyond the task's, so that a task of another type is one error, at the task.
    #[doc(hidden)]
    pub struct SameOutputTask<F: Future, T> {
        #[pin]
        task: F,
        same: fn(F::Output) -> T,
    }
}

impl<F: Future, T> Future for SameOutputTask<F, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        this.task.poll(cx).map(*this.same)
    }
}

/// Returns `task` unchanged; its bound puts the "not a future" error at the task's expression.
#[doc(hidden)]
pub fn task<F: TaskFuture>(task: F) -> F {
    task
}

/// Makes room in `futures` for the items `items` promises (its size hint), and gives its
/// iterator back: what `tasks![mode; for x in items => job(x)]` loops over.
///
/// # Panics
///
/// When `items` is endless (`0..`, `iter::repeat`): without a limit every task starts at once,
/// so the group would start tasks forever. The message says to add `limit = N`.
#[doc(hidden)]
#[track_caller]
pub fn sized<F, I: IntoIterator>(futures: &mut Vec<F>, items: I) -> I::IntoIter {
    let items = items.into_iter();
    // A hint too large to reserve leaves the `Vec` to grow as the items come.
    let _ = futures.try_reserve(room_for(&items));
    items
}

/// How many tasks to make room for: the lower bound of `items`' size hint. Panics, saying to
/// add a limit, when that is `usize::MAX` (an endless iterator's, such as `0..` or
/// `iter::repeat`): a group without a limit would start tasks from it forever. An endless
/// iterator whose hint does not say so (`(0..).filter(..)`) is not seen.
#[track_caller]
pub(crate) fn room_for(items: &impl Iterator) -> usize {
    let lower = items.size_hint().0;
    if lower == usize::MAX {
        panic!(
            "`tasks![for .. in ITEMS => ..]` without `limit` starts a task for every item at \
             once, and ITEMS is endless (its size hint says `usize::MAX` items at least): add \
             `limit = N` to start at most N tasks at a time, taking items as they finish \
             (`tasks![limit = 8; for ..]`, or `tasks![stream, limit = 8; for ..]` for outcomes \
             as they come)"
        );
    }
    lower
}

/// The output of a task of `tasks![try; ...]`: a `Result`. Also tells at compile time, at the
/// task's expression, that the task must return one.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a task of `tasks![try; ...]` must return a `Result`, but this one returns `{Self}`",
    label = "returns `{Self}`, not a `Result`",
    note = "`try` stops at the first `Err`: make the task return `Result<T, E>`, or remove `try`"
)]
pub trait TryOutput {
    /// The `Ok` type.
    type Ok;
    /// The `Err` type.
    type Err;
    /// The output as a `Result`.
    fn into_result(self) -> Result<Self::Ok, Self::Err>;
}

impl<T, E> TryOutput for Result<T, E> {
    type Ok = T;
    type Err = E;

    fn into_result(self) -> Self {
        self
    }
}

pin_project_lite::pin_project! {
    #[doc(hidden)]
    /// A task of `tasks![try; ...]`, returned by [`try_task`]: the task, with its output seen
    /// through [`TryOutput`].
    pub struct TryTask<F> {
        #[pin]
        task: F,
    }
}

impl<F> Future for TryTask<F>
where
    F: Future,
    F::Output: TryOutput,
{
    type Output = Result<<F::Output as TryOutput>::Ok, <F::Output as TryOutput>::Err>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().task.poll(cx).map(TryOutput::into_result)
    }
}

#[doc(hidden)]
/// Wraps a task of `tasks![try; ...]`. The bound puts the "must return a `Result`" error at the
/// task's expression; the output type, seen through [`TryOutput`], keeps that error from
/// spreading to the rest of the expansion.
pub fn try_task<F>(task: F) -> TryTask<F>
where
    F: Future,
    F::Output: TryOutput,
{
    TryTask { task }
}
