//! `tasks![stream; ...]`: a group whose outcomes come as a stream, in the order its tasks finish
//! (asyncio's `as_completed`), each with its task's index: [`GroupStream`].

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::feed::{Engine, Feed};
use super::in_place::InPlace;
use super::sealed::Sealed;
use super::{All, GroupKind, Local, Names, Payload, Scoped, Sendable, Settle, Try};
use crate::error::{Elapsed, TaskError};
use crate::task::handle::{spawn_local_member, spawn_send_member};

/// What a [`GroupStream`] makes of each task's outcome: [`All`] (`(index, output)`; a panic
/// cancels the rest and resumes at `next()`), [`Try`] (`Ok((index, value))`, or the first `Err`,
/// which ends the stream), [`Settle`] (`(index, Ok(output))` or `(index, Err(TaskError))`; never
/// fails). A race has one output, not a stream of them, so [`Race`](super::Race) is not one.
/// Sealed.
pub trait StreamMode<T>: Sealed {
    /// What the stream yields.
    type Item;

    /// Whether a task's panic fails the stream (resumed at `next()`) rather than being an item.
    const PANICS_FAIL_GROUP: bool = true;

    /// Task `index` gave `output`: the item, and whether it ends the stream.
    fn item(&mut self, index: usize, output: T) -> (Self::Item, bool);

    /// Task `index` gave no output: it panicked, or the stream's timeout or the task's own gave
    /// up on it. Only a mode whose panics do not fail the stream (`Settle`) sees either (a task
    /// timeout under `Try` goes to `task_timed_out`, and only `Settle` and `Try` take one); the
    /// default, for the other modes, is never called.
    fn failed(&mut self, index: usize, error: TaskError) -> Self::Item {
        let _ = index;
        panic!("{error}")
    }

    /// Task `index`'s own timeout expired (`tasks![stream, task_timeout = D; ...]`): the item
    /// that says so, and whether it ends the stream. `Settle` yields the task's error; `Try`
    /// the error made from [`Elapsed`], which ends the stream as any `Err` does.
    #[doc(hidden)]
    fn task_timed_out(&mut self, index: usize, error: TaskError) -> (Self::Item, bool) {
        (self.failed(index, error), false)
    }

    /// The stream's timeout cut work off (tasks still running, or items not started): the item
    /// that says so, last, when the mode has one (`Try` given an error for it); otherwise the
    /// stream just ends, and [`GroupStream::timed_out`] tells why.
    #[doc(hidden)]
    fn cut_off(&mut self) -> Option<Self::Item> {
        None
    }
}

impl<T> StreamMode<T> for All<T> {
    type Item = (usize, T);

    fn item(&mut self, index: usize, output: T) -> ((usize, T), bool) {
        ((index, output), false)
    }
}

impl<T, E> StreamMode<Result<T, E>> for Try<T, E> {
    type Item = Result<(usize, T), E>;

    fn item(&mut self, index: usize, output: Result<T, E>) -> (Self::Item, bool) {
        match output {
            Ok(value) => (Ok((index, value)), false),
            Err(error) => (Err(error), true),
        }
    }

    fn task_timed_out(&mut self, index: usize, error: TaskError) -> (Self::Item, bool) {
        match self.timeout_error {
            Some(to_error) => (Err(to_error(Elapsed::new())), true),
            None => {
                let _ = index;
                panic!("{error}")
            }
        }
    }

    fn cut_off(&mut self) -> Option<Self::Item> {
        self.timeout_error
            .map(|to_error| Err(to_error(Elapsed::new())))
    }
}

impl<T> StreamMode<T> for Settle<T> {
    type Item = (usize, Result<T, TaskError>);
    const PANICS_FAIL_GROUP: bool = false;

    fn item(&mut self, index: usize, output: T) -> (Self::Item, bool) {
        ((index, Ok(output)), false)
    }

    fn failed(&mut self, index: usize, error: TaskError) -> Self::Item {
        (index, Err(error))
    }
}

/// Where a stream is.
enum State<Item> {
    Running,
    /// Decided (an `Err` under `try`, a panic, the timeout, the end, a cancel): once the
    /// cancelled tasks' futures are gone, these items come, then the panic, then the end.
    Closing {
        items: VecDeque<Item>,
        panic: Option<Payload>,
    },
    Done,
}

/// What an outcome makes.
enum Step<Item> {
    Item(Item),
    End(Item),
    Panic(Payload),
}

impl<Item> Step<Item> {
    /// An item, and whether it ends the stream, as a mode gives them.
    fn of((item, ends): (Item, bool)) -> Step<Item> {
        if ends {
            Step::End(item)
        } else {
            Step::Item(item)
        }
    }
}

