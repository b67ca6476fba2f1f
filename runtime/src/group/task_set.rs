//! [`TaskSet`]: a group that takes new tasks while it runs, and gives their outcomes as they
//! finish (asyncio's `TaskGroup.create_task` inside the `async with` block, tokio's `JoinSet`).

use std::cell::OnceCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::ready::{Ready, StartError, Started};
use super::running::{Running, SlotHooks};
use super::set_spawner::{Inbox, Taken, TaskSetSpawner, Unstarted};
use super::stream::Next;
use super::{GroupKind, Local, Member, Payload, SendTaskFuture, Sendable, SpawnMember, TaskFuture};
use futures_core::Stream;

use crate::debug::{self, Watched};
use crate::error::{TaskError, TaskErrorKind};
use crate::event_loop::LoopOwner;
use crate::unwind::drop_quietly;

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
/// Its tasks are `'static`, as spawned tasks are: they own what they use. A task that needs a
/// value the set's owner keeps (an HTTP client, a database pool) gets a clone of it, or of an
/// `Rc`/`Arc` around it (the compiler otherwise says the value "does not live long enough",
/// at the `'static` bound of `spawn`). Tasks that borrow are for `tasks![scoped; ...]`, whose
/// tasks are all known when it is written.
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
    /// How many tasks the set was given: spawned by its owner, or taken from `inbox`.
    spawned: usize,
    /// At most this many tasks run at once ([`with_limit`](TaskSet::with_limit)).
    limit: usize,
    /// The tasks spawned while `limit` ran, unstarted, with their numbers and where they were
    /// spawned, in spawn order: each starts when a running one's outcome is taken.
    queued: VecDeque<Unstarted<T, K>>,
    /// Starts a queued task: the kind's spawn, chosen where its bounds are known (`new`,
    /// `new_send`).
    start_queued: StartQueued<T, K>,
    /// Outcomes to come first from `next`: those taken while [`start`](TaskSet::start) waited
    /// for its task, and those of the tasks cancelled alone.
    stashed: VecDeque<(usize, Result<T, TaskError>)>,
    /// Each running task's address for `Canceller::cancel_one`, by slot.
    addresses: Vec<usize>,
    /// The tasks sent by [`TaskSetSpawner`]s, once [`spawner`](TaskSet::spawner) made one
    /// (through `&self`, so that `set.spawn(job(set.spawner()))` compiles; a `Cell` costs the
    /// set no `Sync`, which its boxed `Send` futures already deny it).
    inbox: OnceCell<Inbox<T, K>>,
    /// The event loop that runs the tasks, when one does.
    owner: Option<LoopOwner>,
}

/// How a [`TaskSet`] starts a task it queued.
type StartQueued<T, K> = fn(
    &mut Running<<K as GroupKind>::Link<T>>,
    usize,
    &'static Location<'static>,
    <K as GroupKind>::Boxed<T>,
) -> usize;

impl<T, K: GroupKind> TaskSet<T, K> {
    fn empty(start_queued: StartQueued<T, K>) -> Self {
        TaskSet {
            running: Running::new(),
            spawned: 0,
            limit: usize::MAX,
            queued: VecDeque::new(),
            start_queued,
            stashed: VecDeque::new(),
            addresses: Vec::new(),
            inbox: OnceCell::new(),
            owner: LoopOwner::current(),
        }
    }

