//! What the groups that take outcomes as tasks finish share: [`Feed`], which starts the tasks of a
//! source (an iterator, consumed lazily under a limit) on an [`Engine`] and hands out their
//! outcomes in the order they finish. [`Group`](super::Group) makes a mode's output of them,
//! [`GroupStream`](super::GroupStream) a stream.
//!
//! The engine is `Spawned` (each task a task of the runtime, see `running`) or `InPlace` (the
//! group polls the tasks itself, for `scoped` groups, see `in_place`).

use std::collections::VecDeque;
use std::future::Future;
use std::iter::Fuse;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::in_place::InPlace;
#[cfg(feature = "progress")]
use super::progress::Progress;
use super::running::{Running, SlotHooks};
use super::{watched_at, GroupKind, Member, Names, Payload};
use crate::debug::{self, GroupTrace, Watched};
use crate::error::{TaskError, TaskErrorKind};
use crate::event_loop::LoopOwner;
use crate::task::cancel::Canceller;
use crate::task::handle::RawHandle;
use crate::time::{sleep, sleep_until, Sleep};

/// Starts a member: the group's kind's spawn, chosen when the group is made (where the bounds
/// of the kind are known). The name is what the user called, for the panic when no runtime runs
/// here.
pub(crate) type Spawner<F, K> = fn(
    &'static str,
    &mut Canceller,
    Member<F, SlotHooks<<K as GroupKind>::Link<<F as Future>::Output>>>,
) -> RawHandle<()>;

/// A task's outcome as it arrives, with the task's index: its output, or its panic's payload.
pub(crate) type Arrival<F> = (usize, Result<<F as Future>::Output, Payload>);

/// How a group runs its tasks.
pub(crate) enum Engine<F: Future, K: GroupKind> {
    /// As tasks of the runtime.
    Spawned {
        running: Running<K::Link<F::Output>>,
        spawn: Spawner<F, K>,
        /// The spawn of a member timed and named in debug mode and under the trace.
        spawn_watched: Spawner<Watched<F>, K>,
    },
    /// Polled in place, by the group (`scoped`).
    InPlace(InPlace<F>),
}

impl<F: Future, K: GroupKind> Engine<F, K> {
    /// Spawned with `spawn` (or `spawn_watched` in debug mode and under the trace).
    pub(crate) fn spawned(spawn: Spawner<F, K>, spawn_watched: Spawner<Watched<F>, K>) -> Self {
        Engine::Spawned {
            running: Running::new(),
            spawn,
            spawn_watched,
        }
    }

    fn len(&self) -> usize {
        match self {
            Engine::Spawned { running, .. } => running.len(),
            Engine::InPlace(tasks) => tasks.len(),
        }
    }

    #[inline]
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Arrival<F>> {
        match self {
            Engine::Spawned { running, .. } => running.poll_next(cx),
            Engine::InPlace(tasks) => tasks.poll_next(cx),
        }
    }

    fn indexes(&self) -> Vec<usize> {
        match self {
            Engine::Spawned { running, .. } => running.indexes(),
            Engine::InPlace(tasks) => tasks.indexes(),
        }
    }

    fn cancel(&mut self) {
        match self {
            Engine::Spawned { running, .. } => running.cancel(),
            Engine::InPlace(tasks) => tasks.cancel(),
        }
    }

    /// Cancels task `index` if it still runs in `slot`; whether it did.
    fn cancel_task(&mut self, slot: usize, index: usize) -> bool {
        match self {
            Engine::Spawned { running, .. } => running.cancel_task(slot, index),
            Engine::InPlace(tasks) => tasks.cancel_task(slot, index),
        }
    }

    /// The tasks running, as `(index, slot)`, in the order they started.
    fn running_tasks(&self) -> Vec<(usize, usize)> {
        match self {
            Engine::Spawned { running, .. } => running.running_tasks(),
            Engine::InPlace(tasks) => tasks.running_tasks(),
        }
    }

    /// Whether the task in `slot` has finished (its outcome not taken yet).
    fn is_finished(&self, slot: usize) -> bool {
        match self {
            Engine::Spawned { running, .. } => running.is_finished(slot),
            // A task polled in place leaves its slot as it finishes.
            Engine::InPlace(_) => false,
        }
    }

    /// Whether task `index` still runs in `slot` (its outcome not taken).
    fn runs(&self, slot: usize, index: usize) -> bool {
        match self {
            Engine::Spawned { running, .. } => running.runs(slot, index),
            Engine::InPlace(tasks) => tasks.runs(slot, index),
        }
    }