/// The outcomes of a group's tasks as they finish, each with its task's index (its place in the
/// written order): what `tasks![stream; ...]` makes. Take them with the inherent
/// [`next`](GroupStream::next) (no other crate needed), or as a [`futures_core::Stream`].
///
/// The tasks start as in any group (under `limit`, the next starts as soon as any running one
/// finishes). The stream ends when every task has been yielded; under [`Try`], right after the
/// first `Err`; without a mode, a task's panic resumes at `next()`. Each of these, and dropping
/// the stream, cancels the tasks still running (their futures are dropped before the `Err` or
/// the panic comes, or before the drop returns).
///
/// With a timeout ([`with_timeout`](GroupStream::with_timeout), `tasks![stream, settle, timeout =
/// D; ...]`), the stream ends when it expires: the tasks still running are cancelled; under
/// [`Settle`] each of them is yielded first as a [`TimedOut`](crate::TaskErrorKind::TimedOut)
/// error; under [`Try`] with [`with_timeout_error`](GroupStream::with_timeout_error)
/// (`tasks![stream, try, timeout = D; ...]`) the last item is the timeout's `Err`; otherwise they
/// are not yielded at all and [`timed_out`](GroupStream::timed_out) tells why the stream ended
/// (`tasks![]` refuses `stream` with `timeout` in that case: the work cut off would go unreported).
///
/// ```
/// use jobloop_runtime::group::{All, GroupStream};
/// use jobloop_runtime::{sleep, EventLoop};
/// use std::time::Duration;
///
/// let order = EventLoop::new().block_on(async {
///     let jobs = [30u64, 10, 20].map(|ms| async move {
///         sleep(Duration::from_millis(ms)).await;
///         ms
///     });
///     let mut done = GroupStream::new(All::default(), usize::MAX, jobs);
///     let mut order = Vec::new();
///     while let Some((index, ms)) = done.next().await {
///         order.push((index, ms));
///     }
///     order
/// });
/// assert_eq!(order, [(1, 10), (2, 20), (0, 30)]); // as they finished
/// ```
#[must_use = "a GroupStream cancels its tasks when dropped; take its items with `.next().await`"]
pub struct GroupStream<
    I: Iterator,
    M: StreamMode<<I::Item as Future>::Output>,
    K: GroupKind = Local,
> where
    I::Item: Future,
{
    feed: Feed<I, K>,
    mode: M,
    state: State<M::Item>,
    timed_out: bool,
}

// No field is pinned (see `Group`).
impl<I: Iterator, M: StreamMode<<I::Item as Future>::Output>, K: GroupKind> Unpin
    for GroupStream<I, M, K>
where
    I::Item: Future,
{
}

impl<I, M> GroupStream<I, M, Local>
where
    I: Iterator,
    I::Item: Future + 'static,
    <I::Item as Future>::Output: 'static,
    M: StreamMode<<I::Item as Future>::Output> + 'static,
{
    /// Starts up to `limit` of the `tasks` at once, on this thread, and the next one each time a
    /// running one finishes; their outcomes come as they finish.
    ///
    /// # Panics
    ///
    /// When `limit` is 0, and when no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn new(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::spawned(spawn_local_member, spawn_local_member);
        let what = "`GroupStream::new`";
        GroupStream::start(what, Names::Unnamed, mode, limit, tasks.into_iter(), engine)
    }

    /// [`GroupStream::new`] with the names of the tasks, as `tasks![]` writes them.
    #[doc(hidden)]
    #[track_caller]
    pub fn with_names(
        names: Names,
        mode: M,
        limit: usize,
        tasks: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        let engine = Engine::spawned(spawn_local_member, spawn_local_member);
        GroupStream::start("`tasks![]`", names, mode, limit, tasks.into_iter(), engine)
    }
}

impl<I, M> GroupStream<I, M, Sendable>
where
    I: Iterator,
    I::Item: Future + Send + 'static,
    <I::Item as Future>::Output: Send + 'static,
    M: StreamMode<<I::Item as Future>::Output> + 'static,
{
    /// Like [`GroupStream::new`], for `Send` tasks that may run on any thread of the runtime.
    #[track_caller]
    pub fn new_send(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::spawned(spawn_send_member, spawn_send_member);
        let what = "`GroupStream::new_send`";
        GroupStream::start(what, Names::Unnamed, mode, limit, tasks.into_iter(), engine)
    }

    /// [`GroupStream::new_send`] with the names of the tasks, as `tasks![]` writes them.
    #[doc(hidden)]
    #[track_caller]
    pub fn with_names_send(
        names: Names,
        mode: M,
        limit: usize,
        tasks: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        let engine = Engine::spawned(spawn_send_member, spawn_send_member);
        GroupStream::start("`tasks![]`", names, mode, limit, tasks.into_iter(), engine)
    }
}

