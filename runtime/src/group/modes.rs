//! The group behind `tasks![]` with a mode or options: [`Group`] runs the futures of a source
//! (an iterator, consumed lazily under a limit) as tasks, and a [`Mode`] decides what their
//! outcomes make: all outputs ([`All`]), all or the first error ([`Try`]), every outcome
//! ([`Settle`]), or the first to finish ([`Race`]).
//!
//! The group takes each task's outcome when the task finishes (see `running`): a limit is a
//! capacity (the next task starts as soon as any running one finishes), a race's winner or a
//! `try` group's first error ends the group the moment it happens, and outputs are put back in
//! the written order by the mode. When the group ends early (a winner, an error, a panic, a
//! timeout), its tasks still running are cancelled, and its `.await` returns once every one of
//! their futures is gone.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::feed::{Engine, Feed};
use super::in_place::InPlace;
use super::running::{Ending, Outcome};
use super::{GroupKind, Local, Scoped, Sendable, SpawnMember};
use crate::error::{TaskError, TaskErrorKind};

/// The names of a group's tasks, for [`TaskError`]s: what `tasks![]` passes to
/// [`Group::with_names`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub enum Names {
    /// Tasks given to [`Group::new`]: named by their index (`#3`).
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

pub(crate) mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::All<T> {}
    impl<T, E> Sealed for super::Try<T, E> {}
    impl<T> Sealed for super::Settle<T> {}
    impl Sealed for super::Race {}
}

/// What a group makes of its tasks' outcomes: [`All`], [`Try`], [`Settle`] or [`Race`]. Sealed:
/// the group relies on the rules stated here, which only these four are checked against.
///
/// Outcomes arrive in the order the tasks finish, each with the task's index (its place in the
/// written order); a mode that gives outputs in the written order puts them back in it.
pub trait Mode<T>: sealed::Sealed {
    /// What awaiting the group gives.
    type Output;

    /// Whether panics fail the whole group (resumed where it is awaited) rather than being an
    /// outcome like any other.
    const PANICS_FAIL_GROUP: bool = true;

    /// Whether the group needs at least one task (a race does: it gives one task's output).
    const NEEDS_A_TASK: bool = false;

    /// Task `index` gave `output`; `Some` ends the group with that result.
    fn output(&mut self, index: usize, output: T) -> Option<Self::Output>;

    /// Task `index` did not give its output; `Some` ends the group. Modes whose panics fail the
    /// group see only tasks dropped by their runtime, and timeouts, here.
    fn failed(&mut self, index: usize, error: TaskError) -> Option<Self::Output> {
        let _ = index;
        panic!("{error}")
    }

    /// The result once every task has arrived.
    fn finish(&mut self) -> Self::Output;

    /// Whether `output` counts as failed on a progress bar (`Err` under `try`).
    fn is_failure(output: &T) -> bool {
        let _ = output;
        false
    }
}

/// Outputs arriving in any order, given back in their tasks' order: those that arrive ahead of
/// their turn wait in a window that starts at the first missing one.
struct InOrder<T> {
    done: Vec<T>,
    window: VecDeque<Option<T>>,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            done: Vec::new(),
            window: VecDeque::new(),
        }
    }
}

impl<T> InOrder<T> {
    fn put(&mut self, index: usize, value: T) {
        let offset = index - self.done.len();
        if offset == 0 && self.window.is_empty() {
            // In its turn, nothing waiting: straight to the outputs.
            self.done.push(value);
            return;
        }
        if offset >= self.window.len() {
            self.window.resize_with(offset + 1, || None);
        }
        self.window[offset] = Some(value);
        while let Some(Some(_)) = self.window.front() {
            if let Some(Some(value)) = self.window.pop_front() {
                self.done.push(value);
            }
        }
    }

    fn take(&mut self) -> Vec<T> {
        debug_assert!(self.window.is_empty(), "a task's output is missing");
        std::mem::take(&mut self.done)
    }
}

/// Every output, in written order; a panic fails the group. `tasks![for ...]` with options.
pub struct All<T> {
    outputs: InOrder<T>,
}