    fn poll_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self {
            Engine::Spawned { running, .. } => running.poll_gone(cx),
            Engine::InPlace(tasks) => tasks.poll_gone(cx),
        }
    }
}

/// The tasks of a source, started under a limit, and their outcomes as they finish.
pub(crate) struct Feed<I: Iterator, K: GroupKind>
where
    I::Item: Future,
{
    /// What the user called, for the panic when no runtime runs here.
    what: &'static str,
    source: Fuse<I>,
    limit: usize,
    engine: Engine<I::Item, K>,
    next_index: usize,
    names: Names,
    /// Where the group was made, for debug mode.
    location: &'static Location<'static>,
    /// The group in the trace (`JOBLOOP_TRACE`).
    trace: Option<GroupTrace>,
    /// The progress bar of `tasks![progress; ...]` (feature `progress`).
    #[cfg(feature = "progress")]
    progress: Option<Progress>,
    /// When the group's timeout expires, if it has one.
    deadline: Option<Sleep>,
    /// Each task's own timeout (`tasks![task_timeout = D; ...]`), counted from its start.
    task_timeout: Option<Duration>,
    /// The deadline of each task started under `task_timeout`, with its slot and index, in the
    /// order they started: with one duration for all, also the order of the deadlines. Entries
    /// of tasks that finished are dropped when they reach the front.
    task_deadlines: VecDeque<(Instant, usize, usize)>,
    /// The timer of the first entry of `task_deadlines` whose task still runs.
    task_timer: Option<Sleep>,
    /// Whether the group's first poll is over: from then on, no task starts once the deadline
    /// has passed.
    first_poll_over: bool,
    /// The source gave `None`: no task is left to start.
    source_done: bool,
    /// Items pulled from the source at the deadline only to know whether work was left, and
    /// dropped unstarted (see `work_left`).
    dropped_unstarted: usize,
    /// Whether the group's poll going on is its first.
    in_first_poll: bool,
    /// The event loop that runs the tasks, when one does.
    owner: Option<LoopOwner>,
}