    /// Runs at most `limit` of the set's tasks at once (smol's and tokio-util's bounded task
    /// sets, `asyncio.Semaphore` around each task): [`spawn`](TaskSet::spawn) beyond that keeps
    /// the future unstarted, and it starts, in spawn order, as soon as the outcome of a running
    /// task is taken. [`len`](TaskSet::len) counts both.
    ///
    /// `spawn` never waits. For backpressure (an accept loop that stops accepting while `limit`
    /// connections are served, rather than queue them), take outcomes first while the set
    /// [`is_full`](TaskSet::is_full): `while set.is_full() { set.next().await; }`, then
    /// `accept`. The limit applies to the tasks started from then on: raised, the tasks
    /// waiting start as places free; lowered, the tasks running go on.
    /// [`start`](TaskSet::start) under a limit waits for a place too.
    ///
    /// ```
    /// use jobloop_runtime::{yield_now, EventLoop, TaskSet};
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// let most = EventLoop::new().block_on(async {
    ///     let (running, most) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    ///     let mut set = TaskSet::new().with_limit(8);
    ///     for _ in 0..100 {
    ///         let (running, most) = (running.clone(), most.clone());
    ///         set.spawn(async move {
    ///             running.set(running.get() + 1);
    ///             most.set(most.get().max(running.get()));
    ///             yield_now().await;
    ///             running.set(running.get() - 1);
    ///         });
    ///     }
    ///     assert_eq!(set.len(), 100); // 8 running, 92 waiting for a place
    ///     while let Some(outcome) = set.next().await {
    ///         outcome.unwrap();
    ///     }
    ///     most.get()
    /// });
    /// assert_eq!(most, 8);
    /// ```
    ///
    /// # Panics
    ///
    /// When `limit` is 0: no task could ever start.
    #[track_caller]
    pub fn with_limit(mut self, limit: usize) -> Self {
        if limit == 0 {
            panic!("`TaskSet::with_limit(0)` would never start a task: give a limit of 1 or more");
        }
        self.limit = limit;
        self
    }

    /// How many tasks are in the set: running, finished with their outcome not taken yet, or
    /// waiting to start (under [`with_limit`](TaskSet::with_limit), or sent by a
    /// [`TaskSetSpawner`] and not started yet, one being sent from another thread at this
    /// moment included, and one whose `make` a
    /// [`spawn_numbered`](TaskSetSpawner::spawn_numbered) runs).
    pub fn len(&self) -> usize {
        self.running.len() + self.queued.len() + self.stashed.len() + self.sent()
    }

    /// How many tasks the spawners sent that the set has not taken yet.
    fn sent(&self) -> usize {
        match self.inbox.get() {
            Some(inbox) => inbox.numbered().saturating_sub(self.spawned),
            None => 0,
        }
    }

    /// Whether no task is in the set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether as many tasks run as [`with_limit`](TaskSet::with_limit) allows: the next
    /// [`spawn`](TaskSet::spawn) waits for a place, unstarted. Never without a limit.
    pub fn is_full(&self) -> bool {
        self.running.len() >= self.limit
    }

