//! The plain group: [`TaskGroup`], behind `tasks![for x in xs => job(x)]`, and [`TupleGroup`],
//! behind `tasks![a, b, c]`. Both wait for every output in the written order; a panic of any task
//! reaches them at once through the link, whatever its place in the order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{
    watched, GroupKind, Hooks, Link, Local, Member, Names, Payload, SendTaskFuture, Sendable,
    SpawnMember, TaskFuture,
};
use crate::debug::{self, GroupTrace, Watched};
use crate::event_loop::LoopOwner;
use crate::task::cancel::Canceller;
use crate::task::handle::{Handles, RawHandle};

/// The plain groups' rule for a member's outcome: the output as it is, or `None` after telling
/// the group about the panic.
impl<T, L: Link> Hooks<T> for L {
    type Output = Option<T>;

    fn finished(&mut self, output: T) -> Option<T> {
        Some(output)
    }

    fn panicked(&mut self, payload: Payload) -> Option<T> {
        self.fail(payload);
        None
    }

    fn dropped(&mut self) {
        Link::dropped(self);
    }
}

/// The output of a member task that has finished: its value, or the group's panic.
fn finished<T>(link: &impl Link, output: Option<Option<T>>) -> T {
    match output {
        Some(Some(value)) => value,
        Some(None) => link.resume_panic(),
        None => panic!(
            "a task of this `tasks![]` group was dropped before it finished, because its runtime \
             was dropped"
        ),
    }
}

/// A group of tasks with one output type, awaited together: the runtime side of
/// `tasks![for x in xs => job(x)]`.
///
/// Each [`spawn`](TaskGroup::spawn) starts a task at once (as [`spawn`](crate::spawn) does).
/// Awaiting the group gives every output, in the order the tasks were spawned. If a task panics,
/// the tasks still running are cancelled, and once their futures are dropped the panic is resumed
/// where the group is awaited. Dropping the group cancels the tasks still running: their futures
/// are dropped before the drop returns (on a multi-threaded runtime, one being polled on another
/// thread at that moment is dropped as soon as that poll returns).
///
/// `TaskGroup<T>` (kind [`Local`]) runs its tasks on its own thread; they need not be `Send`
/// and the group is not `Send`. [`TaskGroup::new_send`] makes a `TaskGroup<T, Sendable>`, whose
/// `Send` tasks a multi-threaded runtime may run in parallel (`tasks![send; ...]`).
///
/// ```
/// use jobloop_runtime::{sleep, EventLoop, TaskGroup};
/// use std::time::Duration;
///
/// let out = EventLoop::new().block_on(async {
///     let mut group = TaskGroup::new();
///     for id in 0..3u64 {
///         group.spawn(async move {
///             sleep(Duration::from_millis(30 - 10 * id)).await; // finish in reverse order
///             id * 10
///         });
///     }
///     group.await
/// });
/// assert_eq!(out, [0, 10, 20]); // in spawn order all the same
/// ```
#[must_use = "a TaskGroup cancels its tasks when dropped; `.await` it to wait for them"]
pub struct TaskGroup<T, K: GroupKind = Local> {
    link: K::Link<()>,
    canceller: Canceller,
    /// The tasks, in spawn order; `None` once its output was taken.
    tasks: Handles<Option<T>>,
    /// The outputs collected so far: those of `tasks[..outputs.len()]`.
    outputs: Vec<T>,
    /// The event loop that runs the tasks, when one does.
    owner: Option<LoopOwner>,
    /// What the user called, for the panic when no runtime runs here.
    what: &'static str,
    /// How debug mode names the tasks: `job(x)[i]` for `tasks![for x in xs => job(x)]`, `#i`
    /// for a group made by hand.
    names: Names,
    /// The group in the trace (`JOBLOOP_TRACE`), from its first task on.
    trace: Option<GroupTrace>,
}

impl<T, K: GroupKind> TaskGroup<T, K> {
    fn empty(capacity: usize, what: &'static str) -> Self {
        TaskGroup {
            link: <K::Link<()>>::default(),
            canceller: Canceller::default(),
            tasks: Handles::with_capacity(capacity, K::SEND),
            outputs: Vec::new(),
            owner: LoopOwner::current(),
            what,
            names: Names::Unnamed,
            trace: None,
        }
    }