impl<T> Default for All<T> {
    fn default() -> Self {
        All {
            outputs: InOrder::default(),
        }
    }
}

impl<T> fmt::Debug for All<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("All")
            .field("outputs", &self.outputs.done.len())
            .finish()
    }
}

impl<T> Mode<T> for All<T> {
    type Output = Vec<T>;

    fn output(&mut self, index: usize, output: T) -> Option<Vec<T>> {
        self.outputs.put(index, output);
        None
    }

    fn finish(&mut self) -> Vec<T> {
        self.outputs.take()
    }
}

/// Outputs that are `Result`s: every `Ok` value in written order, or the first `Err` (the first to
/// happen, not the first in order), which cancels the tasks still running. `tasks![try; ...]`.
pub struct Try<T, E> {
    outputs: InOrder<T>,
    error: PhantomData<E>,
}

impl<T, E> Default for Try<T, E> {
    fn default() -> Self {
        Try {
            outputs: InOrder::default(),
            error: PhantomData,
        }
    }
}

impl<T, E> fmt::Debug for Try<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Try")
            .field("outputs", &self.outputs.done.len())
            .finish()
    }
}

impl<T, E> Mode<Result<T, E>> for Try<T, E> {
    type Output = Result<Vec<T>, E>;

    fn output(&mut self, index: usize, output: Result<T, E>) -> Option<Self::Output> {
        match output {
            Ok(value) => {
                self.outputs.put(index, value);
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    fn finish(&mut self) -> Self::Output {
        Ok(self.outputs.take())
    }

    fn is_failure(output: &Result<T, E>) -> bool {
        output.is_err()
    }
}

/// Every outcome, in written order: the output, or a [`TaskError`] for a task that panicked, was
/// cancelled or timed out. Never fails. `tasks![settle; ...]`.
pub struct Settle<T> {
    outcomes: InOrder<Result<T, TaskError>>,
}

impl<T> Default for Settle<T> {
    fn default() -> Self {
        Settle {
            outcomes: InOrder::default(),
        }
    }
}

impl<T> fmt::Debug for Settle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settle")
            .field("outcomes", &self.outcomes.done.len())
            .finish()
    }
}

impl<T> Mode<T> for Settle<T> {
    type Output = Vec<Result<T, TaskError>>;
    const PANICS_FAIL_GROUP: bool = false;

    fn output(&mut self, index: usize, output: T) -> Option<Self::Output> {
        self.outcomes.put(index, Ok(output));
        None
    }

    fn failed(&mut self, index: usize, error: TaskError) -> Option<Self::Output> {
        self.outcomes.put(index, Err(error));
        None
    }

    fn finish(&mut self) -> Self::Output {
        self.outcomes.take()
    }
}

/// The first task to finish wins: its index and output; the others are cancelled.
/// `tasks![race; ...]`.
#[derive(Debug, Default)]
pub struct Race;

impl<T> Mode<T> for Race {
    type Output = (usize, T);
    const NEEDS_A_TASK: bool = true;

    fn output(&mut self, index: usize, output: T) -> Option<(usize, T)> {
        Some((index, output))
    }

