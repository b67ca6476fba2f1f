//! Task groups: what the group engines share. Beneath this file:
//!
//! - `task_group`: [`TaskGroup`], the plain `tasks![]`, which waits for every output in order,
//!   and the list form's `TupleGroup`;
//! - `feed`, `running`, `in_place`: the groups that take outcomes as tasks finish, their tasks
//!   spawned (`running`) or polled in place by the group (`in_place`, for `scoped`);
//! - `mode_group` ([`Group`], `tasks![]` with a mode or options) with `modes` (what the outcomes
//!   make: [`All`], [`Try`], [`Settle`], [`Race`]), `stream` ([`GroupStream`],
//!   `tasks![stream; ...]`) and `task_set` ([`TaskSet`], a group that takes tasks while it runs),
//!   built on them;
//! - `link`: what a group shares with its spawned members;
//! - `expansion`: what the expansion of `tasks![]` calls beside the group types (the tasks'
//!   names, the checks at each task's expression).
//!
//! # The life of a group's task
//!
//! Written for `tasks![try, limit = 8; for u in urls => fetch(u)]` on the embedded loop: a
//! [`Group`] in mode [`Try`], of kind [`Local`]; the other groups differ where said.
//!
//! **Unstarted.** The task is an item of the group's source, an iterator the group owns
//! (`Feed`); its future does not exist yet. The group takes items from the source while fewer
//! than `limit` tasks run: when it is made (the first 8 start as the expression is evaluated)
//! and each time it takes an outcome (a capacity, not batches). A group without a limit takes
//! every item at once (in `tasks![]`, a source whose size hint says it is endless is refused
//! with a message that says to add a limit).
//!
//! **Running.** The task's future, wrapped in a `Member`, is a task of the runtime: on the loop one
//! async-task allocation owns it (in a release build; a debug build boxes it first: `erase`),
//! reachable through its `Runnable` (in the ready queue) or its wakers (in a timer, the reactor, a
//! channel), and the group keeps its handle in a slot of `Running`. The member shares the group's
//! link ([`LocalLink`]: cells, no atomics; a `send` group's [`SendLink`] is atomic) and holds a
//! count in it: the link counts the members' futures alive.
//!
//! **Finished.** In the task's last poll the member catches the future's output or panic and
//! reports it through the link: `(slot, index, outcome)` queued in the order tasks finish, and
//! the group's waker woken. Then the runtime drops the future, and the member's drop takes its
//! count out of the link. (A `send` member keeps its outcome until its future is dropped, on
//! whatever thread ran it, and reports then: no future outlives the taking of its outcome.)
//! A plain group ([`TaskGroup`], `tasks![for ..]`) reads outputs from the handles instead, in
//! written order; its link carries only a panic, which must fail the group before the task's
//! turn comes.
//!
//! **Taken.** When the group is next polled it takes the queued outcomes, frees their slots,
//! and hands each to its mode ([`Mode::output`]): [`All`], [`Try`] and [`Settle`] put outputs
//! back in written order, [`Try`] stops at the first `Err` it takes, [`Race`] at the first
//! output. A panic fails the group unless the mode is [`Settle`] (there it is a
//! [`TaskError`](crate::TaskError)). A stream ([`GroupStream`]) yields each outcome as it is
//! taken instead.
//!
//! **Cancelled.** When the group ends early (an `Err` under `try`, a race's winner, a panic, a
//! settling group's timeout) it cancels every task still running: the handles are dropped and
//! the loop drops the futures at once, idle or queued (`task/cancel.rs`); the source's untaken
//! items are dropped with the group. The group's `.await` returns (or resumes the panic) once
//! the link counts no future alive, so every destructor has run, and once the shielded futures
//! that those drops left running are done (`shield.rs`: the cancelling opens a frame that a
//! [`shield`](crate::shield) dropped inside it joins). Dropping the group cancels the
//! same way, without waiting: it is already gone. A `send` task in the middle of a poll on
//! another thread is dropped when that poll returns.
//!
//! **Timed out alone.** Under `task_timeout = D` the group (`Feed`) notes each task's deadline
//! as it starts it (with one duration for all, they come in start order: one timer, on the
//! first deadline whose task still runs). When it passes, that task's handle is dropped and
//! its slot freed for the next task; its runtime drops its future (on the loop, at its next
//! turn), and the group's end waits for it as for any cancelled task. The mode takes a
//! `TimedOut` error in place of an outcome (`Mode::failed`).
//!
//! **On an adapter.** On tokio and smol a group's members do not each become a task of the
//! runtime: they wait in a queue of the group's own (`task/runner.rs`), and one runtime task
//! polls them in turn, so a group costs the runtime one task. On tokio's multi-thread runtime
//! a `send` group's members are tokio tasks, each held by the group's canceller. A `scoped`
//! group ([`Scoped`], `in_place`) spawns nothing: it owns each future in a box and polls the
//! woken ones itself, so its tasks run only while it is polled, and cancelling drops the boxes.

