//! [`TaskSet`]: a group that takes new tasks while it runs, and gives their outcomes as they
//! finish (asyncio's `TaskGroup.create_task` inside the `async with` block, tokio's `JoinSet`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::running::{Running, SlotHooks};
use super::stream::Next;
use super::{
    spawn_member, GroupKind, Local, Member, Payload, SendTaskFuture, Sendable, SpawnMember,
    TaskFuture,
};
use futures_core::Stream;

use crate::debug::{self, Watched};
use crate::error::TaskError;
use crate::event_loop::LoopOwner;

/// A set of tasks that grows while it runs: [`spawn`](TaskSet::spawn) a task at any time (an
/// accept loop adds one per connection), take outcomes as tasks finish with
/// [`next`](TaskSet::next). Beside `tasks![]`, which is for work known when the group is
/// written, this is for work that arrives while it runs.
///
/// A finished task's memory is given back as soon as its outcome is taken, so a set through
/// which millions of tasks pass holds only those running at once. A task's panic does not take
/// the set down: it is the task's outcome, `Err(TaskError)` (its task named `#n`, `n` being the
/// number [`spawn`](TaskSet::spawn) returned). Dropping the set cancels every task still in it:
/// their futures are dropped before the drop returns (on a multi-threaded runtime, one being
/// polled on another thread at that moment is dropped as soon as that poll returns).
///
/// `TaskSet<T>` keeps its tasks on its thread; [`TaskSet::new_send`] makes a set of `Send` tasks
/// that a multi-threaded runtime may run in parallel.
///
/// ```
/// use jobloop_runtime::{sleep, EventLoop, TaskSet};
/// use std::time::Duration;
///
/// let total = EventLoop::new().block_on(async {
///     let mut set = TaskSet::new();
///     for ms in [30u64, 10, 20] {
///         set.spawn(async move {
///             sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     let mut total = 0;
///     while let Some(outcome) = set.next().await {
///         total += outcome.unwrap(); // 10, then 20, then 30
///         if total == 10 {
///             set.spawn(async { 5 }); // more work, while the set runs
///         }
///     }
///     total
/// });
/// assert_eq!(total, 65);
/// ```
#[must_use = "a TaskSet cancels its tasks when dropped; take their outcomes with `.next().await`"]
pub struct TaskSet<T, K: GroupKind = Local> {
    running: Running<K::Link<T>>,
    spawned: usize,
    /// The event loop that runs the tasks, when one does.
    owner: Option<LoopOwner>,
}

impl<T, K: GroupKind> TaskSet<T, K> {
    fn empty() -> Self {
        TaskSet {
            running: Running::new(),
            spawned: 0,
            owner: LoopOwner::current(),
        }
    }

    /// How many tasks are in the set: running, or finished with their outcome not taken yet.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// Whether no task is in the set.
    pub fn is_empty(&self) -> bool {
        self.running.len() == 0
    }

    /// The outcome of the next task to finish, in the order they finish; `None` when the set is
    /// empty (it may be given more tasks afterwards).
    // An inherent `next`, so that no other crate (nor trait import) is needed to take items.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, Self> {
        Next::new(self)
    }

    /// Waits for whichever comes first: the outcome of the next task to finish
    /// ([`FinishedOr::Finished`]), or `other`'s output ([`FinishedOr::Other`]). What an accept loop
    /// needs: take the outcomes of the connections served while waiting for the next one. While
    /// the set is empty, only `other` is waited for. When both are ready, the outcome comes
    /// first (`other` is polled again at the next call: make it a future that loses nothing
    /// when dropped, as `net::TcpListener::accept` is).
    ///
    /// ```
    /// use jobloop_runtime::group::FinishedOr;
    /// use jobloop_runtime::{sleep, EventLoop, TaskSet};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     set.spawn(async { 1 });
    ///     let tick = sleep(Duration::from_millis(10));
    ///     assert!(matches!(set.next_or(tick).await, FinishedOr::Finished(Ok(1))));
    ///     let tick = sleep(Duration::from_millis(10));
    ///     assert!(matches!(set.next_or(tick).await, FinishedOr::Other(())));
    /// });
    /// ```
    pub fn next_or<F: Future>(&mut self, other: F) -> NextOr<'_, T, K, F> {
        NextOr { set: self, other }
    }

    /// Cancels every task in the set; returns once their futures are gone. The set stays usable.
    pub async fn cancel(&mut self) {
        self.running.cancel();
        std::future::poll_fn(|cx| self.running.poll_gone(cx)).await;
    }
}