    fn finish(&mut self) -> (usize, T) {
        panic!("`tasks![race; ...]` had no task to race: its iterator was empty")
    }
}

/// A group of tasks with a [`Mode`], an optional limit on how many run at once, and (for
/// [`Settle`]) an optional timeout: what `tasks![]` with a mode or options expands to.
///
/// The source is consumed lazily: at most `limit` of its futures are running tasks at any time,
/// and the next starts as soon as any running one finishes (a capacity, as `asyncio.Semaphore`),
/// so a group over millions of items holds `limit` tasks in memory (and the outputs). Outputs
/// come back in the written order all the same. When the group ends early (a race's winner, a
/// `try` group's first error, a panic, a timeout), the tasks still running are cancelled, and
/// awaiting the group returns once every one of their futures has been dropped.
///
/// `Group<I, M>` (kind [`Local`]) keeps its tasks on its thread; [`Group::new_send`] makes a
/// `Group<I, M, Sendable>`, whose `Send` tasks a multi-threaded runtime may run in parallel;
/// [`Group::new_scoped`] a `Group<I, M, Scoped>`, which polls its tasks itself, so that they may
/// borrow.
///
/// ```
/// use jobloop_runtime::group::{Group, Try};
/// use jobloop_runtime::EventLoop;
///
/// let out = EventLoop::new().block_on(async {
///     let jobs = (0..10u32).map(|i| async move { if i < 20 { Ok(i) } else { Err("too big") } });
///     Group::new(Try::default(), 3, jobs).await
/// });
/// assert_eq!(out, Ok((0..10).collect()));
/// ```
#[must_use = "a Group cancels its tasks when dropped; `.await` it to wait for them"]
pub struct Group<I: Iterator, M: Mode<<I::Item as Future>::Output>, K: GroupKind = Local>
where
    I::Item: Future,
{
    feed: Feed<I, K>,
    mode: M,
    /// Decided, and waiting for the cancelled tasks' futures to be gone.
    ending: Option<Ending<M::Output>>,
}

// No field is pinned: the source's futures are moved out of it into tasks (or boxes) before
// anything polls them, and the deadline is `Unpin`. So a group may move while pinned, whatever
// its source (a `Vec` of `async` blocks, which are not `Unpin`) and mode are.
impl<I: Iterator, M: Mode<<I::Item as Future>::Output>, K: GroupKind> Unpin for Group<I, M, K> where
    I::Item: Future
{
}

impl<I, M> Group<I, M, Local>
where
    I: Iterator,
    I::Item: Future + 'static,
    <I::Item as Future>::Output: 'static,
    M: Mode<<I::Item as Future>::Output> + 'static,
{
    /// Starts up to `limit` of the `tasks` at once, on this thread (they need not be `Send`), and
    /// the next one each time a running one finishes. In [`TaskError`]s the tasks are named by
    /// their index: `#0`, `#1`, ...
    ///
    /// # Panics
    ///
    /// When `limit` is 0 (no task could ever start), when the mode is [`Race`] and there is no
    /// task, and when no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn new(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::spawned(Local::spawn, Local::spawn);
        Group::start(
            "`Group::new`",
            Names::Unnamed,
            mode,
            limit,
            tasks.into_iter(),
            engine,
        )
    }

    /// [`Group::new`] with the names of the tasks, as `tasks![]` writes them.
    #[doc(hidden)]
    #[track_caller]
    pub fn with_names(
        names: Names,
        mode: M,
        limit: usize,
        tasks: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        let engine = Engine::spawned(Local::spawn, Local::spawn);
        Group::start("`tasks![]`", names, mode, limit, tasks.into_iter(), engine)
    }
}

impl<I, M> Group<I, M, Sendable>
where
    I: Iterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
    M: Mode<<I::Item as Future>::Output> + 'static,
{
    /// Like [`Group::new`], for `Send` futures, which a multi-threaded runtime may run in
    /// parallel on its worker threads (`tasks![send; ...]`).
    #[track_caller]
    pub fn new_send(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::spawned(Sendable::spawn, Sendable::spawn);
        let what = "`Group::new_send`";
        Group::start(what, Names::Unnamed, mode, limit, tasks.into_iter(), engine)
    }

    /// [`Group::new_send`] with the names of the tasks, as `tasks![send; ...]` writes them.
    #[doc(hidden)]
    #[track_caller]
    pub fn with_names_send(
        names: Names,
        mode: M,
        limit: usize,
        tasks: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        let engine = Engine::spawned(Sendable::spawn, Sendable::spawn);
        Group::start("`tasks![]`", names, mode, limit, tasks.into_iter(), engine)
    }
}

