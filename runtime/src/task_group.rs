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
use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::handle::{self, Handles, RawHandle};
use crate::sync::{AtomicBool, AtomicUsize, AtomicWaker, Mutex};

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
pub struct GroupState {
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

/// How the members of a group reach it when one panics.
pub trait Signal: Clone + sealed::Sealed {
    /// Records a member's panic (the first one wins) and wakes the group's waiter.
    fn fail(&self, payload: Payload);
    /// Registers the waiter (`registered` is the waker it registered last), then resumes a
    /// member's panic if there was one.
    fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>);
    /// Resumes the panic a member recorded.
    fn resume_panic(&self) -> !;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::rc::Rc<super::LocalState> {}
    impl Sealed for std::sync::Arc<super::GroupState> {}
    impl Sealed for super::Local {}
    impl Sealed for super::Shared {}
}

impl Signal for Arc<GroupState> {
    fn fail(&self, payload: Payload) {
        GroupState::fail(self, payload);
    }

    fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>) {
        GroupState::register_and_check(self, registered, cx);
    }

    fn resume_panic(&self) -> ! {
        GroupState::resume_panic(self)
    }
}

/// The state of a group whose members all run on its own thread: like [`GroupState`], without
/// atomic operations (a group member costs one non-atomic reference count).
#[derive(Default)]
pub struct LocalState {
    panic: RefCell<Option<Payload>>,
    failed: Cell<bool>,
    waiter: RefCell<Option<Waker>>,
}

impl Signal for Rc<LocalState> {
    fn fail(&self, payload: Payload) {
        let mut slot = self.panic.borrow_mut();
        if slot.is_none() {
            *slot = Some(payload);
        }
        drop(slot);
        self.failed.set(true);
        let waiter = self.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    fn register_and_check(&self, _registered: &mut Option<Waker>, cx: &Context<'_>) {
        {
            let mut waiter = self.waiter.borrow_mut();
            if !waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waiter = Some(cx.waker().clone());
            }
        }
        if self.failed.get() {
            self.resume_panic();
        }
    }

    fn resume_panic(&self) -> ! {
        let payload = self.panic.borrow_mut().take();
        match payload {
            Some(payload) => resume_unwind(payload),
            None => panic!("a task of this `tasks![]` group panicked"),
        }
    }
}

/// Which tasks a group may hold: [`Local`] (they run on the group's thread and need not be
/// `Send`; the group is not `Send`) or [`Shared`] (`Send` tasks that a multi-threaded runtime
/// may run on any thread; the group is `Send`).
pub trait GroupKind: sealed::Sealed {
    /// What the members share with the group.
    type Signal: Signal;
}

/// Groups whose tasks run on the group's thread: [`TaskGroup::new`].
#[derive(Debug)]
pub struct Local;

/// Groups of `Send` tasks that may run on any thread: [`TaskGroup::new_send`].
#[derive(Debug)]
pub struct Shared;

impl GroupKind for Local {
    type Signal = Rc<LocalState>;
}

impl GroupKind for Shared {
    type Signal = Arc<GroupState>;
}

pin_project_lite::pin_project! {
    /// A group member's future: runs the task's future and turns a panic into a group failure.
    /// Its output is `None` when the future panicked.
    struct Member<F, S> {
        #[pin]
        future: F,
        group: S,
    }
}

impl<F: Future, S: Signal> Future for Member<F, S> {
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

/// Starts a member on the current runtime's thread.
#[track_caller]
fn spawn_local_member<F>(group: &Rc<LocalState>, future: F) -> RawHandle<Option<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let member = Member {
        future,
        group: group.clone(),
    };
    handle::spawn_local("`tasks![]`", handle::Panics::CaughtByTask, member)
}