impl<I, M> GroupStream<I, M, Scoped>
where
    I: Iterator,
    I::Item: Future,
    M: StreamMode<<I::Item as Future>::Output>,
{
    /// Like [`GroupStream::new`], for tasks the stream polls itself, which may borrow.
    #[track_caller]
    pub fn new_scoped(mode: M, limit: usize, tasks: impl IntoIterator<IntoIter = I>) -> Self {
        let engine = Engine::InPlace(InPlace::new());
        let what = "`GroupStream::new_scoped`";
        GroupStream::start(what, Names::Unnamed, mode, limit, tasks.into_iter(), engine)
    }

    /// [`GroupStream::new_scoped`] with the names of the tasks, as `tasks![]` writes them.
    #[doc(hidden)]
    #[track_caller]
    pub fn with_names_scoped(
        names: Names,
        mode: M,
        limit: usize,
        tasks: impl IntoIterator<IntoIter = I>,
    ) -> Self {
        let engine = Engine::InPlace(InPlace::new());
        GroupStream::start("`tasks![]`", names, mode, limit, tasks.into_iter(), engine)
    }
}

impl<I, M, K> GroupStream<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: StreamMode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    #[track_caller]
    fn start(
        what: &'static str,
        names: Names,
        mode: M,
        limit: usize,
        tasks: I,
        engine: Engine<I::Item, K>,
    ) -> Self {
        GroupStream {
            feed: Feed::new(what, names, limit, tasks, engine),
            mode,
            state: State::Running,
            timed_out: false,
        }
    }

    /// Ends the stream `duration` from now: see [`GroupStream`].
    pub fn with_timeout(mut self, duration: Duration) -> Self {
        self.feed.set_deadline(duration);
        self
    }

    /// Draws a live progress bar on stderr while the stream runs, when stderr is a terminal
    /// (see [`Group::with_progress`](super::Group::with_progress)). `tasks![stream, progress;
    /// ...]`. Needs jobloop's feature `progress`.
    pub fn with_progress(#[cfg_attr(not(feature = "progress"), allow(unused_mut))] mut self) -> Self
    where
        Self: super::ProgressFeature,
    {
        #[cfg(feature = "progress")]
        self.feed.show_progress();
        self
    }

    /// Whether the stream ended because its timeout expired while work was left: tasks still
    /// running, or (under a limit) items not started. A stream whose every task finished before
    /// the deadline has not timed out, even if its items are taken after it.
    pub fn timed_out(&self) -> bool {
        self.timed_out
    }

    /// How many tasks are running (or finished, and not yielded yet).
    pub fn running(&self) -> usize {
        self.feed.running()
    }

    /// How many items of the source have not been started: once the stream has ended at its
    /// deadline, the work it never began, which has no item (asyncio's `as_completed` leaves
    /// them as futures never awaited). Known when the source says exactly how many items it has
    /// left (a `Vec`, a range, an array, and `tasks![]`'s map over them) and once it is
    /// exhausted; `None` for a source that does not say (a `filter`, an endless iterator). Also
    /// shown in the stream's `Debug`.
    ///
    /// ```
    /// use jobloop_runtime::group::{GroupStream, Settle};
    /// use jobloop_runtime::{sleep, EventLoop};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().block_on(async {
    ///     let jobs = (0..10u64).map(|_| sleep(Duration::from_secs(60)));
    ///     let mut stream = GroupStream::new(Settle::default(), 2, jobs)
    ///         .with_timeout(Duration::from_millis(10));
    ///     let mut timed_out = 0;
    ///     while let Some((_, outcome)) = stream.next().await {
    ///         assert!(outcome.unwrap_err().is_timeout());
    ///         timed_out += 1;
    ///     }
    ///     // 2 started and timed out, 8 never started: all 10 accounted for.
    ///     assert_eq!((timed_out, stream.not_started()), (2, Some(8)));
    ///     assert!(format!("{stream:?}").contains("not_started: Some(8)"));
    /// });
    /// ```
    pub fn not_started(&self) -> Option<usize> {
        self.feed.not_started()
    }

    /// The next outcome, in the order the tasks finish; `None` once the stream has ended.
    ///
    /// # Panics
    ///
    /// Without a mode, resumes the panic of a task (once the other tasks are cancelled).
    // An inherent `next`, so that no other crate (nor trait import) is needed to take items.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, Self> {
        Next::new(self)
    }

    /// Cancels the tasks still running and ends the stream: returns once their futures are gone.
    /// The items not yet taken are dropped.
    pub async fn cancel(&mut self) {
        self.close(VecDeque::new(), None);
        std::future::poll_fn(|cx| self.feed.poll_gone(cx)).await;
        self.state = State::Done;
    }

    fn close(&mut self, items: VecDeque<M::Item>, panic: Option<Payload>) {
        self.feed.finish_progress();
        self.feed.cancel();
        self.state = State::Closing { items, panic };
    }

    fn step(
        &mut self,
        index: usize,
        outcome: Result<<I::Item as Future>::Output, Payload>,
    ) -> Step<M::Item> {
        self.feed.count(outcome.is_err());
        match outcome {
            Ok(output) => Step::of(self.mode.item(index, output)),
            Err(payload) if M::PANICS_FAIL_GROUP => Step::Panic(payload),
            Err(payload) => {
                let error = TaskError::panicked(self.feed.name(index), &*payload);
                Step::Item(self.mode.failed(index, error))
            }
        }
    }

    /// The deadline expired: the outcomes that finished before it come first; then, when work
    /// was left, the tasks still running as timed out (under `settle`) or the item that says
    /// the stream was cut off (under `try` with an error for it); then the end.
    fn time_out(&mut self, cx: &mut Context<'_>) {
        let mut items = VecDeque::new();
        while let Some((index, outcome)) = self.feed.poll_finished(cx) {
            match self.step(index, outcome) {
                Step::Item(item) => items.push_back(item),
                Step::End(item) => {
                    items.push_back(item);
                    return self.close(items, None);
                }
                Step::Panic(payload) => return self.close(items, Some(payload)),
            }
        }
        // Every task may have finished in time, its outcome taken just now, and the source be
        // empty without saying so: then nothing was cut off, and the stream just ends.
        self.timed_out = self.feed.work_left();
        if self.timed_out {
            if !M::PANICS_FAIL_GROUP {
                for index in self.feed.indexes() {
                    items.push_back(self.mode.failed(index, self.feed.timed_out(index)));
                }
            }
            items.extend(self.mode.cut_off());
        }
        self.close(items, None);
    }

    fn poll_item(&mut self, cx: &mut Context<'_>) -> Poll<Option<M::Item>> {
        self.feed.begin_poll();
        loop {
            match &mut self.state {
                State::Done => return Poll::Ready(None),
                State::Closing { .. } => {
                    std::task::ready!(self.feed.poll_gone(cx));
                    let State::Closing { items, panic } = &mut self.state else {
                        unreachable!("the state did not change");
                    };
                    if let Some(item) = items.pop_front() {
                        return Poll::Ready(Some(item));
                    }
                    let panic = panic.take();
                    self.state = State::Done;
                    if let Some(payload) = panic {
                        resume_unwind(payload);
                    }
                    return Poll::Ready(None);
                }
                State::Running => {
                    // The outcomes first, then the deadline (as `timeout` polls its future
                    // first): an outcome that is there is an item, and a stream whose every
                    // task finished and was taken ends without timing out.
                    let step = match self.feed.poll_outcome(cx) {
                        Poll::Ready(Some((index, outcome))) => self.step(index, outcome),
                        Poll::Ready(None) => {
                            self.close(VecDeque::new(), None);
                            continue;
                        }
                        // Then the tasks' own timeouts, each an item.
                        Poll::Pending => match self.feed.poll_task_timeout(cx) {
                            Some(index) => {
                                self.feed.count(true);
                                let error = self.feed.timed_out(index);
                                Step::of(self.mode.task_timed_out(index, error))
                            }
                            None if self.feed.poll_deadline(cx) => {
                                self.time_out(cx);
                                continue;
                            }
                            None => return Poll::Pending,
                        },
                    };
                    match step {
                        Step::Item(item) => {
                            self.feed.refill();
                            return Poll::Ready(Some(item));
                        }
                        Step::End(item) => self.close(VecDeque::from([item]), None),
                        Step::Panic(payload) => self.close(VecDeque::new(), Some(payload)),
                    }
                }
            }
        }
    }
}