use std::any::Any;

use crate::debug::{self, Watched};
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::task::cancel::Canceller;
use crate::task::handle::{self, Handles, RawHandle};

pub(crate) mod expansion;
mod feed;
mod in_place;
pub(crate) mod link;
mod mode_group;
mod modes;
#[cfg(feature = "progress")]
mod progress;

/// Met by every group when jobloop's feature `progress` is on: the bound of `with_progress`
/// (`tasks![progress; ...]`), which otherwise fails with a message that names the feature.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`tasks![progress; ...]` needs jobloop's feature `progress` (the bar is drawn by indicatif)",
    label = "this group draws a progress bar: enable jobloop's feature `progress`",
    note = "add the feature to the jobloop line of Cargo.toml: `jobloop = {{ version = \"0.1\", features = [\"progress\"] }}`"
)]
pub trait ProgressFeature {}

#[cfg(feature = "progress")]
impl<T: ?Sized> ProgressFeature for T {}
mod ready;
mod running;
mod set_spawner;
mod stream;
pub(crate) mod task_group;
mod task_set;

pub(crate) use expansion::Names;
pub(crate) use link::{Link, LocalLink, SendLink};
pub use mode_group::Group;
pub use modes::{All, Mode, Race, Settle, Try};
pub use ready::{Ready, StartError};
pub use set_spawner::TaskSetSpawner;
pub use stream::{GroupStream, Next, StreamMode};
pub use task_group::TaskGroup;
pub use task_set::{FinishedOr, NextOr, TaskSet};

/// A panic's payload, as `catch_unwind` gives it.
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

/// The seal of the group's traits whose implementations are all there are: [`GroupKind`],
/// [`Mode`] and [`StreamMode`].
pub(crate) mod sealed {
    pub trait Sealed {}
}

/// Which tasks a group may hold: [`Local`] (they run on the group's thread and need not be
/// `Send`; the group is not `Send`), [`Sendable`] (`Send` tasks that a multi-threaded runtime
/// may run on any thread; the group is `Send`) or [`Scoped`] (tasks the group polls itself,
/// which may borrow). Sealed: these three are all there are.
pub trait GroupKind: sealed::Sealed + 'static {
    /// What the members share with the group, when their outcomes of type `T` come through it
    /// (`T` is `()` for a [`TaskGroup`], whose outputs stay in its tasks).
    #[doc(hidden)]
    type Link<T>: Link<Output = T>;
    /// Whether the members may run on any thread.
    #[doc(hidden)]
    const SEND: bool;
    /// A task's future boxed, as a [`TaskSet`] with a limit keeps the tasks it has not started
    /// yet (`Send` for [`Sendable`]).
    #[doc(hidden)]
    type Boxed<T>: Future<Output = T> + Unpin;
}

/// The kind of groups whose tasks run on the group's thread: [`TaskGroup::new`], `tasks![...]`.
#[derive(Debug)]
pub struct Local;

/// The kind of groups of `Send` tasks that may run on any thread: [`TaskGroup::new_send`],
/// `tasks![send; ...]`.
#[derive(Debug)]
pub struct Sendable;

/// The kind of groups that poll their tasks themselves instead of spawning them, so that the
/// tasks may borrow: [`Group::new_scoped`], `tasks![scoped; ...]`.
#[derive(Debug)]
pub struct Scoped;

impl sealed::Sealed for Local {}
impl sealed::Sealed for Sendable {}
impl sealed::Sealed for Scoped {}

impl GroupKind for Scoped {
    // Unused: its tasks are not members of the runtime.
    type Link<T> = Rc<LocalLink<T>>;
    const SEND: bool = false;
    type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;
}

impl GroupKind for Local {
    type Link<T> = Rc<LocalLink<T>>;
    const SEND: bool = false;
    type Boxed<T> = Pin<Box<dyn Future<Output = T>>>;
}

impl GroupKind for Sendable {
    type Link<T> = Arc<SendLink<T>>;
    const SEND: bool = true;
    type Boxed<T> = Pin<Box<dyn Future<Output = T> + Send>>;
}