/// Starts a member on any thread of the current runtime.
#[track_caller]
fn spawn_send_member<F>(group: &Arc<GroupState>, future: F) -> RawHandle<Option<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let member = Member {
        future,
        group: group.clone(),
    };
    handle::spawn_send("`tasks![]`", handle::Panics::CaughtByTask, member)
}

/// The output of a member task that has finished: its value, or the group's panic.
fn finished<T>(group: &impl Signal, output: Option<Option<T>>) -> T {
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
/// `TaskGroup<T>` (kind [`Local`]) runs its tasks on its own thread; they need not be `Send`
/// and the group is not `Send`. [`TaskGroup::new_send`] makes a group of kind [`Shared`], whose
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
    state: K::Signal,
    /// The tasks, in spawn order; `None` once its output was taken.
    tasks: Handles<Option<T>>,
    /// The outputs collected so far: those of `tasks[..outputs.len()]`.
    outputs: Vec<T>,
    /// The waker last registered with `state`.
    registered: Option<Waker>,
}

impl<T: 'static> TaskGroup<T, Local> {
    /// Creates an empty group whose tasks run on this thread.
    pub fn new() -> Self {
        TaskGroup::with_capacity(0)
    }

    /// Creates an empty group with room for `capacity` tasks.
    pub fn with_capacity(capacity: usize) -> Self {
        TaskGroup {
            state: Rc::default(),
            tasks: Handles::with_capacity(capacity),
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
        self.tasks.push(task);
    }
}

impl<T: Send + 'static> TaskGroup<T, Shared> {
    /// Creates an empty group of `Send` tasks, which a multi-threaded runtime may run in
    /// parallel on its worker threads. `tasks![send; ...]` uses it.
    pub fn new_send() -> Self {
        TaskGroup::send_with_capacity(0)
    }

    /// Creates an empty group of `Send` tasks with room for `capacity` of them.
    pub fn send_with_capacity(capacity: usize) -> Self {
        TaskGroup {
            state: Arc::default(),
            tasks: Handles::with_capacity(capacity),
            outputs: Vec::new(),
            registered: None,
        }
    }

    /// Starts `future` as a task of this group, on any thread of the current runtime.
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn spawn_send<F>(&mut self, future: F)
    where
        F: SendTaskFuture<Output = T> + 'static,
    {
        let task = spawn_send_member(&self.state, future);
        self.tasks.push(task);
    }
}

impl<T, K: GroupKind> TaskGroup<T, K> {
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
        this.state.register_and_check(&mut this.registered, cx);
        let total = this.tasks.len();
        // Wait in spawn order: only the first unfinished task can hold the group back, and a
        // panic anywhere reaches us through `state`.
        while this.outputs.len() < total {
            // A finished task is freed as its output is taken.
            match this.tasks.poll_take(this.outputs.len(), cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(output) => {
                    let value = finished(&this.state, output);
                    // Room for every output is made once an eighth of them are in: their tasks,
                    // freed by then, gave back more than the outputs take, so the group's peak
                    // memory stays that of its tasks. Until then the `Vec` grows as usual.
                    if this.outputs.len() == total / 8 {
                        this.outputs.reserve_exact(total - this.outputs.len());
                    }
                    this.outputs.push(value);
                }
            }
        }
        this.tasks.clear();
        Poll::Ready(std::mem::take(&mut this.outputs))
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
/// each spawn returns a [`GroupMember`] to await in turn.
pub struct TupleGroup<K: GroupKind = Local> {
    state: K::Signal,
}

impl TupleGroup<Local> {
    /// Creates an empty group whose tasks run on this thread.
    pub fn new() -> Self {
        TupleGroup {
            state: Rc::default(),
        }
    }

    /// Starts `future` as a task of this group, on this thread.
    #[track_caller]
    pub fn spawn<F, T>(&self, future: F) -> GroupMember<T, Local>
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
}

impl Default for TupleGroup<Local> {
    fn default() -> Self {
        TupleGroup::new()
    }
}

impl TupleGroup<Shared> {
    /// Creates an empty group of `Send` tasks.
    pub fn new_send() -> Self {
        TupleGroup {
            state: Arc::default(),
        }
    }