impl<I, T, K> GroupStream<I, Settle<T>, K>
where
    I: Iterator,
    I::Item: Future<Output = T>,
    K: GroupKind,
{
    /// Gives each task `duration` from its start to finish (time spent waiting for a place
    /// under the limit does not count): a task still running then is cancelled, and yielded as
    /// timed out: under [`Settle`] as `(index, Err(e))` with `e.is_timeout()`, under [`Try`]
    /// (given an error for it by [`with_task_timeout_error`](GroupStream::with_task_timeout_error))
    /// as the `Err` that ends the stream. `tasks![stream, settle, task_timeout = D; ...]`.
    ///
    /// ```
    /// use jobloop_runtime::group::{GroupStream, Settle};
    /// use jobloop_runtime::{sleep, EventLoop};
    /// use std::time::Duration;
    ///
    /// let items = EventLoop::new().block_on(async {
    ///     let jobs = [10_000u64, 10].map(|ms| async move {
    ///         sleep(Duration::from_millis(ms)).await;
    ///         ms
    ///     });
    ///     let mut stream = GroupStream::new(Settle::default(), usize::MAX, jobs)
    ///         .with_task_timeout(Duration::from_millis(500));
    ///     let mut items = Vec::new();
    ///     while let Some((index, outcome)) = stream.next().await {
    ///         items.push((index, outcome.map_err(|error| error.is_timeout())));
    ///     }
    ///     items
    /// });
    /// assert_eq!(items, [(1, Ok(10)), (0, Err(true))]);
    /// ```
    pub fn with_task_timeout(mut self, duration: Duration) -> Self {
        self.feed.set_task_timeout(duration);
        self
    }
}

