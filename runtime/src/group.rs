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
//! Every spawned task of a group runs as its own task on the current runtime, inside one
//! wrapper, `Member`, which catches the task's panic and tells the group what it must know:
//! that it finished (the groups that take outcomes as tasks finish), or a panic (the plain
//! groups, whose panics fail the group whatever the task's place in the order). Once its future
//! is dropped, it says so too: a group that ends early waits until every cancelled task's future
//! is gone. The group and its members share a link: [`LocalLink`] when every task stays on the
//! group's thread (kind [`Local`], no atomic operations), [`SendLink`] when a multi-threaded
//! runtime may run them anywhere (kind [`Sendable`], `tasks![send; ...]`). When the group is
//! dropped (or unwinds with a panic), the tasks still running are cancelled and their futures
//! dropped at once (see `task/cancel.rs`): no task outlives its group.

use std::any::Any;

use crate::debug::{self, Watched};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::task::cancel::{Canceller, SendCanceller, SendHeld};
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
mod running;
mod stream;
pub(crate) mod task_group;
mod task_set;

pub(crate) use crate::task::cancel::DropNow;
pub(crate) use expansion::Names;
pub(crate) use link::{Link, LocalLink, SendLink};
pub use mode_group::Group;
pub use modes::{All, Mode, Race, Settle, Try};
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

mod sealed {
    pub trait Sealed {}
}

/// Which tasks a group may hold: [`Local`] (they run on the group's thread and need not be
/// `Send`; the group is not `Send`), [`Sendable`] (`Send` tasks that a multi-threaded runtime
/// may run on any thread; the group is `Send`) or [`Scoped`] (tasks the group polls itself,
/// which may borrow). Sealed: these three are all there are.
pub trait GroupKind: sealed::Sealed + 'static {
    /// What the group's canceller keeps of each task's future.
    #[doc(hidden)]
    type Held: ?Sized + DropNow;
    /// What the members share with the group, when their outcomes of type `T` come through it
    /// (`T` is `()` for a [`TaskGroup`], whose outputs stay in its tasks).
    #[doc(hidden)]
    type Link<T>: Link<Output = T, Held = Self::Held>;
    /// Whether the members may run on any thread.
    #[doc(hidden)]
    const SEND: bool;
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
    type Held = dyn DropNow;
    type Link<T> = Rc<LocalLink<T>>;
    const SEND: bool = false;
}

impl GroupKind for Local {
    type Held = dyn DropNow;
    type Link<T> = Rc<LocalLink<T>>;
    const SEND: bool = false;
}

impl GroupKind for Sendable {
    type Held = SendHeld;
    type Link<T> = Arc<SendLink<T>>;
    const SEND: bool = true;
}

/// The canceller of a group of kind `K`.
pub(crate) type KindCanceller<K> = Canceller<<K as GroupKind>::Held>;

/// Starting a member, with the bounds of each kind: on this thread for [`Local`], on any thread
/// of the runtime for [`Sendable`]. The one spawn path of both engines.
pub(crate) trait SpawnMember<F: Future>: GroupKind {
    /// Starts `member`; returns its handle. `what` names what the user called, for the panic
    /// when no runtime runs here; `canceller` is the group's, to cancel it at once on the loop.
    fn spawn(
        what: &'static str,
        canceller: &mut KindCanceller<Self>,
        member: F,
    ) -> RawHandle<F::Output>;
    /// Starts `member` and keeps its handle in `handles`.
    fn spawn_into(
        what: &'static str,
        handles: &mut Handles<F::Output>,
        canceller: &mut KindCanceller<Self>,
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
        handle::spawn_local(what, handle::Spawn::Member(canceller), member)
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
    fn spawn(what: &'static str, canceller: &mut SendCanceller, member: F) -> RawHandle<F::Output> {
        handle::spawn_send(what, handle::Spawn::Member(canceller), member)
    }

    #[track_caller]
    fn spawn_into(
        what: &'static str,
        handles: &mut Handles<F::Output>,
        canceller: &mut SendCanceller,
        member: F,
    ) {
        handles.spawn_send(what, canceller, member);
    }
}

/// What a member does with its task's outcome: each engine's own rule, the rest of the member
/// being the same for both.
pub(crate) trait Hooks<T>: Alive {
    /// What the member's task gives its handle: for a [`TaskGroup`], whose outputs stay in its
    /// tasks, the output (`None` after a panic); for a running set, whose outcomes go through the
    /// link, `()`.
    type Output;
    /// The task returned `output`.
    fn finished(&mut self, output: T) -> Self::Output;
    /// The task panicked with `payload`.
    fn panicked(&mut self, payload: Payload) -> Self::Output;
}

/// What a member tells its group when its future is gone (finished or cancelled): a group that
/// cancels its tasks waits until every one of their futures is dropped.
pub(crate) trait Alive {
    fn dropped(&mut self);
}

impl<L: Link> Alive for L {
    fn dropped(&mut self) {
        Link::dropped(self);
    }
}

pin_project_lite::pin_project! {
    /// A task of a group, as it runs on the runtime: the task's future, and the hooks that tell
    /// the group about its outcome and, once the future is dropped (the field after it), about
    /// that.
    pub(crate) struct Member<F, H: Alive> {
        // In debug mode and under the trace, a `Watched` future, timed on each poll: chosen
        // when the task starts, so a member costs nothing for them when they are off.
        #[pin]
        future: F,
        hooks: Notify<H>,
    }
}

/// The hooks of a member, which tell the group when they are dropped: after the member's future,
/// the field before them, and also when that future's destructor panics.
pub(crate) struct Notify<H: Alive>(H);

impl<H: Alive> Drop for Notify<H> {
    fn drop(&mut self) {
        self.0.dropped();
    }
}

impl<F, H: Alive> Member<F, H> {
    /// A member of the group that `hooks` link to; the group counts it as alive until its future
    /// is dropped.
    pub(crate) fn new(future: F, hooks: H) -> Member<F, H> {
        Member {
            future,
            hooks: Notify(hooks),
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

/// Starts `member` on the current runtime, as kind `K` starts its tasks, cancelled at once by
/// `canceller`.
#[track_caller]
pub(crate) fn spawn_member<K, F, H>(
    what: &'static str,
    canceller: &mut KindCanceller<K>,
    member: Member<F, H>,
) -> RawHandle<H::Output>
where
    K: SpawnMember<Member<F, H>>,
    F: Future,
    H: Hooks<F::Output>,
{
    K::spawn(what, canceller, member)
}