impl<I, M> Group<I, M, Scoped>
where
    I: Iterator,
    I::Item: Future,
    M: Mode<<I::Item as Future>::Output>,
{
    /// Like [`Group::new`], for tasks that the group polls itself instead of spawning them
    /// (`tasks![scoped; ...]`): they may borrow (they need not be `'static`), start when the
    /// group is first polled, and never leave its thread.
    ///
    /// ```
    /// use jobloop_runtime::group::{All, Group};
    /// use jobloop_runtime::EventLoop;
    ///
    /// let words = vec!["a".to_string(), "bb".to_string()];
    /// let lengths = EventLoop::new().block_on(async {
    ///     let jobs = words.iter().map(|word| async { word.len() }); // borrows `words`
    ///     Group::new_scoped(All::default(), usize::MAX, jobs).await
    /// });
    /// assert_eq!(lengths, [1, 2]);
    /// ```
    #[track_caller]
    pub fn new_scoped(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::InPlace(InPlace::new());
        let what = "`Group::new_scoped`";
        Group::start(what, Names::Unnamed, mode, limit, tasks.into_iter(), engine)
    }

    /// [`Group::new_scoped`] with the names of the tasks, as `tasks![scoped; ...]` writes them.
    #[doc(hidden)]
    #[track_caller]
    pub fn with_names_scoped(
        names: Names,
        mode: M,
        limit: usize,
        tasks: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        let engine = Engine::InPlace(InPlace::new());
        Group::start("`tasks![]`", names, mode, limit, tasks.into_iter(), engine)
    }
}

impl<I, M, K> Group<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: Mode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    /// # Panics
    ///
    /// When `limit` is 0 (no task could ever start), when a race has no task, and when no
    /// runtime runs on this thread.
    #[track_caller]
    fn start(
        what: &'static str,
        names: Names,
        mode: M,
        limit: usize,
        tasks: I,
        engine: Engine<I::Item, K>,
    ) -> Self {
        let feed = Feed::new(what, names, limit, tasks, engine);
        if M::NEEDS_A_TASK && feed.running() == 0 {
            panic!("this race has no task to race (its iterator was empty): a race needs one");
        }
        Group {
            feed,
            mode,
            ending: None,
        }
    }

    /// Hands task `index`'s outcome to the mode; `Some` ends the group.
    #[inline(always)]
    fn arrive(
        &mut self,
        index: usize,
        outcome: Outcome<<I::Item as Future>::Output>,
    ) -> Option<Ending<M::Output>> {
        match outcome {
            Outcome::Output(output) => {
                self.feed.count(M::is_failure(&output));
                self.mode.output(index, output).map(Ending::Output)
            }
            outcome => self.arrive_unfinished(index, outcome),
        }
    }

    /// [`arrive`](Self::arrive) for a task that panicked.
    fn arrive_unfinished(
        &mut self,
        index: usize,
        outcome: Outcome<<I::Item as Future>::Output>,
    ) -> Option<Ending<M::Output>> {
        self.feed.count(true);
        match outcome {
            Outcome::Panicked(payload) if M::PANICS_FAIL_GROUP => Some(Ending::Panic(payload)),
            outcome => {
                let feed = &self.feed;
                let Err(error) = outcome.into_result(|| feed.name(index)) else {
                    return None;
                };
                self.mode.failed(index, error).map(Ending::Output)
            }
        }
    }

    /// The deadline expired: every started task that did not finish times out. Items of the
    /// source that never started stay in it: the group stays lazy (the source may be endless,
    /// and its task expressions have side effects), so they have no outcome.
    fn time_out(&mut self, cx: &mut Context<'_>) -> Ending<M::Output> {
        // Tasks that finished before the deadline keep their outcomes.
        while let Some((index, outcome)) = self.feed.poll_finished(cx) {
            if let Some(ending) = self.arrive(index, outcome) {
                return ending;
            }
        }
        for index in self.feed.indexes() {
            let error = TaskError::new(self.feed.name(index), TaskErrorKind::TimedOut);
            if let Some(output) = self.mode.failed(index, error) {
                return Ending::Output(output);
            }
        }
        Ending::Output(self.mode.finish())
    }

    /// Ends the group: the tasks still running are cancelled; `Ready` once every one of their
    /// futures is gone.
    fn end(&mut self, ending: Ending<M::Output>, cx: &mut Context<'_>) -> Poll<M::Output> {
        self.feed.finish_progress();
        self.feed.cancel();
        self.ending = Some(ending);
        self.poll_ending(cx)
    }

    fn poll_ending(&mut self, cx: &mut Context<'_>) -> Poll<M::Output> {
        std::task::ready!(self.feed.poll_gone(cx));
        match self.ending.take() {
            Some(ending) => Poll::Ready(ending.finish()),
            None => panic!("a task group was polled after it returned its output"),
        }
    }
}