    /// The outcome of the next task to finish, in the order they finish; `None` when the set is
    /// empty (it may be given more tasks afterwards).
    // An inherent `next`, so that no other crate (nor trait import) is needed to take items.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, Self> {
        Next::new(self)
    }

    /// [`next`](TaskSet::next), with the task's number (what [`spawn`](TaskSet::spawn)
    /// returned): for a set whose tasks' outputs do not say which task they were (tokio's
    /// `join_next_with_id`). A task's error also names it, `#n`.
    ///
    /// ```
    /// use jobloop_runtime::{sleep, EventLoop, TaskSet};
    /// use std::collections::HashMap;
    /// use std::time::Duration;
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     let mut names = HashMap::new();
    ///     for (name, ms) in [("slow", 20), ("quick", 10)] {
    ///         let number = set.spawn(sleep(Duration::from_millis(ms)));
    ///         names.insert(number, name);
    ///     }
    ///     let (number, outcome) = set.next_numbered().await.unwrap();
    ///     assert_eq!((names[&number], outcome), ("quick", Ok(())));
    /// });
    /// ```
    pub fn next_numbered(
        &mut self,
    ) -> impl Future<Output = Option<(usize, Result<T, TaskError>)>> + '_ {
        std::future::poll_fn(|cx| self.poll_numbered(cx))
    }

    /// Waits for whichever comes first: the outcome of the next task to finish
    /// ([`FinishedOr::Finished`]), or `other`'s output ([`FinishedOr::Other`]). What an accept loop
    /// needs: take the outcomes of the connections served while waiting for the next one. While the
    /// set is empty, `other` is waited for, and the tasks its [`TaskSetSpawner`]s send (one sent
    /// meanwhile starts, and its outcome may come first). When both are ready, the outcome comes
    /// first (`other` is dropped, and made again at the next call: make it a future that loses
    /// nothing when dropped, as `net::TcpListener::accept` is, a timer to a fixed instant,
    /// [`sleep_until(deadline)`](crate::sleep_until) (a `sleep(duration)` made again starts its
    /// duration again), and a stream's `next()`, such as the next of a `BufReader`'s `lines()`,
    /// whose line read so far stays in the stream). The outcome does not say which task it was (as
    /// [`next_numbered`](TaskSet::next_numbered)'s does): have the task's output say it where that
    /// matters.
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

    /// A [`TaskSetSpawner`]: spawns into this set from its own tasks, or from anywhere else,
    /// without `&mut` to the set (asyncio's `tg.create_task` inside a task of the group). Its
    /// tasks start when the set's owner next waits on the set or spawns into it.
    ///
    /// ```
    /// use jobloop_runtime::{EventLoop, TaskSet};
    ///
    /// let outputs = EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     let spawner = set.spawner();
    ///     set.spawn(async move {
    ///         spawner.spawn(async { "follow-up" }); // a task of the set starts another
    ///         "first"
    ///     });
    ///     let mut outputs = Vec::new();
    ///     while let Some(outcome) = set.next().await {
    ///         outputs.push(outcome.unwrap());
    ///     }
    ///     outputs
    /// });
    /// assert_eq!(outputs, ["first", "follow-up"]);
    /// ```
    pub fn spawner(&self) -> TaskSetSpawner<T, K> {
        self.inbox
            .get_or_init(|| Inbox::new(self.spawned))
            .spawner()
    }

    /// Cancels every task in the set (those waiting to start are dropped unstarted, those sent
    /// by a [`TaskSetSpawner`] too, also while this waits); returns once their futures are
    /// gone. The set stays usable.
    pub async fn cancel(&mut self) {
        self.drop_sent();
        drop_quietly(std::mem::take(&mut self.queued));
        drop_quietly(std::mem::take(&mut self.stashed));
        self.running.cancel();
        std::future::poll_fn(|cx| self.running.poll_gone(cx)).await;
        // Sent meanwhile: by a task on another thread in its last poll, or by a destructor.
        self.drop_sent();
    }

    /// Drops, unstarted, the tasks the spawners have sent, and their cancels (every task is
    /// cancelled anyway): what was sent when called (a destructor that sends another is not
    /// followed for ever).
    fn drop_sent(&mut self) {
        if let Some(inbox) = self.inbox.get_mut() {
            for _ in 0..inbox.waiting() {
                match inbox.try_take() {
                    Some(Taken::Task(task) | Taken::Cancelled(task)) => {
                        self.spawned += 1;
                        drop_quietly(task);
                    }
                    Some(Taken::Cancel(_) | Taken::Noted) => {}
                    None => break,
                }
            }
        }
    }

    /// Cancels task `number` (what [`spawn`](TaskSet::spawn) returned), if it has not finished:
    /// asyncio's `task.cancel()`, tokio's `AbortHandle::abort`. Its future is dropped before
    /// this returns, destructors and all (one waiting to start is dropped unstarted). Two
    /// exceptions, as when the whole set is cancelled: on a multi-threaded runtime, a future
    /// being polled on another thread at this moment is dropped as soon as that poll returns,
    /// and one woken from another thread at this very moment is dropped at the loop's next
    /// turn. Its outcome, from [`next`](TaskSet::next) before those of tasks that finished and
    /// were not taken yet, is `Err(TaskError)` of kind
    /// [`Cancelled`](crate::TaskErrorKind::Cancelled): each number comes out of the set once.
    /// Under [`with_limit`](TaskSet::with_limit), its place goes to the next task waiting. The
    /// other tasks are not touched.
    ///
    /// Returns whether it cancelled the task: `false` when the task had finished (its outcome is
    /// what `next` gives, as if this had not been called), when its outcome was taken already, when
    /// a [`TaskSetSpawner::cancel_task`] that the set takes in here cancelled it first, or when the
    /// set never had that number. A task that a spawner's
    /// [`spawn_numbered`](TaskSetSpawner::spawn_numbered) is still making (its number handed out by
    /// `make`) is cancelled when it comes: `true`, and its outcome comes then. A task that finishes
    /// on another thread while this runs is cancelled, its output dropped. Finding the task takes a
    /// look at each task running: a cancel costs as much as a few spawns in a set of thousands.
    ///
    /// ```
    /// use jobloop_runtime::{sleep, EventLoop, TaskSet};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     let slow = set.spawn(async {
    ///         sleep(Duration::from_secs(3600)).await;
    ///         "slow"
    ///     });
    ///     set.spawn(async { "quick" });
    ///     assert!(set.cancel_task(slow)); // dropped now, without an hour's wait
    ///     assert!(!set.cancel_task(slow)); // once is enough
    ///     let error = set.next().await.unwrap().unwrap_err();
    ///     assert!(error.is_cancelled());
    ///     assert_eq!(error.to_string(), "task `#0` was cancelled");
    ///     assert_eq!(set.next().await.unwrap(), Ok("quick"));
    ///     assert!(set.next().await.is_none());
    /// });
    /// ```
    pub fn cancel_task(&mut self, number: usize) -> bool {
        if let Some(sent) = self.take_sent_but(number) {
            drop_quietly(sent);
            self.stash_cancelled(number);
            return true;
        }
        // Being made by a spawner's `spawn_numbered`: cancelled when it comes.
        if let Some(cancelled) = self
            .inbox
            .get_mut()
            .and_then(|inbox| inbox.cancel_making(number))
        {
            return cancelled;
        }
        self.cancel_taken(number)
    }

    /// [`cancel_task`](TaskSet::cancel_task) of a task the set has taken from its spawners.
    fn cancel_taken(&mut self, number: usize) -> bool {
        if let Some(at) = self
            .queued
            .iter()
            .position(|(queued, ..)| *queued == number)
        {
            drop_quietly(self.queued.remove(at));
        } else {
            let Some(slot) = self.running.slot_of(number) else {
                return false;
            };
            if self.running.has_finished(slot, number) {
                return false;
            }
            self.running.cancel_one(slot, number, self.addresses[slot]);
            self.start_waiting();
        }
        self.stash_cancelled(number);
        true
    }

    /// Keeps task `number`'s outcome, cancelled, for `next`.
    fn stash_cancelled(&mut self, number: usize) {
        let error = TaskError::new(format!("#{number}"), TaskErrorKind::Cancelled);
        self.stashed.push_back((number, Err(error)));
    }
}