    /// Starts `future` as a task of this group, on any thread of the current runtime.
    #[track_caller]
    pub fn spawn_send<F, T>(&self, future: F) -> GroupMember<T, Shared>
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
pub struct GroupMember<T, K: GroupKind = Local> {
    task: Option<RawHandle<Option<T>>>,
    state: K::Signal,
    registered: Option<Waker>,
}

impl<T, K: GroupKind> Unpin for GroupMember<T, K> {}

impl<T, K: GroupKind> Future for GroupMember<T, K> {
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

#[cfg(all(test, loom))]
mod loom_model {
    //! The state a `send` group's members share with whoever awaits the group, model-checked:
    //! `RUSTFLAGS="--cfg loom" cargo test -p jobloop-runtime --lib --release loom_model`.
    //! The waiter polls the way `Group` and `GroupMember` do, skipping the registration while
    //! its waker stays the same; loom's `block_on` parks it until it is woken, so a lost wake-up
    //! shows as a deadlock.

    use std::future::poll_fn;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::task::Poll;

    use loom::sync::Arc;
    use loom::thread;

    use super::{GroupState, Payload};

    /// Polls until a member's panic resumes in the waiter; returns its payload.
    fn await_panic(state: &GroupState) -> Payload {
        let mut registered = None;
        loom::future::block_on(poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| {
                state.register_and_check(&mut registered, cx)
            })) {
                Ok(()) => Poll::Pending,
                Err(payload) => Poll::Ready(payload),
            }
        }))
    }

    #[test]
    fn a_members_panic_always_reaches_the_waiter() {
        loom::model(|| {
            let state = Arc::new(GroupState::default());
            let member = {
                let state = state.clone();
                thread::spawn(move || state.fail(Box::new("member 0 fails")))
            };
            let payload = await_panic(&state);
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"member 0 fails"));
            member.join().unwrap();
        });
    }

    #[test]
    fn of_two_panicking_members_one_panic_is_resumed_and_not_twice() {
        // Three threads with a lock each: unbounded, the search runs for hours. Three
        // preemptions per run cover these short paths (tokio bounds its models at 2 to 4).
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let state = Arc::new(GroupState::default());
            let members: Vec<_> = ["first", "second"]
                .into_iter()
                .map(|message| {
                    let state = state.clone();
                    thread::spawn(move || state.fail(Box::new(message)))
                })
                .collect();
            let payload = await_panic(&state);
            let message = *payload.downcast_ref::<&str>().unwrap();
            assert!(message == "first" || message == "second");
            for member in members {
                member.join().unwrap();
            }
            // The other payload was dropped (the slot was full) or stored after the resumed one
            // was taken, and stays behind until the group is dropped: never the same one again.
            let left = state.panic.lock().unwrap().take();
            if let Some(left) = left {
                assert_ne!(*left.downcast_ref::<&str>().unwrap(), message);
            }
        });
    }

    #[test]
    fn the_first_member_to_end_the_group_wins_and_wakes_the_waiter() {
        loom::model(|| {
            let state = Arc::new(GroupState::default());
            let members: Vec<_> = [1, 2]
                .into_iter()
                .map(|index| {
                    let state = state.clone();
                    thread::spawn(move || state.end(index))
                })
                .collect();
            let mut registered = None;
            let winner = loom::future::block_on(poll_fn(|cx| {
                state.register_and_check(&mut registered, cx);
                match state.ended() {
                    Some(index) => Poll::Ready(index),
                    None => Poll::Pending,
                }
            }));
            for member in members {
                member.join().unwrap();
            }
            assert!(winner == 1 || winner == 2);
            assert_eq!(
                state.ended(),
                Some(winner),
                "a later end does not replace the winner"
            );
        });
    }
}
