//! Task groups: the structured join behind `tasks![]`.
//!
//! Every task of a group runs as its own task on the loop. The group waits for them in the order
//! they were written, and:
//! - if one panics, the group resumes that panic (with its original payload) at once, not when
//!   its turn comes: each member catches its own panic, stores it in the group's shared state
//!   and wakes whoever awaits the group;
//! - when the group is dropped (or unwinds with that panic), the handles of the tasks still
//!   running are dropped, which cancels them: no task outlives its group.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use atomic_waker::AtomicWaker;

use crate::handle::{self, RawHandle};

pub(crate) type Payload = Box<dyn Any + Send>;

/// A future that can be a task of `tasks![]`: every future is. The trait exists for its error
/// message, which tells what to write when a task expression is not a future.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a future, so it cannot be a task",
    label = "not a future",
    note = "a task is a future: write `async {{ ... }}`, or call an `async fn` without `.await`"
)]
pub trait TaskFuture: Future {}

impl<F: Future> TaskFuture for F {}

/// Returns `task` unchanged; its bound puts the "not a future" error at the task's expression.
pub fn task<F: TaskFuture>(task: F) -> F {
    task
}

/// A future that can be a task of `tasks![send; ...]`: every future that is `Send`. The trait
/// exists for its error message, which tells how to fix a task that is not `Send`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Send`, so it cannot be a task of `tasks![send; ...]`",
    label = "not `Send`",
    note = "a `send` group may run its tasks on any thread: share data with `Arc` and `Mutex` \
            instead of `Rc` and `RefCell`, or remove `send;` to keep the tasks on this thread"
)]
pub trait SendTaskFuture: TaskFuture + Send {}

impl<F: Future + Send> SendTaskFuture for F {}

/// What the members of one group share: the first panic, the first task whose output ends the
/// group (a race's winner, a `try` group's first error), and the waker of whoever awaits them.
pub(crate) struct GroupState {
    failed: AtomicBool,
    panic: Mutex<Option<Payload>>,
    waiter: AtomicWaker,
    /// The index of the first task whose output ends the group; `NONE` until then.
    ended: AtomicUsize,
}

const NONE: usize = usize::MAX;

impl Default for GroupState {
    fn default() -> Self {
        GroupState {
            failed: AtomicBool::new(false),
            panic: Mutex::new(None),
            waiter: AtomicWaker::new(),
            ended: AtomicUsize::new(NONE),
        }
    }
}

impl GroupState {
    /// Records that task `index` ends the group, if it is the first to; wakes the waiter.
    pub(crate) fn end(&self, index: usize) {
        if self
            .ended
            .compare_exchange(NONE, index, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.waiter.wake();
        }
    }

    /// The index of the task that ended the group, if one did.
    pub(crate) fn ended(&self) -> Option<usize> {
        match self.ended.load(Ordering::Acquire) {
            NONE => None,
            index => Some(index),
        }
    }

    /// Records a member's panic (the first one wins) and wakes the group's waiter.
    pub(crate) fn fail(&self, payload: Payload) {
        let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(payload);
        }
        drop(slot);
        self.failed.store(true, Ordering::Release);
        self.waiter.wake();
    }

    /// Registers the waiter, then resumes a member's panic if there was one. Registering first
    /// means a panic that lands after the check still wakes the waiter.
    ///
    /// `registered` is the waker the caller registered last: a group is polled once per task
    /// it takes, nearly always by the same task, so the shared registration (a few atomic
    /// operations) is skipped while the waker stays the same.
    pub(crate) fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>) {
        if !registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            self.waiter.register(cx.waker());
            *registered = Some(cx.waker().clone());
        }
        if self.failed.load(Ordering::Acquire) {
            self.resume_panic();
        }
    }

    pub(crate) fn resume_panic(&self) -> ! {
        let payload = self
            .panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match payload {
            Some(payload) => resume_unwind(payload),
            // Another waiter of the same group already took the payload.
            None => panic!("a task of this `tasks![]` group panicked"),
        }
    }
}

pin_project_lite::pin_project! {
    /// A group member's future: runs the task's future and turns a panic into a group failure.
    /// Its output is `None` when the future panicked.
    struct Member<F> {
        #[pin]
        future: F,
        group: Arc<GroupState>,
    }
}

impl<F: Future> Future for Member<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let future = this.future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Some(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => {
                this.group.fail(payload);
                Poll::Ready(None)
            }
        }
    }
}

fn member<F: Future>(group: &Arc<GroupState>, future: F) -> Member<F> {
    Member {
        future,
        group: group.clone(),
    }
}

/// Starts a member on the current runtime's thread.
#[track_caller]
fn spawn_local_member<F>(group: &Arc<GroupState>, future: F) -> RawHandle<Option<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    handle::spawn_local(
        "`tasks![]`",
        handle::Panics::CaughtByTask,
        member(group, future),
    )
}

/// Starts a member on any thread of the current runtime.
#[track_caller]
fn spawn_send_member<F>(group: &Arc<GroupState>, future: F) -> RawHandle<Option<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    handle::spawn_send(
        "`tasks![]`",
        handle::Panics::CaughtByTask,
        member(group, future),
    )
}