impl<T: 'static> TaskSet<T, Local> {
    /// An empty set whose tasks run on this thread.
    pub fn new() -> Self {
        TaskSet::empty(Self::start_member)
    }

    /// Starts `future` as a task of the set, on the current runtime, on this thread (the future
    /// need not be `Send`); under [`with_limit`](TaskSet::with_limit), when the set is full,
    /// keeps it to start later. Returns its number: `0` for the first task of the set, then
    /// `1`... (one sequence for the set, its [`TaskSetSpawner`]s' tasks included; the number
    /// of a [`spawn_numbered`](TaskSet::spawn_numbered) whose `make` panicked is never used).
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> usize
    where
        F: TaskFuture<Output = T> + 'static,
    {
        // Checked here, full or not: the spawns are in closures, where `#[track_caller]` stops.
        crate::context::expect_runtime("`TaskSet::spawn`");
        self.add(|_| future, Location::caller(), |future| Box::pin(future))
    }

    /// [`spawn`](TaskSet::spawn) for a task that needs its own number, asyncio's
    /// `asyncio.current_task()` (to remove itself from a table of jobs when it ends, say, only
    /// if the entry is still its own): `make` is given the number the task gets, the one this
    /// returns, and returns the task's future. A `make` that panics spawns nothing, and its
    /// number goes unused.
    ///
    /// ```
    /// use jobloop_runtime::{EventLoop, TaskSet};
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     for name in ["a", "b"] {
    ///         set.spawn_numbered(|number| async move { format!("{name} is #{number}") });
    ///     }
    ///     assert_eq!(set.next().await.unwrap(), Ok("a is #0".to_string()));
    ///     assert_eq!(set.next().await.unwrap(), Ok("b is #1".to_string()));
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread (before `make` is called); when `make`
    /// panics (the panic goes on from here).
    #[track_caller]
    pub fn spawn_numbered<F>(&mut self, make: impl FnOnce(usize) -> F) -> usize
    where
        F: TaskFuture<Output = T> + 'static,
    {
        crate::context::expect_runtime("`TaskSet::spawn_numbered`");
        self.add(make, Location::caller(), |future| Box::pin(future))
    }
}