impl<I: Iterator, K: GroupKind> Feed<I, K>
where
    I::Item: Future,
{
    /// Starts up to `limit` of the tasks.
    ///
    /// # Panics
    ///
    /// When `limit` is 0 (no task could ever start), and when no runtime runs on this thread.
    #[track_caller]
    pub(crate) fn new(
        what: &'static str,
        names: Names,
        limit: usize,
        tasks: I,
        engine: Engine<I::Item, K>,
    ) -> Self {
        if limit == 0 {
            panic!(
                "the limit of this group is 0, so none of its tasks could ever start: give a \
                 limit of 1 or more (`tasks![limit = n; ...]` with n computed as 0?)"
            );
        }
        let location = Location::caller();
        let trace = GroupTrace::start(|| names.group_label(), location);
        let mut feed = Feed {
            what,
            source: tasks.fuse(),
            limit,
            engine,
            next_index: 0,
            names,
            location,
            trace,
            #[cfg(feature = "progress")]
            progress: None,
            deadline: None,
            task_timeout: None,
            task_deadlines: VecDeque::new(),
            task_timer: None,
            first_poll_over: false,
            source_done: false,
            dropped_unstarted: 0,
            in_first_poll: false,
            owner: LoopOwner::current(),
        };
        // Spawned tasks start when the group is created, as asyncio's `create_task` starts
        // them. Tasks polled in place start when the group is first polled: the first is taken
        // now (so that an empty source is known), the others then, one after the other.
        if let Engine::Spawned { .. } = feed.engine {
            // Checked here: the spawns are in a closure, where `#[track_caller]` stops.
            crate::context::expect_runtime(what);
        }
        if let Engine::InPlace(tasks) = &mut feed.engine {
            match feed.source.next() {
                Some(future) => {
                    feed.next_index = 1;
                    let (names, observed) = (feed.names, debug::observing());
                    let task = in_place(future, names, 0, location, &mut feed.trace, observed);
                    tasks.insert(0, task);
                }
                None => feed.source_done = true,
            }
        } else {
            feed.fill(false);
        }
        feed
    }

    /// How many tasks are running (or finished, their outcomes not taken yet).
    pub(crate) fn running(&self) -> usize {
        self.engine.len()
    }

    /// How many tasks were started.
    pub(crate) fn started(&self) -> usize {
        self.next_index
    }

    /// How many items of the source were not started (and, once the group has ended, never
    /// will be): known when the source says exactly how many it has left (a `Vec`, a range, and
    /// the macro's map over them), or once it gave `None`; `None` otherwise.
    pub(crate) fn not_started(&self) -> Option<usize> {
        if self.source_done {
            return Some(self.dropped_unstarted);
        }
        match self.source.size_hint() {
            (low, Some(high)) if low == high => Some(self.dropped_unstarted + low),
            _ => None,
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Shows a progress bar (when stderr is a terminal): the total is the tasks started plus
    /// what the source says is left, when it says so exactly.
    #[cfg(feature = "progress")]
    pub(crate) fn show_progress(&mut self) {
        let (low, high) = self.source.size_hint();
        let total = (Some(low) == high).then(|| self.next_index + low);
        let mut progress = Progress::new(total);
        if let Some(deadline) = self.deadline.as_ref().and_then(Sleep::deadline) {
            progress.set_deadline(deadline);
        }
        self.progress = Some(progress);
    }

    /// Tells the progress bar when the group times out, for a timeout that the group does not
    /// keep itself (`tasks![timeout = ..]` outside `settle` and `stream` wraps the group in
    /// `jobloop::timeout`).
    #[cfg(feature = "progress")]
    pub(crate) fn progress_timeout(&mut self, duration: Duration) {
        if let (Some(progress), Some(deadline)) =
            (&mut self.progress, crate::now().checked_add(duration))
        {
            progress.set_deadline(deadline);
        }
    }

    /// A task arrived, for the progress bar.
    pub(crate) fn count(&mut self, failed: bool) {
        #[cfg(feature = "progress")]
        if let Some(progress) = &mut self.progress {
            progress.arrived(failed);
        }
        #[cfg(not(feature = "progress"))]
        let _ = failed;
    }

    /// The group ended, for the progress bar.
    pub(crate) fn finish_progress(&mut self) {
        #[cfg(feature = "progress")]
        if let Some(progress) = &mut self.progress {
            progress.finish();
        }
    }

    /// The name of task `index`, for its [`TaskError`](crate::TaskError).
    pub(crate) fn name(&self, index: usize) -> String {
        self.names.name(index)
    }

    /// The error of task `index`, which a timeout (the group's or its own) gave up on.
    pub(crate) fn timed_out(&self, index: usize) -> TaskError {
        TaskError::new(self.name(index), TaskErrorKind::TimedOut)
    }

    /// Gives up on the tasks still unfinished `duration` from now.
    pub(crate) fn set_deadline(&mut self, duration: Duration) {
        let deadline = sleep(duration);
        #[cfg(feature = "progress")]
        if let (Some(progress), Some(at)) = (&mut self.progress, deadline.deadline()) {
            progress.set_deadline(at);
        }
        self.deadline = Some(deadline);
    }

    /// Gives each task `duration` from its start to finish, after which
    /// [`poll_task_timeout`](Self::poll_task_timeout) cancels it. The tasks already running
    /// (those the group started when it was made) count from now.
    pub(crate) fn set_task_timeout(&mut self, duration: Duration) {
        self.task_timeout = Some(duration);
        self.task_deadlines.clear();
        self.task_timer = None;
        // A task polled in place starts at the group's first poll (see `begin_poll`).
        if let Engine::Spawned { .. } = self.engine {
            self.note_running_deadlines();
        }
    }

    /// Notes a deadline `task_timeout` from now for each task running.
    fn note_running_deadlines(&mut self) {
        let deadline = match self.task_timeout {
            Some(timeout) => crate::now().checked_add(timeout),
            None => None,
        };
        if let Some(deadline) = deadline {
            let running = self.engine.running_tasks();
            self.task_deadlines.extend(
                running
                    .into_iter()
                    .map(|(index, slot)| (deadline, slot, index)),
            );
        }
    }

    /// The next task whose own timeout expired, cancelled now (its future is dropped, on the
    /// loop at its next turn): its index. `None` when no running task is past its deadline;
    /// the timer of the next deadline is then registered.
    #[inline]
    pub(crate) fn poll_task_timeout(&mut self, cx: &mut Context<'_>) -> Option<usize> {
        if self.task_deadlines.is_empty() {
            return None;
        }
        self.poll_task_deadlines(cx)
    }

    /// [`poll_task_timeout`](Self::poll_task_timeout) when some task has a deadline.
    #[cold]
    #[inline(never)]
    fn poll_task_deadlines(&mut self, cx: &mut Context<'_>) -> Option<usize> {
        // Entries of tasks that finished pile up behind a slow one at the front: dropped when
        // they outnumber the tasks running.
        if self.task_deadlines.len() > 2 * self.engine.len() + 16 {
            let engine = &self.engine;
            self.task_deadlines
                .retain(|&(_, slot, index)| engine.runs(slot, index));
        }
        let now = crate::now();
        while let Some(&(deadline, slot, index)) = self.task_deadlines.front() {
            // Finished in time (a `send` task on another thread may have finished, its outcome
            // on its way through the link: it keeps it).
            if !self.engine.runs(slot, index) || self.engine.is_finished(slot) {
                self.task_deadlines.pop_front();
                continue;
            }
            let expired = deadline <= now || {
                let timer = match &mut self.task_timer {
                    Some(timer) if timer.deadline() == Some(deadline) => timer,
                    timer => timer.insert(sleep_until(deadline)),
                };
                Pin::new(timer).poll(cx).is_ready()
            };
            if !expired {
                return None;
            }
            // A unit of the budget per task timed out: tasks that time out at once (a timeout
            // of zero, over an endless source) must not keep the group's poll from returning.
            if crate::budget::poll_spend(cx).is_pending() {
                return None;
            }
            self.task_deadlines.pop_front();
            self.engine.cancel_task(slot, index);
            return Some(index);
        }
        self.task_timer = None;
        None
    }

    /// Whether the source has no task left, known without pulling it: it gave `None`, or it
    /// says it is empty (a range, a `Vec`, and the macro's map over them).
    fn source_known_empty(&self) -> bool {
        self.source_done || self.source.size_hint().1 == Some(0)
    }

    /// Whether work is left at the deadline: a task still running, or an item of the source not
    /// started. A source that does not say it is empty is pulled once to know; the item it gives
    /// is dropped unstarted (it is cut off anyway).
    pub(crate) fn work_left(&mut self) -> bool {
        if self.engine.len() > 0 {
            return true;
        }
        if self.source_known_empty() {
            return false;
        }
        match self.source.next() {
            Some(unstarted) => {
                drop(unstarted);
                self.dropped_unstarted += 1;
                true
            }
            None => {
                self.source_done = true;
                false
            }
        }
    }

    /// A poll of the group begins (its `poll` or a stream's `next`): what the deadline's rule
    /// needs to know (nothing without a deadline).
    #[inline]
    pub(crate) fn begin_poll(&mut self) {
        if let Some(trace) = &self.trace {
            trace.awaited(); // debug mode's tree draws the group under the task polling it
        }
        if self.deadline.is_some() || self.task_timeout.is_some() {
            self.begin_timed_poll();
        }
    }

    /// [`begin_poll`](Self::begin_poll) under a deadline or a task timeout. The tasks a
    /// `scoped` group made before its first poll start in it: their own timeouts count from
    /// there.
    #[cold]
    fn begin_timed_poll(&mut self) {
        self.in_first_poll = !self.first_poll_over;
        self.first_poll_over = true;
        if self.in_first_poll && matches!(self.engine, Engine::InPlace(_)) {
            self.note_running_deadlines();
        }
    }

    /// Whether no task may start now: the deadline has passed, after the group's first poll.
    #[cold]
    fn stop_starting(&self) -> bool {
        !self.in_first_poll
            && !self.source_done
            && self.engine.len() < self.limit
            && self.past_deadline()
    }

    /// Whether the deadline has passed (without waiting for its timer).
    fn past_deadline(&self) -> bool {
        self.deadline
            .as_ref()
            .and_then(Sleep::deadline)
            .is_some_and(|deadline| crate::now() >= deadline)
    }

    /// Whether the deadline has expired.
    pub(crate) fn poll_deadline(&mut self, cx: &mut Context<'_>) -> bool {
        match &mut self.deadline {
            Some(deadline) => Pin::new(deadline).poll(cx).is_ready(),
            None => false,
        }
    }

    /// Starts tasks from the source until `limit` run (or, in place, until one finished).
    /// `polling` tells whether the group is being polled: a task polled in place is then polled
    /// at once, else at the group's next poll.
    /// No task starts once the deadline has passed (the group is about to time out), but in the
    /// group's first poll, where a `scoped` group starts its tasks.
    #[track_caller]
    #[inline(always)]
    fn fill(&mut self, polling: bool) {
        // Two copies, so that a group without task timeouts does not look for one per task.
        if self.task_timeout.is_none() {
            self.fill_with::<false>(polling);
        } else {
            self.fill_with::<true>(polling);
        }
    }

    /// [`fill`](Self::fill), noting each task's deadline when `TIMED`.
    #[track_caller]
    #[inline(always)]
    fn fill_with<const TIMED: bool>(&mut self, polling: bool) {
        if self.deadline.is_some() && self.stop_starting() {
            return;
        }
        let limit = self.limit;
        // One reading of the clock for the tasks a call starts, and only under a task timeout.
        let task_timeout = self.task_timeout;
        let deadline = move || match task_timeout {
            Some(timeout) if TIMED => crate::now().checked_add(timeout),
            _ => None,
        };
        let task_deadlines = &mut self.task_deadlines;
        let next_index = &mut self.next_index;
        let source_done = &mut self.source_done;
        let mut next = || {
            let Some(future) = self.source.next() else {
                *source_done = true;
                return None;
            };
            *next_index += 1;
            Some((*next_index - 1, future))
        };
        match &mut self.engine {
            Engine::Spawned {
                running,
                spawn,
                spawn_watched,
            } => {
                if running.len() >= limit {
                    return;
                }
                // Read once for the tasks this call starts.
                let watching = debug::watching();
                let task_deadline = deadline();
                while running.len() < limit {
                    let Some((index, future)) = next() else {
                        break;
                    };
                    let slot = running.start(index, |canceller, hooks| {
                        if watching {
                            let (names, location) = (self.names, self.location);
                            let future =
                                watched_at(future, names, index, location, &mut self.trace);
                            spawn_watched(self.what, canceller, Member::new(future, hooks))
                        } else {
                            spawn(self.what, canceller, Member::new(future, hooks))
                        }
                    });
                    if let (true, Some(deadline)) = (TIMED, task_deadline) {
                        task_deadlines.push_back((deadline, slot, index));
                    }
                }
            }
            Engine::InPlace(tasks) => {
                let task_deadline = deadline();
                // Read once for the tasks this call starts, when it starts one.
                let mut observed = None;
                // Outcomes waiting to be taken: no more tasks start before the group takes them.
                while tasks.len() < limit && !tasks.has_outcomes() {
                    let Some((index, future)) = next() else {
                        break;
                    };
                    let observed = *observed.get_or_insert_with(debug::observing);
                    let (names, location) = (self.names, self.location);
                    let future =
                        in_place(future, names, index, location, &mut self.trace, observed);
                    let slot = if polling {
                        tasks.start(index, future)
                    } else {
                        tasks.insert(index, future)
                    };
                    if let (true, Some(deadline)) = (TIMED, task_deadline) {
                        task_deadlines.push_back((deadline, slot, index));
                    }
                }
            }
        }
    }

    /// The outcome of the next task to finish (`Some`), starting the next tasks of the source as
    /// running ones finish; `None` once every task has finished and been taken.
    #[inline]
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<Arrival<I::Item>>> {
        self.fill(true);
        match self.engine.poll_next(cx) {
            Poll::Ready(outcome) => Poll::Ready(Some(outcome)),
            // Nothing runs and the source is known to be empty (a source that still has items
            // is not pulled here: once the deadline has passed, they stay in it).
            Poll::Pending if self.engine.len() == 0 && self.source_known_empty() => {
                Poll::Ready(None)
            }
            Poll::Pending => {
                if let Some(owner) = &self.owner {
                    owner.check("a `tasks![]` group");
                }
                Poll::Pending
            }
        }
    }

    /// Starts the next tasks in the slots that outcomes freed: what a stream does before it
    /// hands out an item, so that they run while its consumer takes its time with the item (a
    /// group goes on polling and starts them anyway). Not before the caller has seen the
    /// outcome: one that ends the group must start nothing more.
    #[track_caller]
    pub(crate) fn refill(&mut self) {
        self.fill(true);
    }

    /// The outcomes of the tasks that finished already, without waiting.
    pub(crate) fn poll_finished(&mut self, cx: &mut Context<'_>) -> Option<Arrival<I::Item>> {
        match self.engine.poll_next(cx) {
            Poll::Ready(outcome) => Some(outcome),
            Poll::Pending => None,
        }
    }

    /// The indexes of the tasks still running, in written order.
    pub(crate) fn indexes(&self) -> Vec<usize> {
        self.engine.indexes()
    }

    /// Cancels the tasks still running; items of the source that were not started stay in it.
    pub(crate) fn cancel(&mut self) {
        self.engine.cancel();
        self.deadline = None;
        self.task_deadlines.clear();
        self.task_timer = None;
    }

    /// Whether every cancelled task's future is gone; registers the waker when not.
    pub(crate) fn poll_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.engine.poll_gone(cx)
    }
}

/// Task `index` of a `scoped` group as its engine keeps it, in its context variables: in debug
/// mode, under the trace or a `tracing` subscriber, also named and timed (in the tree under its
/// group) as a spawned group's tasks are.
fn in_place<F>(
    future: F,
    names: Names,
    index: usize,
    location: &'static Location<'static>,
    trace: &mut Option<GroupTrace>,
    observed: bool,
) -> Watched<F> {
    if observed {
        watched_at(future, names, index, location, trace)
    } else {
        Watched::unwatched(future)
    }
}