/// The output of a member task that has finished: its value, or the group's panic.
fn finished<T>(group: &GroupState, output: Option<Option<T>>) -> T {
    match output {
        Some(Some(value)) => value,
        Some(None) => group.resume_panic(),
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
/// the tasks still running are cancelled and the panic is resumed where the group is awaited.
/// Dropping the group cancels the tasks still running.
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
pub struct TaskGroup<T> {
    state: Arc<GroupState>,
    /// The tasks not yet collected, in spawn order; `None` once its output was taken.
    tasks: Vec<Option<RawHandle<Option<T>>>>,
    /// The outputs collected so far: those of `tasks[..outputs.len()]`.
    outputs: Vec<T>,
    /// The waker last registered with `state`.
    registered: Option<Waker>,
}

impl<T: 'static> TaskGroup<T> {
    /// Creates an empty group.
    pub fn new() -> Self {
        TaskGroup {
            state: Arc::default(),
            tasks: Vec::new(),
            outputs: Vec::new(),
            registered: None,
        }
    }

    /// Creates an empty group with room for `capacity` tasks.
    pub fn with_capacity(capacity: usize) -> Self {
        TaskGroup {
            state: Arc::default(),
            tasks: Vec::with_capacity(capacity),
            outputs: Vec::new(),
            registered: None,
        }
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
        let task = spawn_local_member(&self.state, future);
        self.tasks.push(Some(task));
    }

    /// Starts `future` as a task of this group, on any thread of the current runtime: on a
    /// multi-threaded runtime, the tasks spawned this way run in parallel. `tasks![]` picks this
    /// method by itself for futures that are `Send`.
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn_send<F>(&mut self, future: F)
    where
        F: SendTaskFuture<Output = T> + 'static,
        T: Send,
    {
        let task = spawn_send_member(&self.state, future);
        self.tasks.push(Some(task));
    }

    /// How many tasks were spawned in this group.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task was spawned in this group.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }
}

impl<T: 'static> Default for TaskGroup<T> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T> Future for TaskGroup<T> {
    type Output = Vec<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
        let this = &mut *self;
        this.state.register_and_check(&mut this.registered, cx);
        if this.outputs.capacity() == 0 {
            this.outputs.reserve_exact(this.tasks.len());
        }
        // Wait in spawn order: only the first unfinished task can hold the group back, and a
        // panic anywhere reaches us through `state`.
        while let Some(slot) = this.tasks.get_mut(this.outputs.len()) {
            let Some(task) = slot.as_mut() else {
                panic!("TaskGroup polled after it returned its outputs");
            };
            match task.poll_output(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(output) => {
                    *slot = None; // frees the finished task now
                    let value = finished(&this.state, output);
                    this.outputs.push(value);
                }
            }
        }
        this.tasks.clear();
        Poll::Ready(std::mem::take(&mut this.outputs))
    }
}

// The outputs and task handles are never pinned: the group is moved freely whatever `T` is.
impl<T> Unpin for TaskGroup<T> {}

impl<T> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("tasks", &self.tasks.len())
            .field("finished", &self.outputs.len())
            .finish()
    }
}

/// The group behind the list form `tasks![a, b, c]`, whose tasks have different output types:
/// each [`spawn`](TupleGroup::spawn) returns a [`GroupMember`] to await in turn.
#[derive(Default)]
pub struct TupleGroup {
    state: Arc<GroupState>,
}

impl TupleGroup {
    /// Creates an empty group.
    pub fn new() -> Self {
        TupleGroup::default()
    }

    /// Starts `future` as a task of this group, on this thread.
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> GroupMember<T>
    where
        // `T` rather than `F::Output` in the signature: with no projection to resolve, a task
        // that is not a future gets `TaskFuture`'s error message, which says what to write.
        F: TaskFuture<Output = T> + 'static,
        T: 'static,
    {
        GroupMember {
            task: Some(spawn_local_member(&self.state, future)),
            state: self.state.clone(),
            registered: None,
        }
    }

    /// Starts `future` as a task of this group, on any thread of the current runtime.
    #[track_caller]
    pub fn spawn_send<F, T>(&self, future: F) -> GroupMember<T>
    where
        F: SendTaskFuture<Output = T> + 'static,
        T: Send + 'static,
    {
        GroupMember {
            task: Some(spawn_send_member(&self.state, future)),
            state: self.state.clone(),
            registered: None,
        }
    }
}

/// One task of a [`TupleGroup`]. Awaiting it gives the task's output, or resumes the panic of any
/// task of the group; dropping it cancels the task.
#[must_use = "dropping a GroupMember cancels its task"]
pub struct GroupMember<T> {
    task: Option<RawHandle<Option<T>>>,
    state: Arc<GroupState>,
    registered: Option<Waker>,
}

impl<T> Unpin for GroupMember<T> {}

impl<T> Future for GroupMember<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        this.state.register_and_check(&mut this.registered, cx);
        let Some(task) = this.task.as_mut() else {
            panic!("GroupMember polled after it returned its output");
        };
        match task.poll_output(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                this.task = None;
                Poll::Ready(finished(&this.state, output))
            }
        }
    }
}