impl<T: 'static> TaskSet<T, Local> {
    /// Starts a task that says when it is ready, and waits until it does (trio's
    /// `nursery.start`): `task` is given a [`Ready`], and once the task calls
    /// [`ready.started(value)`](Ready::started) this returns `Ok(value)` while the task runs
    /// on in the set. If the task ends (or panics) before, this gives its outcome as a
    /// [`StartError`], and the set no longer holds it. Outcomes of other tasks that finish
    /// meanwhile wait in the set for [`next`](TaskSet::next).
    ///
    /// ```
    /// use jobloop_runtime::net::{TcpListener, TcpStream};
    /// use jobloop_runtime::{EventLoop, TaskSet};
    ///
    /// EventLoop::new().block_on(async {
    ///     let mut set = TaskSet::new();
    ///     // The server's port comes back once it listens, not before.
    ///     let port = set
    ///         .start(|ready| async move {
    ///             let listener = TcpListener::bind("127.0.0.1:0")?;
    ///             ready.started(listener.local_addr()?.port());
    ///             let (_client, _) = listener.accept().await?;
    ///             std::io::Result::Ok(())
    ///         })
    ///         .await
    ///         .unwrap();
    ///     let _stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    ///     assert!(set.next().await.unwrap().is_ok()); // the server served its client
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn start<'a, V: 'a, F, Fut>(
        &'a mut self,
        task: F,
    ) -> impl Future<Output = Result<V, StartError<T>>> + 'a
    where
        F: FnOnce(Ready<V>) -> Fut + 'a,
        Fut: TaskFuture<Output = T> + 'static,
    {
        // Here, where the caller's line is known: the task is named by it.
        crate::context::expect_runtime("`TaskSet::start`");
        self.start_at(task, Location::caller(), |future| Box::pin(future))
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
        TaskSet::empty(Self::start_member)
    }

    /// Starts `future` as a task of the set, on any thread of the current runtime; under
    /// [`with_limit`](TaskSet::with_limit), when the set is full, keeps it to start later.
    /// Returns its number.
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> usize
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        crate::context::expect_runtime("`TaskSet::spawn`");
        self.add(|_| future, Location::caller(), |future| Box::pin(future))
    }

    /// [`spawn`](TaskSet::spawn) for a `Send` task that needs its own number: `make` is given
    /// it (see the local set's [`spawn_numbered`](TaskSet::spawn_numbered)).
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread (before `make` is called); when `make`
    /// panics.
    #[track_caller]
    pub fn spawn_numbered<F>(&mut self, make: impl FnOnce(usize) -> F) -> usize
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        crate::context::expect_runtime("`TaskSet::spawn_numbered`");
        self.add(make, Location::caller(), |future| Box::pin(future))
    }
}

impl<T: Send + 'static> TaskSet<T, Sendable> {
    /// [`TaskSet::start`] for a set of `Send` tasks.
    #[track_caller]
    pub fn start<'a, V: 'a, F, Fut>(
        &'a mut self,
        task: F,
    ) -> impl Future<Output = Result<V, StartError<T>>> + 'a
    where
        F: FnOnce(Ready<V>) -> Fut + 'a,
        Fut: SendTaskFuture<Output = T> + 'static,
    {
        crate::context::expect_runtime("`TaskSet::start`");
        self.start_at(task, Location::caller(), |future| Box::pin(future))
    }
}

