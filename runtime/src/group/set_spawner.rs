//! [`TaskSetSpawner`]: what spawns into a [`TaskSet`](super::TaskSet) from outside its owner's
//! `&mut`: from the set's own tasks (asyncio's `tg.create_task` inside a task of the group,
//! trio's nursery handed to a child), or from any other task or thread.
//!
//! A spawner does not start the task itself, since the set's running tasks are its owner's to
//! change: it numbers the future and sends it, boxed, through a channel that the set reads
//! whenever its owner waits on it (`next`, `next_or`, `next_numbered`, `start`), spawns or
//! cancels one task, and the set then starts it as if the owner had spawned it there (or
//! queues it under a limit). A spawner's cancel goes the same way, and is done then. The
//! owner's waker is the channel's, so what is sent while the owner waits for an outcome is
//! done at the loop's next turn. The set takes at most what was sent when it began to read, so
//! spawners sending from other threads as fast as it reads cannot hold the owner there.

use std::fmt;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures_core::Stream;

use super::{GroupKind, Local, SendTaskFuture, Sendable, TaskFuture};
use crate::unwind::drop_quietly;

/// A task of a [`TaskSet`](super::TaskSet) not started yet: its number, where it was spawned,
/// and its future.
pub(super) type Unstarted<T, K> = (
    usize,
    &'static Location<'static>,
    <K as GroupKind>::Boxed<T>,
);

/// What a spawner sends its set.
enum Sent<T, K: GroupKind> {
    /// A task to start.
    Task(Unstarted<T, K>),
    /// The number of a task to cancel.
    Cancel(usize),
    /// The number of a task that a [`spawn_numbered`](TaskSetSpawner::spawn_numbered) is
    /// making: `make` has it, and may hand it out (to a table of jobs, say) before the task is
    /// sent. A cancel of it that comes first is kept until the task does.
    Making(usize),
    /// The number of a task never made: its `make` panicked.
    Unmade(usize),
}

/// What the set takes from its [`Inbox`]: what the spawners sent, the inbox's own bookkeeping
/// of the tasks being made done.
pub(super) enum Taken<T, K: GroupKind> {
    /// A task to start.
    Task(Unstarted<T, K>),
    /// A task cancelled while it was being made: dropped unstarted, its outcome a cancel.
    Cancelled(Unstarted<T, K>),
    /// The number of a task to cancel.
    Cancel(usize),
    /// Nothing for the set to do (a task being made, or never made, noted).
    Noted,
}

/// Spawns tasks into a [`TaskSet`](super::TaskSet) without its owner's `&mut`: made by
/// [`TaskSet::spawner`](super::TaskSet::spawner), cloned into the tasks that discover more work
/// (a crawler's pages that find links, a job that starts its follow-up), or into any other
/// task. asyncio's `tg.create_task(...)` called inside a task of the group.
///
/// The task joins the set and its outcome comes out of the set's
/// [`next`](super::TaskSet::next) like any other; it is cancelled with the set. It starts when
/// the set's owner next waits on the set (`next`, `next_or`, `next_numbered`, `start`),
/// spawns into it or cancels one of its tasks, which is at the loop's next turn when the owner
/// waits for an outcome, as a set's owner does (a set whose owner waits on something else
/// starts it later; under [`with_limit`](super::TaskSet::with_limit), when a place is free).
/// Tasks start in the order they were sent, after the outcomes the set already holds; tasks
/// sent from several threads at once, or by a
/// [`spawn_numbered`](TaskSetSpawner::spawn_numbered)'s `make`, may start in another order
/// than their numbers.
///
/// `TaskSetSpawner<T>` (a [`TaskSet::new`](super::TaskSet::new) set's) stays on its thread;
/// a [`TaskSet::new_send`](super::TaskSet::new_send) set's is `Send`, and can spawn from
/// another thread (a `to_thread` job's), the task starting on the set's runtime.
///
/// ```
/// use jobloop_runtime::group::TaskSetSpawner;
/// use jobloop_runtime::{EventLoop, TaskSet};
///
/// // Each page finds two links one level deeper; every page is a task of the one set.
/// async fn crawl(depth: u32, spawner: TaskSetSpawner<u32>) -> u32 {
///     if depth < 3 {
///         for _ in 0..2 {
///             spawner.spawn(crawl(depth + 1, spawner.clone()));
///         }
///     }
///     depth
/// }
///
/// let pages = EventLoop::new().block_on(async {
///     let mut set = TaskSet::new();
///     set.spawn(crawl(0, set.spawner()));
///     let mut pages = 0;
///     while let Some(outcome) = set.next().await {
///         outcome.unwrap();
///         pages += 1;
///     }
///     pages
/// });
/// assert_eq!(pages, 1 + 2 + 4 + 8);
/// ```
///
/// In a `Send` set, an `async fn` that spawns itself needs one more line: rustc cannot prove
/// a future `Send` inside its own body (it says it "cannot satisfy `impl Future<Output = ..>:
/// Send`" at `spawn`), so spawn it from a small fn beside it.
///
/// ```
/// use jobloop_runtime::group::{Sendable, TaskSetSpawner};
///
/// async fn crawl(depth: u32, spawner: TaskSetSpawner<u32, Sendable>) -> u32 {
///     if depth < 3 {
///         crawl_later(depth + 1, &spawner);
///     }
///     depth
/// }
///
/// fn crawl_later(depth: u32, spawner: &TaskSetSpawner<u32, Sendable>) {
///     spawner.spawn(crawl(depth, spawner.clone()));
/// }
/// ```
pub struct TaskSetSpawner<T, K: GroupKind = Local> {
    sender: UnboundedSender<Sent<T, K>>,
    counts: Arc<Counts>,
}

