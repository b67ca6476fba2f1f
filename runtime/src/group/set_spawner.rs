//! [`TaskSetSpawner`]: what spawns into a [`TaskSet`](super::TaskSet) from outside its owner's
//! `&mut`: from the set's own tasks (asyncio's `tg.create_task` inside a task of the group,
//! trio's nursery handed to a child), or from any other task or thread.
//!
//! A spawner does not start the task itself, since the set's running tasks are its owner's to
//! change: it numbers the future and sends it, boxed, through a channel that the set reads
//! whenever its owner waits on it (`next`, `next_or`, `next_numbered`, `start`) or spawns, and
//! the set then starts it as if the owner had spawned it there (or queues it under a limit);
//! `cancel_task` and `cancel` take them in too.
//! The owner's waker is the channel's, so a task sent while the owner waits for an outcome
//! starts at the loop's next turn.

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
pub(super) enum Sent<T, K: GroupKind> {
    /// A task to start.
    Task(Unstarted<T, K>),
    /// The number of a task to cancel.
    Cancel(usize),
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
/// sent from several threads at once may start in another order than their numbers.
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
    /// The set's next task number, shared by its owner and every spawner.
    numbers: Arc<AtomicUsize>,
}

impl<T, K: GroupKind> TaskSetSpawner<T, K> {
    /// Sends the task spawned `at` to the set; its number, or `None` when the set is gone.
    fn send(&self, at: &'static Location<'static>, future: K::Boxed<T>) -> Option<usize> {
        if self.sender.is_closed() {
            return None;
        }
        let number = self.numbers.fetch_add(1, Ordering::Relaxed);
        // The set may be dropped since: the future comes back in the error, and is dropped.
        let task = Sent::Task((number, at, future));
        self.sender.unbounded_send(task).ok()?;
        Some(number)
    }

    /// Asks the set to cancel task `number` (what a `spawn` of the set or of a spawner
    /// returned): [`TaskSet::cancel_task`](super::TaskSet::cancel_task), done when the set's
    /// owner next waits on the set, as a spawned task is started (at the loop's next turn
    /// while it waits for an outcome), not before this returns. Then, if the task has not
    /// finished, its future is dropped and its outcome is an error of kind
    /// [`Cancelled`](crate::TaskErrorKind::Cancelled); if it has, this does nothing. Returns
    /// `false` when the set is gone. What a connection's handler calls to cancel a job it was
    /// told the number of (asyncio's `tasks[name].cancel()` from another task).
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
    ///     assert_eq!(set.next().await.unwrap(), Ok("cancelled it"));
    ///     assert!(set.next().await.unwrap().unwrap_err().is_cancelled()); // without the hour
    /// });
    /// ```
    pub fn cancel_task(&self, number: usize) -> bool {
        self.sender.unbounded_send(Sent::Cancel(number)).is_ok()
    }

    /// Whether the set is gone (dropped): [`spawn`](TaskSetSpawner::spawn) then starts nothing.
    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
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
}

impl<T, K: GroupKind> Clone for TaskSetSpawner<T, K> {
    fn clone(&self) -> Self {
        TaskSetSpawner {
            sender: self.sender.clone(),
            numbers: self.numbers.clone(),
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

/// The set's end: the tasks its spawners sent, and the numbers they took.
pub(super) struct Inbox<T, K: GroupKind> {
    receiver: UnboundedReceiver<Sent<T, K>>,
    /// What [`TaskSet::spawner`](super::TaskSet::spawner) clones.
    spawner: TaskSetSpawner<T, K>,
}

impl<T, K: GroupKind> Inbox<T, K> {
    /// An inbox whose first task is numbered `first`.
    pub(super) fn new(first: usize) -> Inbox<T, K> {
        let (sender, receiver) = mpsc::unbounded();
        let numbers = Arc::new(AtomicUsize::new(first));
        Inbox {
            receiver,
            spawner: TaskSetSpawner { sender, numbers },
        }
    }

    pub(super) fn spawner(&self) -> TaskSetSpawner<T, K> {
        self.spawner.clone()
    }

    /// The number of a task the set's owner spawns.
    pub(super) fn number(&self) -> usize {
        self.spawner.numbers.fetch_add(1, Ordering::Relaxed)
    }

    /// How many numbers were given: the owner's tasks and those the spawners sent.
    pub(super) fn numbered(&self) -> usize {
        self.spawner.numbers.load(Ordering::Relaxed)
    }

    /// The next task or cancel sent, if one waits.
    pub(super) fn try_take(&mut self) -> Option<Sent<T, K>> {
        self.receiver.try_recv().ok()
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

    /// The next task or cancel sent; `None` when none waits, with `cx`'s waker registered for
    /// the next.
    pub(super) fn poll_take(&mut self, cx: &mut Context<'_>) -> Option<Sent<T, K>> {
        match Pin::new(&mut self.receiver).poll_next(cx) {
            Poll::Ready(task) => task,
            Poll::Pending => None,
        }
    }
}