impl<T, K: GroupKind> TaskSet<T, K> {
    /// [`start`](TaskSet::start), for either kind: spawns `task`, called `at` (kept unstarted as
    /// `boxed` while the set is full), and waits until it is ready.
    async fn start_at<V, F, Fut>(
        &mut self,
        task: F,
        at: &'static Location<'static>,
        boxed: impl FnOnce(Fut) -> K::Boxed<T>,
    ) -> Result<V, StartError<T>>
    where
        F: FnOnce(Ready<V>) -> Fut,
        Fut: Future<Output = T>,
        K: SpawnMember<Member<Fut, SlotHooks<<K as GroupKind>::Link<T>>>>
            + SpawnMember<Member<Watched<Fut>, SlotHooks<<K as GroupKind>::Link<T>>>>,
    {
        let (ready, started) = Ready::new();
        let number = self.add(|_| task(ready), at, boxed);
        self.wait_started(number, started).await
    }

    /// Waits until task `number` gives its value through `started`, taking the outcomes of the
    /// others meanwhile into `stashed`; the task's outcome as an error if it ends first.
    async fn wait_started<V>(
        &mut self,
        number: usize,
        mut started: Started<V>,
    ) -> Result<V, StartError<T>> {
        std::future::poll_fn(|cx| {
            if let Poll::Ready(Some(value)) = started.poll_value(cx) {
                return Poll::Ready(Ok(value));
            }
            self.poll_spawners(cx);
            // Cancelled by a spawner (its outcome stashed): an error, unless it was ready first.
            if let Some(at) = self.stashed.iter().position(|(index, _)| *index == number) {
                if let Some(value) = started.take() {
                    return Poll::Ready(Ok(value));
                }
                if let Some((_, Err(error))) = self.stashed.remove(at) {
                    return Poll::Ready(Err(StartError::Cancelled(error)));
                }
            }
            loop {
                match self.poll_outcome(cx) {
                    Poll::Ready(Some((index, outcome))) if index == number => {
                        // Ready, then done before this poll: the value, and the outcome for `next`.
                        if let Some(value) = started.take() {
                            self.stash(index, outcome);
                            return Poll::Ready(Ok(value));
                        }
                        return Poll::Ready(Err(match outcome {
                            Ok(output) => StartError::Ended(output),
                            Err(payload) => StartError::Panicked(Self::panicked(index, payload)),
                        }));
                    }
                    Poll::Ready(Some((index, outcome))) => self.stash(index, outcome),
                    Poll::Ready(None) => {
                        unreachable!(
                            "the task being started is in its set until its outcome is taken"
                        )
                    }
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }

    /// The next outcome taken from the running tasks (a place frees: the first task waiting
    /// for one starts); `None` when none runs.
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, Result<T, Payload>)>> {
        if self.running.len() == 0 {
            return Poll::Ready(None);
        }
        match self.running.poll_next(cx) {
            Poll::Ready(outcome) => {
                self.start_waiting();
                Poll::Ready(Some(outcome))
            }
            Poll::Pending => {
                if let Some(owner) = &self.owner {
                    owner.check("a `TaskSet`");
                }
                Poll::Pending
            }
        }
    }

    /// The next outcome, with its task's number: a stashed one first.
    fn poll_numbered(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<(usize, Result<T, TaskError>)>> {
        self.poll_spawners(cx);
        if let Some(outcome) = self.stashed.pop_front() {
            return Poll::Ready(Some(outcome));
        }
        let outcome = std::task::ready!(self.poll_outcome(cx));
        Poll::Ready(outcome.map(|(number, outcome)| {
            (
                number,
                outcome.map_err(|payload| Self::panicked(number, payload)),
            )
        }))
    }

    /// Places are free: the tasks waiting for one start, in spawn order.
    #[inline]
    fn start_waiting(&mut self) {
        // Inline, the check alone: after each outcome taken, most often with none waiting.
        if !self.queued.is_empty() {
            self.start_queued_tasks();
        }
    }

    /// [`start_waiting`](Self::start_waiting)'s work.
    fn start_queued_tasks(&mut self) {
        while self.running.len() < self.limit {
            let Some((next, at, future)) = self.queued.pop_front() else {
                break;
            };
            let slot = (self.start_queued)(&mut self.running, next, at, future);
            self.started(slot);
        }
    }

    /// Notes the task just started in `slot`, for [`cancel_task`](TaskSet::cancel_task).
    fn started(&mut self, slot: usize) {
        if slot >= self.addresses.len() {
            self.addresses.resize(slot + 1, 0);
        }
        self.addresses[slot] = self.running.canceller.last();
    }

    /// Keeps task `number`'s outcome for `next`.
    fn stash(&mut self, number: usize, outcome: Result<T, Payload>) {
        let outcome = outcome.map_err(|payload| Self::panicked(number, payload));
        self.stashed.push_back((number, outcome));
    }

    /// Task `number`'s panic, as its error.
    fn panicked(number: usize, payload: Payload) -> TaskError {
        TaskError::panicked(format!("#{number}"), &*payload)
    }

    /// What every wait on the set does first, when it has spawners: [`poll_sent`]. Before the
    /// stashed outcomes are looked at, as a spawner's cancel adds one.
    ///
    /// [`poll_sent`]: Self::poll_sent
    #[inline]
    fn poll_spawners(&mut self, cx: &mut Context<'_>) {
        if self.inbox.get().is_some() {
            self.poll_sent(cx);
        }
    }

    /// Takes what the spawners sent, in the order they sent it (tasks start, cancels are
    /// done), and registers the waker for what they send later. At most what was sent when
    /// called: spawners that send as fast as the owner takes (on other threads) do not keep
    /// it here; it is woken to take the rest at its next poll.
    // Out of line: the sets without spawners, most, pay only for the check above.
    #[inline(never)]
    fn poll_sent(&mut self, cx: &mut Context<'_>) {
        for _ in 0..self.inbox.get().map_or(0, Inbox::waiting) {
            match self.inbox.get_mut().and_then(|inbox| inbox.poll_take(cx)) {
                Some(sent) => self.admit(sent),
                // None waits: the waker is registered.
                None => return,
            }
        }
        // Once more, to register the waker, unless something was sent since.
        if let Some(sent) = self.inbox.get_mut().and_then(|inbox| inbox.poll_take(cx)) {
            self.admit(sent);
            cx.waker().wake_by_ref();
        }
    }

    /// Takes what the spawners sent, if anything, in the order they sent it.
    fn take_sent(&mut self) {
        self.take_sent_but(usize::MAX);
    }

    /// [`take_sent`](Self::take_sent), but task `number`, if sent, is given back unstarted. At
    /// most what was sent when called (destructors it runs that send more are not followed).
    fn take_sent_but(&mut self, number: usize) -> Option<Unstarted<T, K>> {
        let mut kept = None;
        for _ in 0..self.inbox.get().map_or(0, Inbox::waiting) {
            let Some(sent) = self.inbox.get_mut().and_then(Inbox::try_take) else {
                break;
            };
            match sent {
                Taken::Task(task) | Taken::Cancelled(task) if task.0 == number => {
                    self.spawned += 1;
                    kept = Some(task);
                }
                sent => self.admit(sent),
            }
        }
        kept
    }

    /// The number of a task the owner spawns into a set that has spawners: taken from theirs,
    /// after the tasks they sent before it start (or queue), which have smaller numbers.
    fn number_after_sent(&mut self) -> usize {
        self.take_sent();
        self.inbox.get().map_or(self.spawned, Inbox::number)
    }

    /// Does what a spawner sent: queues its task behind those waiting, which start while
    /// places are free (or drops it, cancelled while it was being made); cancels the task it
    /// names.
    fn admit(&mut self, sent: Taken<T, K>) {
        match sent {
            Taken::Task(task) => {
                self.spawned += 1;
                self.queued.push_back(task);
                self.start_waiting();
            }
            Taken::Cancelled(task) => {
                self.spawned += 1;
                let number = task.0;
                drop_quietly(task);
                self.stash_cancelled(number);
            }
            Taken::Cancel(number) => {
                self.cancel_taken(number);
            }
            Taken::Noted => {}
        }
    }

    /// Starts the future that `make` makes given its number, spawned `at`, as the next task,
    /// or keeps it unstarted (`boxed`) while the set is full or tasks spawned before it wait;
    /// its number. The number is counted as spawned before `make` runs: a `make` that panics
    /// leaves it unused, and no task added.
    fn add<F>(
        &mut self,
        make: impl FnOnce(usize) -> F,
        at: &'static Location<'static>,
        boxed: impl FnOnce(F) -> K::Boxed<T>,
    ) -> usize
    where
        F: Future<Output = T>,
        K: SpawnMember<Member<F, SlotHooks<<K as GroupKind>::Link<T>>>>
            + SpawnMember<Member<Watched<F>, SlotHooks<<K as GroupKind>::Link<T>>>>,
    {
        let number = match self.inbox.get() {
            None => self.spawned,
            Some(_) => self.number_after_sent(),
        };
        self.spawned += 1;
        let future = make(number);
        if self.is_full() || !self.queued.is_empty() {
            self.queued.push_back((number, at, boxed(future)));
        } else {
            let slot = Self::start_member(&mut self.running, number, at, future);
            self.started(slot);
        }
        number
    }

    /// Starts `future` as task `number` of the set, spawned `at`, as `K` starts a member
    /// (watched in debug mode and under the trace); its slot.
    fn start_member<F>(
        running: &mut Running<K::Link<T>>,
        number: usize,
        at: &'static Location<'static>,
        future: F,
    ) -> usize
    where
        F: Future<Output = T>,
        K: SpawnMember<Member<F, SlotHooks<<K as GroupKind>::Link<T>>>>
            + SpawnMember<Member<Watched<F>, SlotHooks<<K as GroupKind>::Link<T>>>>,
    {
        running.start(number, |canceller, hooks| {
            if debug::watching() {
                let future = Watched::at(future, || debug::Name::Member(None), at, None);
                <K as SpawnMember<_>>::spawn(
                    "`TaskSet::spawn`",
                    canceller,
                    Member::new(future, hooks),
                )
            } else {
                <K as SpawnMember<_>>::spawn(
                    "`TaskSet::spawn`",
                    canceller,
                    Member::new(future, hooks),
                )
            }
        })
    }
}

impl<T, K: GroupKind> Stream for TaskSet<T, K> {
    type Item = Result<T, TaskError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        // As `poll_numbered`, without the number: the common path, kept lean.
        this.poll_spawners(cx);
        if let Some((_, outcome)) = this.stashed.pop_front() {
            return Poll::Ready(Some(outcome));
        }
        let outcome = std::task::ready!(this.poll_outcome(cx));
        Poll::Ready(
            outcome.map(|(number, outcome)| {
                outcome.map_err(|payload| Self::panicked(number, payload))
            }),
        )
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        // A spawner may add tasks at any time.
        let most = self.inbox.get().is_none().then_some(self.len());
        (self.len(), most)
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
        // Also while the set is empty: a spawner may send it a task meanwhile.
        if let Poll::Ready(Some(outcome)) = Pin::new(&mut **this.set).poll_next(cx) {
            return Poll::Ready(FinishedOr::Finished(outcome));
        }
        this.other.poll(cx).map(FinishedOr::Other)
    }
}

impl<T, K: GroupKind> Drop for TaskSet<T, K> {
    fn drop(&mut self) {
        // The spawners' channel closed first, so that a destructor below that spawns is
        // refused; the tasks in it are dropped.
        if let Some(inbox) = self.inbox.get_mut() {
            inbox.close();
        }
        // As `cancel` drops them: a destructor's panic is caught (the running tasks go with
        // `running`'s own drop).
        drop_quietly(std::mem::take(&mut self.queued));
        drop_quietly(std::mem::take(&mut self.stashed));
    }
}

// Nothing is pinned: handles and outcomes move freely.
impl<T, K: GroupKind> Unpin for TaskSet<T, K> {}

impl<T, K: GroupKind> fmt::Debug for TaskSet<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("running", &self.running.len())
            .field("queued", &self.queued.len())
            .field("outcomes_waiting", &self.stashed.len())
            .field("spawned", &self.spawned)
            .field("sent", &self.sent())
            .finish()
    }
}