/// What the set and its spawners count together.
#[derive(Debug)]
struct Counts {
    /// The set's next task number, shared by its owner and every spawner.
    numbers: AtomicUsize,
    /// How many messages the spawners sent (or are sending at this moment).
    messages: AtomicUsize,
    /// How many numbers the spawners took for tasks never made: the `make` of
    /// [`spawn_numbered`](TaskSetSpawner::spawn_numbered) panicked. Added to after `numbers`,
    /// read before it (`Release`, `Acquire`), so that the set never counts one task too few.
    unmade: AtomicUsize,
}

impl<T, K: GroupKind> TaskSetSpawner<T, K> {
    /// Sends the task spawned `at` to the set; its number, or `None` when the set is gone.
    fn send(&self, at: &'static Location<'static>, future: K::Boxed<T>) -> Option<usize> {
        if self.sender.is_closed() {
            return None;
        }
        let number = self.counts.numbers.fetch_add(1, Ordering::Relaxed);
        // The set may be dropped since: the future comes back in the error, and is dropped.
        self.post(Sent::Task((number, at, future)))
            .then_some(number)
    }

    /// [`send`](Self::send) for a task that `make` makes given its number, announced first
    /// ([`Sent::Making`]); `None`, without calling `make`, when the set is gone already.
    fn send_numbered(
        &self,
        at: &'static Location<'static>,
        make: impl FnOnce(usize) -> K::Boxed<T>,
    ) -> Option<usize> {
        if self.sender.is_closed() {
            return None;
        }
        let number = self.counts.numbers.fetch_add(1, Ordering::Relaxed);
        self.post(Sent::Making(number));
        let unmade = Unmade {
            spawner: self,
            number,
        };
        let future = make(number);
        std::mem::forget(unmade);
        self.post(Sent::Task((number, at, future)))
            .then_some(number)
    }

    /// Sends `message`, counted first; whether the set is there to take it.
    fn post(&self, message: Sent<T, K>) -> bool {
        self.counts.messages.fetch_add(1, Ordering::Relaxed);
        self.sender.unbounded_send(message).is_ok()
    }

    /// Asks the set to cancel task `number` (what a `spawn` of the set or of a spawner
    /// returned), as [`TaskSet::cancel_task`](super::TaskSet::cancel_task) would: done when the
    /// set's owner next waits on the set, spawns or cancels a task, as a spawned task is
    /// started (at the loop's next turn while it waits for an outcome), not before this
    /// returns. Then, if the task has not finished, its future is dropped and its outcome,
    /// the next to come from the set, is an error of kind
    /// [`Cancelled`](crate::TaskErrorKind::Cancelled); if it has finished (also on another
    /// thread at that very moment, its output then dropped), this does nothing. A
    /// [`TaskSet::start`](super::TaskSet::start) waiting for that task gives
    /// [`StartError::Cancelled`](super::StartError::Cancelled). The set's
    /// [`cancel`](super::TaskSet::cancel) drops the cancels not done yet, its tasks being
    /// cancelled anyway.
    ///
    /// Returns whether the set was there to take the request (`false` once it is dropped), not
    /// whether the task was still running, which only the set knows when it takes it. What a
    /// connection's handler calls to cancel a job it was told the number of (asyncio's
    /// `tasks[name].cancel()` from another task).
    ///
    /// ```
    /// use jobloop_runtime::{sleep, EventLoop, TaskSet};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     let job = set.spawn(async {
    ///         sleep(Duration::from_secs(3600)).await;
    ///         "done"
    ///     });
    ///     let spawner = set.spawner();
    ///     set.spawn(async move {
    ///         spawner.cancel_task(job); // a CANCEL command, say
    ///         "cancelled it"
    ///     });
    ///     let (first, second) = (set.next().await.unwrap(), set.next().await.unwrap());
    ///     assert!(first.unwrap_err().is_cancelled()); // done first, without the hour's wait
    ///     assert_eq!(second, Ok("cancelled it"));
    /// });
    /// ```
    pub fn cancel_task(&self, number: usize) -> bool {
        self.post(Sent::Cancel(number))
    }

