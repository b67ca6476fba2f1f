//! The group behind `tasks![]` with a mode or options: [`Group`] runs the futures of a source
//! (an iterator, consumed lazily under a limit) as tasks, and a [`Mode`] decides what their
//! outcomes make: all outputs ([`All`]), all or the first error ([`Try`]), every outcome
//! ([`Settle`]), or the first to finish ([`Race`]).
//!
//! Outputs are taken in spawn order, so only the oldest unfinished task is awaited; what must be
//! seen at once (a panic, a race's winner, a `try` group's first error) reaches the group through
//! its link, as in [`TaskGroup`](super::TaskGroup). When the group completes, is dropped, or
//! unwinds, the tasks still running are cancelled.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{GroupKind, Hooks, Link, Local, Member, Payload, Sendable, SpawnMember};
use crate::error::{TaskError, TaskErrorKind};
use crate::event_loop::LoopOwner;
use crate::task::handle::RawHandle;
use crate::time::{sleep, Sleep};

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
    fn name(&self, index: usize) -> String {
        match self {
            Names::Unnamed => format!("#{index}"),
            Names::Each(expr) => format!("{expr}[{index}]"),
            Names::List(names) => names
                .get(index)
                .map_or_else(|| format!("task {index}"), |name| (*name).to_string()),
        }
    }
}

mod sealed {
    pub trait Sealed {}
    impl<T> Sealed for super::All<T> {}
    impl<T, E> Sealed for super::Try<T, E> {}
    impl<T> Sealed for super::Settle<T> {}
    impl Sealed for super::Race {}
}

/// What a group makes of its tasks' outcomes: [`All`], [`Try`], [`Settle`] or [`Race`]. Sealed:
/// the group relies on the rules stated here, which only these four are checked against.
pub trait Mode<T>: sealed::Sealed {
    /// What awaiting the group gives.
    type Output;

    /// Whether panics fail the whole group (resumed where it is awaited) rather than being an
    /// outcome like any other.
    const PANICS_FAIL_GROUP: bool = true;

    /// Whether the group needs at least one task (a race does: it gives one task's output).
    const NEEDS_A_TASK: bool = false;

    /// Whether outputs are taken in spawn order; a mode that does not only waits for a task
    /// that [`ends`](Mode::ends) the group.
    const IN_ORDER: bool = true;

    /// Whether this output ends the group at once, whatever the order (seen the moment the task
    /// finishes). Only the first such output is signalled: a mode whose [`output`](Mode::output)
    /// does not end the group on it must also collect in order (`IN_ORDER`), or it would wait
    /// for a second signal that never comes.
    fn ends(output: &T) -> bool {
        let _ = output;
        false
    }

    /// Takes the output of task `index`; `Some` ends the group with that result.
    fn output(&mut self, index: usize, output: T) -> Option<Self::Output>;

    /// Takes a task that did not produce its output; `Some` ends the group. Modes whose panics
    /// fail the group only see cancellations here.
    fn failed(&mut self, error: TaskError) -> Option<Self::Output> {
        panic!("{error}")
    }

    /// The result once every task has been taken.
    fn finish(&mut self) -> Self::Output;
}

/// Every output, in spawn order; a panic fails the group. `tasks![for ...]` with options.
#[derive(Debug)]
pub struct All<T> {
    outputs: Vec<T>,
}

impl<T> Default for All<T> {
    fn default() -> Self {
        All {
            outputs: Vec::new(),
        }
    }
}

impl<T> Mode<T> for All<T> {
    type Output = Vec<T>;

    fn output(&mut self, _index: usize, output: T) -> Option<Vec<T>> {
        self.outputs.push(output);
        None
    }

    fn finish(&mut self) -> Vec<T> {
        std::mem::take(&mut self.outputs)
    }
}

/// Outputs that are `Result`s: every `Ok` value in spawn order, or the first `Err` (the first to
/// happen, not the first in order), which cancels the tasks still running. `tasks![try; ...]`.
pub struct Try<T, E> {
    outputs: Vec<T>,
    error: PhantomData<E>,
}