impl<T: 'static> TaskSet<T, Local> {
    /// An empty set whose tasks run on this thread.
    pub fn new() -> Self {
        TaskSet::empty()
    }

    /// Starts `future` as a task of the set, on the current runtime, on this thread (the future
    /// need not be `Send`). Returns its number: `0` for the first task of the set, then `1`...
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> usize
    where
        F: TaskFuture<Output = T> + 'static,
    {
        self.start(future)
    }
}

impl<T: 'static> Default for TaskSet<T, Local> {
    fn default() -> Self {
        TaskSet::new()
    }
}

impl<T: Send + 'static> TaskSet<T, Sendable> {
    /// An empty set of `Send` tasks, which a multi-threaded runtime may run on any thread.
    pub fn new_send() -> Self {
        TaskSet::empty()
    }

    /// Starts `future` as a task of the set, on any thread of the current runtime. Returns its
    /// number.
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> usize
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        self.start(future)
    }
}

impl<T, K: GroupKind> TaskSet<T, K> {
    /// Starts `future` as the next task, as `K` starts a member (watched in debug mode and
    /// under the trace); returns its number.
    #[track_caller]
    fn start<F>(&mut self, future: F) -> usize
    where
        F: Future<Output = T>,
        K: SpawnMember<Member<F, SlotHooks<<K as GroupKind>::Link<T>>>>
            + SpawnMember<Member<Watched<F>, SlotHooks<<K as GroupKind>::Link<T>>>>,
    {
        // Checked here: the spawn below is in a closure, where `#[track_caller]` stops.
        crate::context::expect_runtime("`TaskSet::spawn`");
        let number = self.spawned;
        self.running.start(number, |canceller, hooks| {
            if debug::watching() {
                let future = Watched::new(future, || debug::Name::Member(None));
                spawn_member::<K, _, _>("`TaskSet::spawn`", canceller, Member::new(future, hooks))
            } else {
                spawn_member::<K, _, _>("`TaskSet::spawn`", canceller, Member::new(future, hooks))
            }
        });
        self.spawned += 1;
        number
    }
}

impl<T, K: GroupKind> Stream for TaskSet<T, K> {
    type Item = Result<T, TaskError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.running.len() == 0 {
            return Poll::Ready(None);
        }
        match this.running.poll_next(cx) {
            Poll::Ready((number, outcome)) => {
                let error = |payload: Payload| TaskError::panicked(format!("#{number}"), &*payload);
                Poll::Ready(Some(outcome.map_err(error)))
            }
            Poll::Pending => {
                if let Some(owner) = &this.owner {
                    owner.check("a `TaskSet`");
                }
                Poll::Pending
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.running.len(), Some(self.running.len()))
    }
}

/// What [`TaskSet::next_or`] gives: a task's outcome, or the other future's output.
#[derive(Debug)]
pub enum FinishedOr<T, O> {
    /// A task of the set finished: its outcome.
    Finished(Result<T, TaskError>),
    /// The other future finished first: its output.
    Other(O),
}

pin_project_lite::pin_project! {
    /// The future of [`TaskSet::next_or`].
    #[must_use = "futures do nothing unless you `.await` them"]
    pub struct NextOr<'a, T, K: GroupKind, F> {
        set: &'a mut TaskSet<T, K>,
        #[pin]
        other: F,
    }
}

impl<T, K: GroupKind, F: Future> Future for NextOr<'_, T, K, F> {
    type Output = FinishedOr<T, F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if !this.set.is_empty() {
            if let Poll::Ready(Some(outcome)) = Pin::new(&mut **this.set).poll_next(cx) {
                return Poll::Ready(FinishedOr::Finished(outcome));
            }
        }
        this.other.poll(cx).map(FinishedOr::Other)
    }
}

// Nothing is pinned: handles and outcomes move freely.
impl<T, K: GroupKind> Unpin for TaskSet<T, K> {}

impl<T, K: GroupKind> fmt::Debug for TaskSet<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("tasks", &self.running.len())
            .field("spawned", &self.spawned)
            .finish()
    }
}