    /// Whether the set is gone (dropped): [`spawn`](TaskSetSpawner::spawn) then starts nothing,
    /// and [`cancel_task`](TaskSetSpawner::cancel_task) returns `false`.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }
}

/// Lives while a spawner's `make` runs, whose number is taken: if `make` panics, its drop tells
/// the set that the task will not come (counted at once, so that [`len`](super::TaskSet::len)
/// does not count it; sent, so that the set forgets the number).
struct Unmade<'a, T, K: GroupKind> {
    spawner: &'a TaskSetSpawner<T, K>,
    number: usize,
}

impl<T, K: GroupKind> Drop for Unmade<'_, T, K> {
    fn drop(&mut self) {
        self.spawner.counts.unmade.fetch_add(1, Ordering::Release);
        self.spawner.post(Sent::Unmade(self.number));
    }
}

impl<T: 'static> TaskSetSpawner<T, Local> {
    /// Spawns `future` into the set: its number (as [`TaskSet::spawn`](super::TaskSet::spawn)
    /// returns), or `None` when the set is gone, in which case `future` is dropped unstarted.
    /// It starts when the set's owner next waits on the set (see [`TaskSetSpawner`]).
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Option<usize>
    where
        F: TaskFuture<Output = T> + 'static,
    {
        self.send(Location::caller(), Box::pin(future))
    }

    /// [`spawn`](TaskSetSpawner::spawn) for a task that needs its own number (asyncio's
    /// `asyncio.current_task()`), as [`TaskSet::spawn_numbered`](super::TaskSet::spawn_numbered):
    /// `make` is given the number the task gets, and returns its future. Not called when the
    /// set is gone already (this returns `None`; when the set goes while `make` runs, the
    /// future it made is dropped unstarted).
    ///
    /// `make` may hand the number out before the task is sent (to a table of jobs that other
    /// tasks or threads cancel from, say): a [`cancel_task`](TaskSetSpawner::cancel_task) of
    /// it, or the owner's [`TaskSet::cancel_task`](super::TaskSet::cancel_task), that reaches
    /// the set first cancels the task when it comes. A `make` that panics spawns nothing: the
    /// panic goes on from here, and the number is never used.
    ///
    /// ```
    /// use jobloop_runtime::{EventLoop, TaskSet};
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     let spawner = set.spawner();
    ///     set.spawn(async move {
    ///         // A job that starts a follow-up, which reports under its own number.
    ///         spawner.spawn_numbered(|number| async move { format!("follow-up #{number}") });
    ///         "job".to_string()
    ///     });
    ///     let mut outputs = Vec::new();
    ///     while let Some((number, outcome)) = set.next_numbered().await {
    ///         outputs.push((number, outcome.unwrap()));
    ///     }
    ///     assert_eq!(outputs, [(0, "job".to_string()), (1, "follow-up #1".to_string())]);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_numbered<F>(&self, make: impl FnOnce(usize) -> F) -> Option<usize>
    where
        F: TaskFuture<Output = T> + 'static,
    {
        self.send_numbered(Location::caller(), |number| Box::pin(make(number)))
    }
}

impl<T: Send + 'static> TaskSetSpawner<T, Sendable> {
    /// Spawns the `Send` future into the set: its number, or `None` when the set is gone, in
    /// which case `future` is dropped unstarted. It starts when the set's owner next waits on
    /// the set (see [`TaskSetSpawner`]), on the set's runtime, whatever thread this is called
    /// on.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Option<usize>
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        self.send(Location::caller(), Box::pin(future))
    }

    /// [`spawn`](TaskSetSpawner::spawn) for a `Send` task that needs its own number: `make`
    /// is given it (see the local set's
    /// [`spawn_numbered`](TaskSetSpawner::spawn_numbered)).
    #[track_caller]
    pub fn spawn_numbered<F>(&self, make: impl FnOnce(usize) -> F) -> Option<usize>
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        self.send_numbered(Location::caller(), |number| Box::pin(make(number)))
    }
}

impl<T, K: GroupKind> Clone for TaskSetSpawner<T, K> {
    fn clone(&self) -> Self {
        TaskSetSpawner {
            sender: self.sender.clone(),
            counts: self.counts.clone(),
        }
    }
}