impl<T, E> Default for Try<T, E> {
    fn default() -> Self {
        Try {
            outputs: Vec::new(),
            error: PhantomData,
        }
    }
}

impl<T, E> fmt::Debug for Try<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Try")
            .field("outputs", &self.outputs.len())
            .finish()
    }
}

impl<T, E> Mode<Result<T, E>> for Try<T, E> {
    type Output = Result<Vec<T>, E>;

    fn ends(output: &Result<T, E>) -> bool {
        output.is_err()
    }

    fn output(&mut self, _index: usize, output: Result<T, E>) -> Option<Self::Output> {
        match output {
            Ok(value) => {
                self.outputs.push(value);
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    fn finish(&mut self) -> Self::Output {
        Ok(std::mem::take(&mut self.outputs))
    }
}

/// Every outcome, in spawn order: the output, or a [`TaskError`] for a task that panicked, was
/// cancelled or timed out. Never fails. `tasks![settle; ...]`.
#[derive(Debug)]
pub struct Settle<T> {
    outcomes: Vec<Result<T, TaskError>>,
}

impl<T> Default for Settle<T> {
    fn default() -> Self {
        Settle {
            outcomes: Vec::new(),
        }
    }
}

impl<T> Mode<T> for Settle<T> {
    type Output = Vec<Result<T, TaskError>>;
    const PANICS_FAIL_GROUP: bool = false;

    fn output(&mut self, _index: usize, output: T) -> Option<Self::Output> {
        self.outcomes.push(Ok(output));
        None
    }

    fn failed(&mut self, error: TaskError) -> Option<Self::Output> {
        self.outcomes.push(Err(error));
        None
    }

    fn finish(&mut self) -> Self::Output {
        std::mem::take(&mut self.outcomes)
    }
}

/// The first task to finish wins: its index and output; the others are cancelled.
/// `tasks![race; ...]`.
#[derive(Debug, Default)]
pub struct Race;

impl<T> Mode<T> for Race {
    type Output = (usize, T);
    const IN_ORDER: bool = false;
    const NEEDS_A_TASK: bool = true;

    fn ends(_output: &T) -> bool {
        true
    }

    fn output(&mut self, index: usize, output: T) -> Option<(usize, T)> {
        Some((index, output))
    }

    fn finish(&mut self) -> (usize, T) {
        panic!("`tasks![race; ...]` had no task to race: its iterator was empty")
    }
}

/// The mode groups' rule for a member's outcome: tell the group at once about an output that
/// ends it, and about a panic if panics fail the group; the output (or the panic's payload, when
/// panics are outcomes) goes to the group with the task's turn.
struct ModeHooks<L, M> {
    link: L,
    index: usize,
    mode: PhantomData<fn() -> M>,
}

impl<T, L: Link, M: Mode<T>> Hooks<T> for ModeHooks<L, M> {
    type Output = Result<T, Payload>;

    fn finished(&self, output: T) -> Result<T, Payload> {
        if M::ends(&output) {
            self.link.end(self.index);
        }
        Ok(output)
    }

    fn panicked(&self, payload: Payload) -> Result<T, Payload> {
        if M::PANICS_FAIL_GROUP {
            self.link.fail(payload);
            // The payload now lives in the link.
            Err(Box::new(()))
        } else {
            Err(payload)
        }
    }
}

/// A member task of a group of futures `F` under mode `M` and kind `K`.
type ModeMember<F, K, M> = Member<F, ModeHooks<<K as GroupKind>::Link, M>>;

/// The handle to a member task: its output, or its panic's payload.
type MemberHandle<F> = RawHandle<Result<<F as Future>::Output, Payload>>;

/// Starts a member: the group's kind's spawn, chosen when the group is made. The name is what
/// the user called, for the panic when no runtime runs here.
type Spawner<F, K, M> = fn(&'static str, ModeMember<F, K, M>) -> MemberHandle<F>;

/// A group of tasks with a [`Mode`], an optional limit on how many run at once, and (for
/// [`Settle`]) an optional timeout: what `tasks![]` with a mode or options expands to.
///
/// The source is consumed lazily: at most `limit` of its futures are running tasks at any time,
/// so a group over millions of items holds `limit` tasks in memory. A new task starts when the
/// oldest running one has been taken (outputs are taken in order), as
/// `futures::stream::StreamExt::buffered` does.
///
/// `Group<I, M>` (kind [`Local`]) keeps its tasks on its thread; [`Group::new_send`] makes a
/// `Group<I, M, Sendable>`, whose `Send` tasks a multi-threaded runtime may run in parallel.
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
pub struct Group<I: Iterator, M, K: GroupKind = Local>
where
    I::Item: Future,
{
    /// What the user called, for the panic when no runtime runs here.
    what: &'static str,
    source: std::iter::Fuse<I>,
    limit: usize,
    spawn: Spawner<I::Item, K, M>,
    link: K::Link,
    /// Running (or finished, not yet taken) tasks, in spawn order, with their indexes.
    running: VecDeque<(usize, MemberHandle<I::Item>)>,
    next_index: usize,
    names: Names,
    mode: M,
    /// [`Settle`] only: when the timeout expires, the unfinished tasks become
    /// [`TaskErrorKind::TimedOut`] outcomes.
    deadline: Option<Sleep>,
    /// The waker last registered with `link`.
    registered: Option<std::task::Waker>,
    /// The event loop that runs the tasks, when one does.
    owner: Option<LoopOwner>,
}

// No field is pinned: the source's futures are moved out of it into tasks before anything polls
// them, and `deadline` is `Unpin`. So a group may move while pinned, whatever its source (a
// `Vec` of `async` blocks, which are not `Unpin`) and mode are.
impl<I: Iterator, M, K: GroupKind> Unpin for Group<I, M, K> where I::Item: Future {}

impl<I, M> Group<I, M, Local>
where
    I: Iterator,
    I::Item: Future + 'static,
    <I::Item as Future>::Output: 'static,
    M: Mode<<I::Item as Future>::Output> + 'static,
{
    /// Starts up to `limit` of the `tasks` at once, on this thread (they need not be `Send`), and
    /// the rest as the first ones finish. In [`TaskError`]s the tasks are named by their index:
    /// `#0`, `#1`, ...
    ///
    /// # Panics
    ///
    /// When `limit` is 0 (no task could ever start), when the mode is [`Race`] and there is no
    /// task, and when no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn new(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        Group::start(
            "`Group::new`",
            Names::Unnamed,
            mode,
            limit,
            tasks.into_iter(),
            Local::spawn,
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
        Group::start(
            "`tasks![]`",
            names,
            mode,
            limit,
            tasks.into_iter(),
            Local::spawn,
        )
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
        Group::start(
            "`Group::new_send`",
            Names::Unnamed,
            mode,
            limit,
            tasks.into_iter(),
            Sendable::spawn,
        )
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
        Group::start(
            "`tasks![]`",
            names,
            mode,
            limit,
            tasks.into_iter(),
            Sendable::spawn,
        )
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
        spawn: Spawner<I::Item, K, M>,
    ) -> Self {
        if limit == 0 {
            panic!(
                "the limit of this group is 0, so none of its tasks could ever start: give a \
                 limit of 1 or more (`tasks![limit = n; ...]` with n computed as 0?)"
            );
        }
        let mut group = Group {
            what,
            source: tasks.fuse(),
            limit,
            spawn,
            link: K::Link::default(),
            running: VecDeque::new(),
            next_index: 0,
            names,
            mode,
            deadline: None,
            registered: None,
            owner: LoopOwner::current(),
        };
        // The tasks start when the group is created, as asyncio's `create_task` starts them.
        group.fill();
        if M::NEEDS_A_TASK && group.running.is_empty() {
            panic!("this race has no task to race (its iterator was empty): a race needs one");
        }
        group
    }

    /// Starts tasks from the source until `limit` run.
    #[track_caller]
    fn fill(&mut self) {
        while self.running.len() < self.limit {
            let Some(future) = self.source.next() else {
                break;
            };
            let index = self.next_index;
            self.next_index += 1;
            let hooks = ModeHooks {
                link: self.link.clone(),
                index,
                mode: PhantomData,
            };
            let task = (self.spawn)(self.what, Member::new(future, hooks));
            self.running.push_back((index, task));
        }
    }

    /// Takes the outcome of a finished task; `Some` ends the group.
    fn take(
        &mut self,
        index: usize,
        outcome: Option<Result<<I::Item as Future>::Output, Payload>>,
    ) -> Option<M::Output> {
        match outcome {
            Some(Ok(output)) => self.mode.output(index, output),
            Some(Err(payload)) => {
                if M::PANICS_FAIL_GROUP {
                    // The member stored the real payload in the link.
                    self.link.resume_panic()
                }
                let error = TaskError::panicked(self.names.name(index), &*payload);
                self.mode.failed(error)
            }
            None => {
                let error = TaskError::new(self.names.name(index), TaskErrorKind::Cancelled);
                self.mode.failed(error)
            }
        }
    }

    /// The deadline expired: every started task that did not finish times out. Tasks that did
    /// finish, but whose turn in the order had not come yet, keep their outcome. Items of the
    /// source that never started stay in it: the group stays lazy (the source may be endless,
    /// and its task expressions have side effects), so they have no outcome.
    fn time_out(&mut self) -> M::Output {
        let mut peek = Context::from_waker(std::task::Waker::noop());
        let running: Vec<_> = self.running.drain(..).collect();
        for (index, mut handle) in running {
            let ended = match handle.poll_output(&mut peek) {
                Poll::Ready(outcome) => self.take(index, outcome),
                Poll::Pending => {
                    let error = TaskError::new(self.names.name(index), TaskErrorKind::TimedOut);
                    self.mode.failed(error)
                }
            };
            if let Some(output) = ended {
                return output;
            }
        }
        self.mode.finish()
    }

    /// Ends the group: the tasks still running are cancelled.
    fn end(&mut self, output: M::Output) -> Poll<M::Output> {
        self.running.clear();
        Poll::Ready(output)
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
        self.deadline = Some(sleep(duration));
        self
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
        let this = &mut *self;
        let outcome = this.poll_tasks(cx);
        if outcome.is_pending() {
            if let Some(owner) = &this.owner {
                owner.check("a `tasks![]` group");
            }
        }
        outcome
    }
}

impl<I, M, K> Group<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: Mode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    /// Takes what is ready; `Ready` once the group has its output.
    fn poll_tasks(&mut self, cx: &mut Context<'_>) -> Poll<M::Output> {
        let this = self;
        this.link.register_and_check(&mut this.registered, cx);
        if let Some(deadline) = &mut this.deadline {
            if Pin::new(deadline).poll(cx).is_ready() {
                let output = this.time_out();
                return this.end(output);
            }
        }
        loop {
            this.fill();
            // A task whose output ends the group, wherever it is in the order.
            if let Some(index) = this.link.ended() {
                if let Some(position) = this.running.iter().position(|(i, _)| *i == index) {
                    if let Some((_, handle)) = this.running.get_mut(position) {
                        if let Poll::Ready(outcome) = handle.poll_output(cx) {
                            this.running.remove(position);
                            if let Some(output) = this.take(index, outcome) {
                                return this.end(output);
                            }
                            continue;
                        }
                    }
                }
            }
            if !M::IN_ORDER {
                if this.running.is_empty() {
                    let output = this.mode.finish();
                    return this.end(output);
                }
                return Poll::Pending;
            }
            let Some((index, handle)) = this.running.front_mut() else {
                let output = this.mode.finish();
                return this.end(output);
            };
            let index = *index;
            match handle.poll_output(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(outcome) => {
                    this.running.pop_front();
                    if let Some(output) = this.take(index, outcome) {
                        return this.end(output);
                    }
                }
            }
        }
    }
}

impl<I: Iterator, M, K: GroupKind> fmt::Debug for Group<I, M, K>
where
    I::Item: Future,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("running", &self.running.len())
            .field("started", &self.next_index)
            .field("limit", &self.limit)
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