    /// Starts `future` as the next task, as `K` starts a member (watched in debug mode and
    /// under the trace, out of the common path): what `spawn` does for both kinds.
    #[track_caller]
    #[inline]
    fn start<F>(&mut self, future: F)
    where
        F: Future<Output = T>,
        K: SpawnMember<Member<F, <K as GroupKind>::Link<()>>>
            + SpawnMember<Member<Watched<F>, <K as GroupKind>::Link<()>>>,
    {
        if debug::watching() {
            return self.start_watched(future);
        }
        let member = Member::new(future, self.link.clone());
        self.link.started();
        K::spawn_into(self.what, &mut self.tasks, &mut self.canceller, member);
    }

    /// [`start`](Self::start) in debug mode and under the trace: the member is named and traced.
    #[track_caller]
    #[inline(never)]
    fn start_watched<F>(&mut self, future: F)
    where
        F: Future<Output = T>,
        K: SpawnMember<Member<Watched<F>, <K as GroupKind>::Link<()>>>,
    {
        let index = self.tasks.len();
        let future = watched(future, self.names, index, &mut self.trace);
        let member = Member::new(future, self.link.clone());
        self.link.started();
        K::spawn_into(self.what, &mut self.tasks, &mut self.canceller, member);
    }
}

impl<T: 'static> TaskGroup<T, Local> {
    /// Creates an empty group whose tasks run on this thread.
    pub fn new() -> Self {
        TaskGroup::with_capacity(0)
    }

    /// Creates an empty group with room for `capacity` tasks.
    pub fn with_capacity(capacity: usize) -> Self {
        TaskGroup::empty(capacity, "`TaskGroup::spawn`")
    }

    /// The group of `tasks![for x in xs => job(x)]`, whose tasks are named `job(x)[i]`.
    #[doc(hidden)]
    pub fn for_tasks_macro(capacity: usize, expr: &'static str) -> Self {
        let mut group = TaskGroup::empty(capacity, "`tasks![]`");
        group.names = Names::Each(expr);
        group
    }

    /// Starts `future` as a task of this group, on the current runtime, on this thread (the
    /// future need not be `Send`).
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: TaskFuture<Output = T> + 'static,
    {
        self.start(future);
    }
}

impl<T: Send + 'static> TaskGroup<T, Sendable> {
    /// Creates an empty group of `Send` tasks, which a multi-threaded runtime may run in
    /// parallel on its worker threads. `tasks![send; ...]` uses it.
    pub fn new_send() -> Self {
        TaskGroup::with_capacity_send(0)
    }

    /// Creates an empty group of `Send` tasks with room for `capacity` of them.
    pub fn with_capacity_send(capacity: usize) -> Self {
        TaskGroup::empty(capacity, "`TaskGroup::spawn`")
    }

    /// The group of `tasks![send; for x in xs => job(x)]`, whose tasks are named `job(x)[i]`.
    #[doc(hidden)]
    pub fn for_tasks_macro_send(capacity: usize, expr: &'static str) -> Self {
        let mut group = TaskGroup::empty(capacity, "`tasks![]`");
        group.names = Names::Each(expr);
        group
    }

    /// Starts `future` as a task of this group, on any thread of the current runtime.
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        self.start(future);
    }
}

impl<T, K: GroupKind> TaskGroup<T, K> {
    /// Makes room for the items `items` promises (its size hint), and gives its iterator back:
    /// what `tasks![for x in items => job(x)]` loops over.
    ///
    /// # Panics
    ///
    /// When `items` is endless: see `__private::sized`.
    #[doc(hidden)]
    #[track_caller]
    pub fn sized<I: IntoIterator>(&mut self, items: I) -> I::IntoIter {
        let items = items.into_iter();
        self.tasks.reserve(super::expansion::room_for(&items));
        items
    }

    /// How many tasks were spawned in this group.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task was spawned in this group.
    pub fn is_empty(&self) -> bool {
        self.tasks.len() == 0
    }
}