impl<T, K: GroupKind> fmt::Debug for TaskSetSpawner<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSetSpawner")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The set's end: the tasks and cancels its spawners sent, and the numbers they took.
pub(super) struct Inbox<T, K: GroupKind> {
    receiver: UnboundedReceiver<Sent<T, K>>,
    /// How many messages the set took.
    taken: usize,
    /// The tasks a `spawn_numbered` is making ([`Sent::Making`]), by number, and whether a
    /// cancel of each came before it.
    making: Vec<(usize, bool)>,
    /// What [`TaskSet::spawner`](super::TaskSet::spawner) clones.
    spawner: TaskSetSpawner<T, K>,
}

impl<T, K: GroupKind> Inbox<T, K> {
    /// An inbox whose first task is numbered `first`.
    pub(super) fn new(first: usize) -> Inbox<T, K> {
        let (sender, receiver) = mpsc::unbounded();
        let counts = Arc::new(Counts {
            numbers: AtomicUsize::new(first),
            messages: AtomicUsize::new(0),
            unmade: AtomicUsize::new(0),
        });
        Inbox {
            receiver,
            taken: 0,
            making: Vec::new(),
            spawner: TaskSetSpawner { sender, counts },
        }
    }

    pub(super) fn spawner(&self) -> TaskSetSpawner<T, K> {
        self.spawner.clone()
    }

    /// Cancels task `number` if it is being made (then it is dropped when it comes): `None`
    /// when it is not, else whether this cancelled it (not a cancel before).
    pub(super) fn cancel_making(&mut self, number: usize) -> Option<bool> {
        let (_, cancelled) = self
            .making
            .iter_mut()
            .find(|(making, _)| *making == number)?;
        Some(!std::mem::replace(cancelled, true))
    }

    /// Task `number` came, or will never come ([`Sent::Unmade`]): forgotten as being made;
    /// whether it was cancelled meanwhile.
    fn made(&mut self, number: usize) -> bool {
        match self.making.iter().position(|(making, _)| *making == number) {
            Some(at) => self.making.swap_remove(at).1,
            None => false,
        }
    }

    /// The number of a task the set's owner spawns.
    pub(super) fn number(&self) -> usize {
        self.spawner.counts.numbers.fetch_add(1, Ordering::Relaxed)
    }

    /// How many numbers were given for tasks: the owner's tasks and those the spawners sent
    /// (or are sending), not those of tasks a spawner's `make` never made.
    pub(super) fn numbered(&self) -> usize {
        let counts = &self.spawner.counts;
        let unmade = counts.unmade.load(Ordering::Acquire);
        counts
            .numbers
            .load(Ordering::Relaxed)
            .saturating_sub(unmade)
    }

    /// How many messages were sent (or are being sent) and not taken: the most the set takes
    /// in one go.
    pub(super) fn waiting(&self) -> usize {
        let sent = self.spawner.counts.messages.load(Ordering::Relaxed);
        sent.saturating_sub(self.taken)
    }

    /// What the next message sent asks of the set, if one waits.
    pub(super) fn try_take(&mut self) -> Option<Taken<T, K>> {
        let message = self.receiver.try_recv().ok()?;
        Some(self.take(message))
    }

    /// Takes `message`: notes the tasks being made, and the cancels that come before them.
    fn take(&mut self, message: Sent<T, K>) -> Taken<T, K> {
        self.taken += 1;
        match message {
            Sent::Task(task) if self.made(task.0) => Taken::Cancelled(task),
            Sent::Task(task) => Taken::Task(task),
            Sent::Cancel(number) if self.cancel_making(number).is_some() => Taken::Noted,
            Sent::Cancel(number) => Taken::Cancel(number),
            Sent::Making(number) => {
                self.making.push((number, false));
                Taken::Noted
            }
            Sent::Unmade(number) => {
                self.made(number);
                Taken::Noted
            }
        }
    }

    /// Refuses the tasks sent from now on ([`TaskSetSpawner::spawn`] gives `None`), then drops
    /// those sent before, each destructor's panic caught: none is left in the channel, which a
    /// spawner they hold would keep alive.
    pub(super) fn close(&mut self) {
        self.receiver.close();
        while let Ok(task) = self.receiver.try_recv() {
            drop_quietly(task);
        }
    }

    /// [`try_take`](Self::try_take); `None` when nothing waits, with `cx`'s waker registered
    /// for the next message.
    pub(super) fn poll_take(&mut self, cx: &mut Context<'_>) -> Option<Taken<T, K>> {
        match Pin::new(&mut self.receiver).poll_next(cx) {
            Poll::Ready(Some(message)) => Some(self.take(message)),
            Poll::Ready(None) | Poll::Pending => None,
        }
    }
}