impl<I, T, E, K> GroupStream<I, Try<T, E>, K>
where
    I: Iterator,
    I::Item: Future<Output = Result<T, E>>,
    K: GroupKind,
{
    /// [`with_timeout`](GroupStream::with_timeout) for a [`Try`] stream that says when the
    /// timeout cut work off: the stream's last item is then `Err(to_error(Elapsed))`, after
    /// the outcomes that arrived in time (and nothing is yielded when every task finished
    /// before the deadline). `tasks![stream, try, timeout = D; ...]` gives it `From::from`, so
    /// the tasks' error type converts from [`Elapsed`] (`std::io::Error` does).
    ///
    /// ```
    /// use jobloop_runtime::group::{GroupStream, Try};
    /// use jobloop_runtime::{sleep, EventLoop};
    /// use std::io;
    /// use std::time::Duration;
    ///
    /// let items = EventLoop::new().block_on(async {
    ///     let jobs = [5u64, 10_000].map(|ms| async move {
    ///         sleep(Duration::from_millis(ms)).await;
    ///         io::Result::Ok(ms)
    ///     });
    ///     let mut stream = GroupStream::new(Try::default(), usize::MAX, jobs)
    ///         .with_timeout_error(Duration::from_millis(50), io::Error::from);
    ///     let mut items = Vec::new();
    ///     while let Some(item) = stream.next().await {
    ///         items.push(item.map_err(|error| error.kind()));
    ///     }
    ///     items
    /// });
    /// assert_eq!(items, [Ok((0, 5)), Err(io::ErrorKind::TimedOut)]);
    /// ```
    pub fn with_timeout_error(mut self, duration: Duration, to_error: fn(Elapsed) -> E) -> Self {
        self.mode.timeout_error = Some(to_error);
        self.with_timeout(duration)
    }

    /// A timeout of each task, as [`with_task_timeout`](GroupStream::with_task_timeout) gives a
    /// [`Settle`] stream, for a [`Try`] stream: a task that
    /// times out is yielded as `Err(to_error(Elapsed))`, which ends the stream (the other tasks
    /// are cancelled). `tasks![stream, try, task_timeout = D; ...]` gives it `From::from`.
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

impl<I, M, K> futures_core::Stream for GroupStream<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: StreamMode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    type Item = M::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<M::Item>> {
        self.poll_item(cx)
    }
}

impl<I, M, K> fmt::Debug for GroupStream<I, M, K>
where
    I: Iterator,
    I::Item: Future,
    M: StreamMode<<I::Item as Future>::Output>,
    K: GroupKind,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupStream")
            .field("running", &self.feed.running())
            .field("started", &self.feed.started())
            .field("limit", &self.feed.limit())
            .field("timed_out", &self.timed_out)
            .field("not_started", &self.feed.not_started())
            .finish_non_exhaustive()
    }
}

/// The future of the next item of a stream: what [`GroupStream::next`] and
/// [`TaskSet::next`](super::TaskSet::next) return.
#[must_use = "futures do nothing unless you `.await` them"]
pub struct Next<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<'a, S: ?Sized> Next<'a, S> {
    pub(crate) fn new(stream: &'a mut S) -> Self {
        Next { stream }
    }
}

impl<S: futures_core::Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}

impl<S: ?Sized> fmt::Debug for Next<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").finish_non_exhaustive()
    }
}
