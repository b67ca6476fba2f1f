//! The group behind `tasks![]` with a mode or options: [`Group`] runs the futures of a source
//! (an iterator, consumed lazily under a limit) as tasks, and its [`Mode`] decides what their
//! outcomes make (see `modes.rs`).
//!
//! The group takes each task's outcome when the task finishes (see `running`): a limit is a
//! capacity (the next task starts as soon as any running one finishes), a race's winner or a
//! `try` group's first error ends the group when the group takes that outcome, and outputs are
//! put back in the written order by the mode. When the group ends early (a winner, an error, a
//! panic), its tasks still running are cancelled, and its `.await` returns once every one of
//! their futures is gone.

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::expansion::Names;
use super::feed::{Engine, Feed};
use super::in_place::InPlace;
use super::modes::{Mode, Settle, Try};
use super::{GroupKind, Local, Payload, Scoped, Sendable};
use crate::error::{Elapsed, TaskError};
use crate::task::handle::{spawn_local_member, spawn_send_member};

/// A group of tasks with a [`Mode`], an optional limit on how many run at once, and (for
/// [`Settle`]) an optional timeout: what `tasks![]` with a mode or options expands to.
///
/// The source is consumed lazily: at most `limit` of its futures are running tasks at any time,
/// and the next starts as soon as any running one finishes (a capacity, as `asyncio.Semaphore`),
/// so a group over millions of items holds `limit` tasks in memory (and the outputs). Outputs
/// come back in the written order all the same. When the group ends early (a race's winner, a
/// `try` group's first error, a panic, the timeout of a [`Settle`] group), the tasks still
/// running are cancelled, and awaiting the group returns once every one of their futures has
/// been dropped. A [`timeout`](crate::timeout) around the group (what `tasks![timeout = D; ..]`
/// writes for the other modes) drops the group instead: its tasks are cancelled then, and a
/// `send` task in the middle of a poll on another thread is dropped when that poll returns,
/// after `Err(Elapsed)` is given.
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
    ending: Option<Result<M::Output, Payload>>,
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
    /// When `limit` is 0 (no task could ever start), when the mode is [`Race`](super::Race) and
    /// there is no task, and when no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn new(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::spawned(spawn_local_member, spawn_local_member);
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
        let engine = Engine::spawned(spawn_local_member, spawn_local_member);
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
        let engine = Engine::spawned(spawn_send_member, spawn_send_member);
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
        let engine = Engine::spawned(spawn_send_member, spawn_send_member);
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
        outcome: Result<<I::Item as Future>::Output, Payload>,
    ) -> Option<Result<M::Output, Payload>> {
        match outcome {
            Ok(output) => {
                self.feed.count(M::is_failure(&output));
                self.mode.output(index, output).map(Ok)
            }
            Err(payload) => self.arrive_panicked(index, payload),
        }
    }

    /// [`arrive`](Self::arrive) for a task that panicked: the group's panic, or (under
    /// `settle`) the task's error.
    fn arrive_panicked(
        &mut self,
        index: usize,
        payload: Payload,
    ) -> Option<Result<M::Output, Payload>> {
        self.feed.count(true);
        if M::PANICS_FAIL_GROUP {
            return Some(Err(payload));
        }
        let error = TaskError::panicked(self.feed.name(index), &*payload);
        self.mode.failed(index, error).map(Ok)
    }

    /// Task `index`'s own timeout expired (it was cancelled): an error under `settle`, the
    /// error made from [`Elapsed`](crate::Elapsed) under `try`. Cold: kept out of the poll's
    /// loop.
    #[cold]
    #[inline(never)]
    fn arrive_timed_out(&mut self, index: usize) -> Option<Result<M::Output, Payload>> {
        self.feed.count(true);
        self.mode.failed(index, self.feed.timed_out(index)).map(Ok)
    }

    /// The deadline expired: every started task that did not finish times out. Items of the
    /// source that never started stay in it: the group stays lazy (the source may be endless,
    /// and its task expressions have side effects), so they have no outcome.
    fn time_out(&mut self, cx: &mut Context<'_>) -> Result<M::Output, Payload> {
        // Tasks that finished before the deadline keep their outcomes.
        while let Some((index, outcome)) = self.feed.poll_finished(cx) {
            if let Some(ending) = self.arrive(index, outcome) {
                return ending;
            }
        }
        for index in self.feed.indexes() {
            if let Some(output) = self.mode.failed(index, self.feed.timed_out(index)) {
                return Ok(output);
            }
        }
        Ok(self.mode.finish())
    }

    /// Ends the group with `ending`, its output or a task's panic to resume: the tasks still
    /// running are cancelled; `Ready` once every one of their futures is gone.
    fn end(&mut self, ending: Result<M::Output, Payload>, cx: &mut Context<'_>) -> Poll<M::Output> {
        self.feed.finish_progress();
        self.feed.cancel();
        self.ending = Some(ending);
        self.poll_ending(cx)
    }

    fn poll_ending(&mut self, cx: &mut Context<'_>) -> Poll<M::Output> {
        std::task::ready!(self.feed.poll_gone(cx));
        match self.ending.take() {
            Some(ending) => Poll::Ready(ending.unwrap_or_else(|payload| resume_unwind(payload))),
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
    /// as [`TimedOut`](crate::TaskErrorKind::TimedOut) outcomes; tasks that finished keep
    /// theirs. Items of the source that were not started by then (under a limit) stay in it and
    /// have no outcome, so the group ends even over an endless source.
    /// `tasks![settle, timeout = D; ...]`.
    ///
    /// Only [`Settle`] reports timed-out tasks as outcomes; for another mode, wrap the group in
    /// [`timeout`](crate::timeout), which gives `Err(Elapsed)` and cancels the tasks.
    pub fn with_timeout(mut self, duration: Duration) -> Self {
        self.feed.set_deadline(duration);
        self
    }

    /// Gives each task `duration` from its start to finish (time spent waiting for a place under
    /// the limit does not count): a task still running then is cancelled, and its outcome is a
    /// [`TaskError`] that [`is_timeout`](TaskError::is_timeout); the next task starts in its
    /// place. The group's own timeout ([`with_timeout`](Group::with_timeout)) is apart from
    /// this. `tasks![settle, task_timeout = D; ...]`.
    ///
    /// ```
    /// use jobloop_runtime::group::{Group, Settle};
    /// use jobloop_runtime::{sleep, EventLoop};
    /// use std::time::Duration;
    ///
    /// let outcomes = EventLoop::new().block_on(async {
    ///     let jobs = [10u64, 10_000, 10].map(|ms| async move {
    ///         sleep(Duration::from_millis(ms)).await;
    ///         ms
    ///     });
    ///     // One at a time: each task has its 500 ms, counted from its own start.
    ///     Group::new(Settle::default(), 1, jobs)
    ///         .with_task_timeout(Duration::from_millis(500))
    ///         .await
    /// });
    /// assert_eq!(outcomes[0].as_ref().ok(), Some(&10));
    /// assert!(outcomes[1].as_ref().is_err_and(|error| error.is_timeout()));
    /// assert_eq!(outcomes[2].as_ref().ok(), Some(&10));
    /// ```
    pub fn with_task_timeout(mut self, duration: Duration) -> Self {
        self.feed.set_task_timeout(duration);
        self
    }
}

impl<I, T, E, K> Group<I, Try<T, E>, K>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>>,
    K: GroupKind,
{
    /// Gives each task `duration` from its start to finish (time spent waiting for a place under
    /// the limit does not count): a task still running then is cancelled, and the group fails
    /// with `Err(to_error(Elapsed))`, as with a task's own `Err` (the other tasks are
    /// cancelled). `tasks![try, task_timeout = D; ...]` gives it `From::from`, so the tasks'
    /// error type converts from [`Elapsed`] (`std::io::Error` does).
    ///
    /// ```
    /// use jobloop_runtime::group::{Group, Try};
    /// use jobloop_runtime::{sleep, EventLoop};
    /// use std::io;
    /// use std::time::Duration;
    ///
    /// let result = EventLoop::new().block_on(async {
    ///     let jobs = [10u64, 10_000].map(|ms| async move {
    ///         sleep(Duration::from_millis(ms)).await;
    ///         io::Result::Ok(ms)
    ///     });
    ///     Group::new(Try::default(), usize::MAX, jobs)
    ///         .with_task_timeout_error(Duration::from_millis(500), io::Error::from)
    ///         .await
    /// });
    /// assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
    /// ```
    pub fn with_task_timeout_error(
        mut self,
        duration: Duration,
        to_error: fn(Elapsed) -> E,
    ) -> Self {
        self.mode.timeout_error = Some(to_error);
        self.feed.set_task_timeout(duration);
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
    pub fn progress_timeout(
        #[cfg_attr(not(feature = "progress"), allow(unused_mut))] mut self,
        duration: Duration,
    ) -> Self {
        #[cfg(feature = "progress")]
        self.feed.progress_timeout(duration);
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
                // Then the tasks' own timeouts: a task that timed out frees its slot for the
                // next one.
                if let Some(index) = this.feed.poll_task_timeout(cx) {
                    if let Some(ending) = this.arrive_timed_out(index) {
                        return this.end(ending, cx);
                    }
                    continue;
                }
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
                    let ending = Ok(this.mode.finish());
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
            .field("not_started", &self.feed.not_started())
            .field("limit", &self.feed.limit())
            .finish_non_exhaustive()
    }
}