impl<T: 'static> Default for TaskGroup<T, Local> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, K: GroupKind> Future for TaskGroup<T, K> {
    type Output = Vec<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = &mut *self;
        if let Some(trace) = &this.trace {
            trace.awaited(); // debug mode's tree draws the group under the task polling it
        }
        this.link.register(cx);
        if this.link.failed() {
            // A task panicked: the others are cancelled, and the panic resumes once their
            // futures are gone.
            this.cancel();
            if this.link.alive() > 0 || this.link.poll_shielded(cx).is_pending() {
                return Poll::Pending;
            }
            this.canceller.release();
            this.link.resume_panic();
        }
        let total = this.tasks.len();
        // Room for every output is made once an eighth of them are in: their tasks, freed by
        // then, gave back more than the outputs take, so the group's peak memory stays that of
        // its tasks. Until then the `Vec` grows as usual. A small group gets its room at the
        // first output: one allocation, not three.
        let room_at = if total <= 64 { 0 } else { total / 8 };
        let mut next = this.outputs.len();
        let (link, outputs) = (&this.link, &mut this.outputs);
        // Wait in spawn order: only the first unfinished task can hold the group back, and a
        // panic anywhere reaches us through `link`. A finished task is freed as its output is
        // taken.
        let taken = this.tasks.poll_in_order(&mut next, cx, |output| {
            let value = finished(link, output);
            if outputs.len() == room_at {
                outputs.reserve_exact(total - outputs.len());
            }
            outputs.push(value);
        });
        if taken.is_pending() {
            if let Some(owner) = &this.owner {
                owner.check("a `tasks![]` group");
            }
            crate::debug::waiting("group"); // for the trace
            return Poll::Pending;
        }
        this.tasks.clear();
        this.canceller.release();
        Poll::Ready(std::mem::take(&mut this.outputs))
    }
}

impl<T, K: GroupKind> TaskGroup<T, K> {
    /// Cancels the tasks still running: their futures are dropped now (see `task/cancel.rs`).
    fn cancel(&mut self) {
        let (tasks, link) = (&mut self.tasks, &self.link);
        if let Some(wait) = self.canceller.cancel_now(|| tasks.clear(), || link.alive()) {
            self.link.shielded(wait);
        }
    }
}

impl<T, K: GroupKind> Drop for TaskGroup<T, K> {
    fn drop(&mut self) {
        if self.link.alive() > 0 {
            self.cancel();
        }
    }
}

// The outputs and task handles are never pinned: the group is moved freely whatever `T` is.
impl<T, K: GroupKind> Unpin for TaskGroup<T, K> {}

impl<T, K: GroupKind> fmt::Debug for TaskGroup<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("tasks", &self.tasks.len())
            .field("finished", &self.outputs.len())
            .finish()
    }
}

/// The group behind the list form `tasks![a, b, c]`, whose tasks have different output types:
/// each spawn returns a [`MemberHandle`] to await in turn. Used by the code `tasks![]` expands
/// to.
pub struct TupleGroup<K: GroupKind = Local> {
    link: K::Link<()>,
    canceller: Canceller,
    /// The tasks' expressions, which name them in debug mode (`#i` when there are none).
    names: Names,
    started: usize,
    /// The group in the trace (`JOBLOOP_TRACE`), from its first task on.
    trace: Option<GroupTrace>,
}

impl<K: GroupKind> TupleGroup<K> {
    fn empty(names: Names) -> Self {
        TupleGroup {
            link: <K::Link<()>>::default(),
            canceller: Canceller::default(),
            names,
            started: 0,
            trace: None,
        }
    }

    /// The member for the next task, `future`, in debug mode and under the trace: named and
    /// traced.
    #[track_caller]
    fn watched_member<F: Future>(&mut self, future: F) -> Member<Watched<F>, K::Link<()>> {
        let future = watched(future, self.names, self.started, &mut self.trace);
        Member::new(future, self.link.clone())
    }

    /// The handle of the task just started as `task`.
    fn handle<T>(&mut self, task: RawHandle<Option<T>>) -> MemberHandle<T, K> {
        self.link.started();
        MemberHandle {
            task: Some(task),
            canceller: self.canceller.for_last(),
            link: self.link.clone(),
            owner: LoopOwner::current(),
        }
    }
}

impl TupleGroup<Local> {
    /// Creates an empty group whose tasks run on this thread.
    pub fn new() -> Self {
        TupleGroup::empty(Names::Unnamed)
    }

    /// [`new`](TupleGroup::new), with the tasks' expressions, which name them in debug mode.
    pub fn with_names(names: &'static [&'static str]) -> Self {
        TupleGroup::empty(Names::List(names))
    }

    /// Starts `future` as a task of this group, on this thread.
    #[track_caller]
    pub fn spawn<F, T>(&mut self, future: F) -> MemberHandle<T, Local>
    where
        // `T` rather than `F::Output` in the signature: with no projection to resolve, a task
        // that is not a future gets `TaskFuture`'s error message, which says what to write.
        F: TaskFuture<Output = T> + 'static,
        T: 'static,
    {
        let task = if debug::watching() {
            let member = self.watched_member(future);
            <Local as SpawnMember<_>>::spawn("`tasks![]`", &mut self.canceller, member)
        } else {
            let member = Member::new(future, self.link.clone());
            <Local as SpawnMember<_>>::spawn("`tasks![]`", &mut self.canceller, member)
        };
        self.started += 1;
        self.handle(task)
    }
}