/// Starting a member, with the bounds of each kind: on this thread for [`Local`], on any thread
/// of the runtime for [`Sendable`]. The one spawn path of both engines.
pub(crate) trait SpawnMember<F: Future>: GroupKind {
    /// Starts `member`; returns its handle. `what` names what the user called, for the panic
    /// when no runtime runs here; `canceller` is the group's, to cancel it at once on the loop.
    fn spawn(what: &'static str, canceller: &mut Canceller, member: F) -> RawHandle<F::Output>;
    /// Starts `member` and keeps its handle in `handles`.
    fn spawn_into(
        what: &'static str,
        handles: &mut Handles<F::Output>,
        canceller: &mut Canceller,
        member: F,
    );
}

impl<F> SpawnMember<F> for Local
where
    F: Future + 'static,
    F::Output: 'static,
{
    #[track_caller]
    fn spawn(what: &'static str, canceller: &mut Canceller, member: F) -> RawHandle<F::Output> {
        handle::spawn_local_member(what, canceller, member)
    }

    #[track_caller]
    fn spawn_into(
        what: &'static str,
        handles: &mut Handles<F::Output>,
        canceller: &mut Canceller,
        member: F,
    ) {
        handles.spawn_local(what, canceller, member);
    }
}

impl<F> SpawnMember<F> for Sendable
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    #[track_caller]
    fn spawn(what: &'static str, canceller: &mut Canceller, member: F) -> RawHandle<F::Output> {
        handle::spawn_send_member(what, canceller, member)
    }

    #[track_caller]
    fn spawn_into(
        what: &'static str,
        handles: &mut Handles<F::Output>,
        canceller: &mut Canceller,
        member: F,
    ) {
        handles.spawn_send(what, canceller, member);
    }
}

/// What a member does with its task's outcome, and tells its group when its future is gone:
/// each engine's own rule, the rest of the member being the same for both.
pub(crate) trait Hooks<T> {
    /// What the member's task gives its handle: for a [`TaskGroup`], whose outputs stay in its
    /// tasks, the output (`None` after a panic); for a running set, whose outcomes go through the
    /// link, `()`.
    type Output;
    /// The task returned `output`.
    fn finished(&mut self, output: T) -> Self::Output;
    /// The task panicked with `payload`.
    fn panicked(&mut self, payload: Payload) -> Self::Output;
    /// The task's future is gone (finished or cancelled): a group that cancels its tasks waits
    /// until every one of their futures is dropped.
    fn dropped(&mut self);
}

pin_project_lite::pin_project! {
    /// A task of a group, as it runs on the runtime: the task's future, and the hooks that tell
    /// the group about its outcome and, once the future is dropped (the field after it), about
    /// that.
    pub(crate) struct Member<F: Future, H: Hooks<F::Output>> {
        // In debug mode and under the trace, a `Watched` future, timed on each poll: chosen
        // when the task starts, so a member costs nothing for them when they are off.
        #[pin]
        future: F,
        hooks: Notify<H, F::Output>,
    }
}

/// The hooks of a member, which tell the group when they are dropped: after the member's future,
/// the field before them, and also when that future's destructor panics.
pub(crate) struct Notify<H: Hooks<T>, T>(H, PhantomData<fn(T)>);

impl<H: Hooks<T>, T> Drop for Notify<H, T> {
    fn drop(&mut self) {
        self.0.dropped();
    }
}

impl<F: Future, H: Hooks<F::Output>> Member<F, H> {
    /// A member of the group that `hooks` link to; the group counts it as alive until its future
    /// is dropped.
    pub(crate) fn new(future: F, hooks: H) -> Member<F, H> {
        Member {
            future,
            hooks: Notify(hooks, PhantomData),
        }
    }
}

/// `future` as task `index` of a group in debug mode or under the trace (the caller checked
/// [`debug::watching`]): named by `names` (`fetch(u)[3]`), placed where the caller was called,
/// on the group's track `trace`, which the group's first task starts.
#[track_caller]
pub(crate) fn watched<F>(
    future: F,
    names: Names,
    index: usize,
    trace: &mut Option<debug::GroupTrace>,
) -> Watched<F> {
    watched_at(future, names, index, std::panic::Location::caller(), trace)
}

/// [`watched`], placed at `location`. Cold, and never inlined: a task is watched only in debug
/// mode or under the trace, and the spawn paths stay small enough to inline without it.
#[cold]
#[inline(never)]
pub(crate) fn watched_at<F>(
    future: F,
    names: Names,
    index: usize,
    location: &'static std::panic::Location<'static>,
    trace: &mut Option<debug::GroupTrace>,
) -> Watched<F> {
    if index == 0 && trace.is_none() {
        *trace = debug::GroupTrace::start(|| names.group_label(), location);
    }
    let name = move || debug::Name::Member(Some(names.name(index)));
    Watched::at(future, name, location, trace.as_ref())
}

impl<F: Future, H: Hooks<F::Output>> Future for Member<F, H> {
    type Output = H::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<H::Output> {
        let this = self.project();
        let future = this.future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(this.hooks.0.finished(output)),
            Err(payload) => {
                crate::unwind::hint_if_no_tokio(&*payload);
                Poll::Ready(this.hooks.0.panicked(payload))
            }
        }
    }
}