impl<I, T, K> Group<I, Settle<T>, K>
where
    I: Iterator,
    I::Item: Future<Output = T>,
    K: GroupKind,
{
    /// Gives up on the tasks still unfinished after `duration`: they are cancelled and reported
    /// as [`TaskErrorKind::TimedOut`] outcomes; tasks that finished keep theirs. Items of the
    /// source that were not started by then (under a limit) stay in it and have no outcome, so
    /// the group ends even over an endless source. `tasks![settle, timeout = D; ...]`.
    ///
    /// Only [`Settle`] reports timed-out tasks as outcomes; for another mode, wrap the group in
    /// [`timeout`](crate::timeout), which gives `Err(Elapsed)` and cancels the tasks.
    pub fn deadline_after(mut self, duration: Duration) -> Self {
        self.feed.set_deadline(duration);
        self
    }
}

impl<I, M, K> Group<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: Mode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    /// Draws a live progress bar on stderr while the group runs, when stderr is a terminal
    /// (nothing otherwise): done/total, failed (panics, timeouts, `Err` under `try`), rate and
    /// time left. `tasks![progress; ...]`. The total is known when the source's size hint is
    /// exact (a `Vec`, a range); otherwise the bar shows the count and rate. Drawn by
    /// indicatif: needs jobloop's feature `progress` (without it, a call is a compile error
    /// that says so).
    pub fn with_progress(#[cfg_attr(not(feature = "progress"), allow(unused_mut))] mut self) -> Self
    where
        Self: super::ProgressFeature,
    {
        #[cfg(feature = "progress")]
        self.feed.show_progress();
        self
    }

    /// Tells the progress bar that the group is given up on `duration` from now by a timeout
    /// around it, so that its last state says "timed out". Used by `tasks![progress, timeout =
    /// D; ...]` outside `settle`.
    #[doc(hidden)]
    pub fn progress_deadline_after(
        #[cfg_attr(not(feature = "progress"), allow(unused_mut))] mut self,
        duration: Duration,
    ) -> Self {
        #[cfg(feature = "progress")]
        self.feed.progress_deadline_after(duration);
        #[cfg(not(feature = "progress"))]
        let _ = duration;
        self
    }

    fn poll_group(&mut self, cx: &mut Context<'_>) -> Poll<M::Output> {
        let this = self;
        if this.ending.is_some() {
            return this.poll_ending(cx);
        }
        this.feed.begin_poll();
        loop {
            // The outcomes first, then the deadline (as `timeout` polls its future first): a
            // task that finished by now keeps its outcome, even under a timeout of zero.
            let Poll::Ready(arrival) = this.feed.poll_outcome(cx) else {
                if this.feed.poll_deadline(cx) {
                    let ending = this.time_out(cx);
                    return this.end(ending, cx);
                }
                return Poll::Pending;
            };
            match arrival {
                Some((index, outcome)) => {
                    if let Some(ending) = this.arrive(index, outcome) {
                        return this.end(ending, cx);
                    }
                }
                None => {
                    let ending = Ending::Output(this.mode.finish());
                    return this.end(ending, cx);
                }
            }
        }
    }
}

impl<I, M, K> Future for Group<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: Mode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    type Output = M::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<M::Output> {
        let poll = self.poll_group(cx);
        if poll.is_pending() {
            crate::debug::waiting("group"); // for the trace
        }
        poll
    }
}

impl<I: Iterator, M: Mode<<I::Item as Future>::Output>, K: GroupKind> fmt::Debug for Group<I, M, K>
where
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("running", &self.feed.running())
            .field("started", &self.feed.started())
            .field("limit", &self.feed.limit())
            .finish_non_exhaustive()
    }
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