impl Default for TupleGroup<Local> {
    fn default() -> Self {
        TupleGroup::new()
    }
}

impl TupleGroup<Sendable> {
    /// Creates an empty group of `Send` tasks.
    pub fn new_send() -> Self {
        TupleGroup::empty(Names::Unnamed)
    }

    /// [`new_send`](TupleGroup::new_send), with the tasks' expressions, which name them in
    /// debug mode.
    pub fn with_names_send(names: &'static [&'static str]) -> Self {
        TupleGroup::empty(Names::List(names))
    }

    /// Starts `future` as a task of this group, on any thread of the current runtime.
    #[track_caller]
    pub fn spawn<F, T>(&mut self, future: F) -> MemberHandle<T, Sendable>
    where
        F: SendTaskFuture<Output = T> + 'static,
        T: Send + 'static,
    {
        let task = if debug::watching() {
            let member = self.watched_member(future);
            <Sendable as SpawnMember<_>>::spawn("`tasks![]`", &mut self.canceller, member)
        } else {
            let member = Member::new(future, self.link.clone());
            <Sendable as SpawnMember<_>>::spawn("`tasks![]`", &mut self.canceller, member)
        };
        self.started += 1;
        self.handle(task)
    }
}

/// The handle to one task of a [`TupleGroup`]. Awaiting it gives the task's output, or resumes
/// the panic of any task of the group; dropping it cancels the task, whose future is dropped
/// before the drop returns.
#[must_use = "dropping a MemberHandle cancels its task"]
pub struct MemberHandle<T, K: GroupKind = Local> {
    task: Option<RawHandle<Option<T>>>,
    canceller: Canceller,
    link: K::Link<()>,
    owner: Option<LoopOwner>,
}

impl<T, K: GroupKind> Unpin for MemberHandle<T, K> {}

impl<T, K: GroupKind> Future for MemberHandle<T, K> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        this.link.register(cx);
        if this.link.failed() {
            this.cancel();
            this.link.resume_panic();
        }
        let Some(task) = this.task.as_mut() else {
            panic!("MemberHandle polled after it returned its output");
        };
        match task.poll_output(cx) {
            Poll::Pending => {
                if let Some(owner) = &this.owner {
                    owner.check("a `tasks![]` group");
                }
                crate::debug::waiting("group"); // for the trace
                Poll::Pending
            }
            Poll::Ready(output) => {
                this.task = None;
                this.canceller.release();
                Poll::Ready(finished(&this.link, output))
            }
        }
    }
}

impl<T, K: GroupKind> MemberHandle<T, K> {
    /// Cancels the task, if it still runs: its future is dropped now.
    fn cancel(&mut self) {
        if let Some(task) = self.task.take() {
            let last = self.canceller.last();
            if let Some(wait) = task.cancel_alone(&mut self.canceller, last) {
                self.link.shielded(wait);
            }
        }
    }
}

impl<T, K: GroupKind> Drop for MemberHandle<T, K> {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The future of a plain `tasks![a, b]` group whose tasks stay on its thread: not `Send` (its
/// tasks need not be), which is what the compiler names when such a group is awaited inside a
/// task of `tasks![send; ...]` (write `tasks![send; a, b]` there).
#[doc(hidden)]
#[must_use = "a tasks![] group cancels its tasks when dropped; `.await` it to wait for them"]
pub struct LocalGroupFuture<T>(pub Pin<Box<dyn Future<Output = T> + 'static>>);

/// The future of a plain `tasks![send; a, b]` group.
#[doc(hidden)]
#[must_use = "a tasks![] group cancels its tasks when dropped; `.await` it to wait for them"]
pub struct SendGroupFuture<T>(pub Pin<Box<dyn Future<Output = T> + Send + 'static>>);

/// The future of a `tasks![scoped; a, b]` group, whose tasks may borrow for `'a`.
#[doc(hidden)]
#[must_use = "a tasks![] group does nothing unless `.await`ed"]
pub struct ScopedGroupFuture<'a, T>(pub Pin<Box<dyn Future<Output = T> + 'a>>);

impl<T> Future for ScopedGroupFuture<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> Future for LocalGroupFuture<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.0.as_mut().poll(cx)
    }
}

impl<T> Future for SendGroupFuture<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.0.as_mut().poll(cx)
    }
}
