//! Starting a task on whatever runtime is current, and the handle to its output.
//!
//! On the embedded loop and on smol a task is an async-task task (no boxing in a release build; a
//! debug build boxes every task's future: `erase`); on tokio, a tokio task; on any other runtime, a
//! boxed [`ForeignTask`](super::foreign) spawned through the [`Runtime`](crate::Runtime) trait. A
//! group's members off the loop are async-task tasks run by the group's [`Runner`](super::runner)
//! where they share one thread, and otherwise the runtime's own tasks around a
//! [`Held`](super::cancel::Held) future.

use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_task::{FallibleTask, Task};

use super::cancel::Canceller;
use super::foreign::{self, ForeignHandle};
use super::runner;
use crate::context::{self, Current};
use crate::shield::ShieldWait;
use crate::unwind::{drop_quietly, Quiet};

/// The handle to a task's output, whichever runtime runs it. Dropping it cancels the task.
pub(crate) enum RawHandle<T> {
    /// A task of the embedded loop or of smol's executor.
    AsyncTask(FallibleTask<Quiet<T>>),
    #[cfg(feature = "tokio")]
    Tokio(TokioTask<T>),
    Foreign(ForeignHandle<T>),
}

/// A task spawned with tokio's own spawner. Dropping it aborts the task (tokio's handles
/// detach on drop).
#[cfg(feature = "tokio")]
pub(crate) struct TokioTask<T>(Option<tokio::task::JoinHandle<T>>);

#[cfg(feature = "tokio")]
impl<T> Drop for TokioTask<T> {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

impl<T> RawHandle<T> {
    /// The task's output; `None` when the task was dropped unfinished (its runtime was dropped).
    /// A panic of the task resumes here with its payload.
    pub(crate) fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self {
            RawHandle::AsyncTask(task) => poll_async_task(task, cx),
            RawHandle::Foreign(handle) => match handle.poll_output(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(Some(Ok(output))) => Poll::Ready(Some(output)),
                Poll::Ready(Some(Err(payload))) => resume_unwind(payload),
                Poll::Ready(None) => Poll::Ready(None),
            },
            #[cfg(feature = "tokio")]
            RawHandle::Tokio(TokioTask(handle)) => {
                let Some(join) = handle.as_mut() else {
                    return Poll::Ready(None);
                };
                let output = std::task::ready!(poll_tokio_task(join, cx));
                // Finished: nothing left to abort.
                *handle = None;
                Poll::Ready(output)
            }
        }
    }

    pub(crate) fn is_finished(&self) -> bool {
        match self {
            RawHandle::AsyncTask(task) => task.is_finished(),
            RawHandle::Foreign(handle) => handle.is_finished(),
            #[cfg(feature = "tokio")]
            RawHandle::Tokio(TokioTask(handle)) => handle.as_ref().is_none_or(|h| h.is_finished()),
        }
    }

    /// Cancels this task alone, a member of the group whose canceller is `canceller`; `task` is
    /// what `canceller.last()` gave as it started (see `Canceller::cancel_one`). A task that
    /// finished has nothing left to drop but its output, which goes with the handle.
    pub(crate) fn cancel_alone(
        self,
        canceller: &mut Canceller,
        task: usize,
    ) -> Option<Arc<ShieldWait>> {
        if self.is_finished() {
            // Its allocation is freed with the handle: no queue is searched for its address
            // (which a task started by the output's destructor could have by then).
            drop_quietly(self);
            return None;
        }
        canceller.cancel_one(task, || drop(self))
    }

    /// Cancels the task and waits until its future has been dropped (its destructors ran): the
    /// output if the task had finished first, `None` if it was cancelled. A panic of the task
    /// resumes here, as when the handle is awaited. The cancellation itself is made when this
    /// future is first polled: see [`JoinHandle::cancel`](crate::JoinHandle::cancel), which polls
    /// it once at once.
    pub(crate) async fn cancel(self) -> Option<T> {
        match self {
            // async-task marks the task closed, then waits until it is neither scheduled nor
            // running: its future is gone then.
            RawHandle::AsyncTask(task) => task.cancel().await.and_then(Quiet::into_inner),
            RawHandle::Foreign(mut handle) => {
                handle.cancel();
                match std::future::poll_fn(|cx| handle.poll_output(cx)).await {
                    Some(Ok(output)) => Some(output),
                    Some(Err(payload)) => resume_unwind(payload),
                    None => None,
                }
            }
            // tokio completes an aborted task's handle after dropping its future.
            #[cfg(feature = "tokio")]
            RawHandle::Tokio(mut task) => {
                let mut join = task.0.take()?;
                join.abort();
                std::future::poll_fn(|cx| poll_tokio_task(&mut join, cx)).await
            }
        }
    }

    /// Lets the task run on, unawaited.
    pub(crate) fn detach(self) {
        match self {
            RawHandle::AsyncTask(task) => task.detach(),
            RawHandle::Foreign(handle) => handle.detach(),
            #[cfg(feature = "tokio")]
            RawHandle::Tokio(mut task) => drop(task.0.take()),
        }
    }
}

/// The handles of a group's tasks, in spawn order, each `None` once its output was taken, in the
/// shape the current runtime gives them: on the embedded loop and on smol, async-task's own
/// handles (8 bytes each; a [`RawHandle`] takes 16, for its variant's tag: a million-task group
/// saves 8 MB), on tokio tokio's.
pub(crate) enum Handles<T> {
    AsyncTask(Vec<Option<FallibleTask<Quiet<T>>>>),
    /// Aborted on drop (a dropped tokio handle would detach its task).
    #[cfg(feature = "tokio")]
    Tokio(Vec<Option<tokio::task::JoinHandle<T>>>),
    Any(Vec<Option<RawHandle<T>>>),
}

impl<T> Handles<T> {
    /// Room for `capacity` handles of the members of a group (a `send` one if `send`) on the
    /// runtime current on this thread.
    pub(crate) fn with_capacity(capacity: usize, send: bool) -> Handles<T> {
        context::with_current_or_none(|current| match current {
            Some(Current::Loop(_)) => Handles::AsyncTask(Vec::with_capacity(capacity)),
            Some(current) if runner::runs_members(current, send) => {
                Handles::AsyncTask(Vec::with_capacity(capacity))
            }
            #[cfg(feature = "tokio")]
            Some(Current::Tokio(_)) => Handles::Tokio(Vec::with_capacity(capacity)),
            _ => Handles::Any(Vec::with_capacity(capacity)),
        })
    }

    /// Starts `future`, a group member that catches its own panics, on the current runtime, on
    /// this thread, and keeps its handle; `canceller` is its group's. The same as pushing what
    /// [`spawn_local`] returns, without making a [`RawHandle`] on the common paths.
    #[track_caller]
    pub(crate) fn spawn_local<F>(&mut self, what: &str, canceller: &mut Canceller, future: F)
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        context::with_current(what, |current| match (&mut *self, current) {
            (Handles::AsyncTask(tasks), Current::Loop(core)) => {
                let schedule = canceller.schedule(core);
                tasks.push(Some(core.spawn_member(future, schedule).fallible()));
            }
            (Handles::AsyncTask(tasks), current) => match canceller.runner(current, false) {
                Some(runner) => tasks.push(Some(runner.spawn_local(future).fallible())),
                None => self.push(spawn_local_member_on(current, canceller, future)),
            },
            (handles, current) => {
                handles.push(spawn_local_member_on(current, canceller, future));
            }
        });
    }

    /// Like [`spawn_local`](Handles::spawn_local), on any thread of the current runtime.
    #[track_caller]
    pub(crate) fn spawn_send<F>(&mut self, what: &str, canceller: &mut Canceller, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        context::with_current(what, |current| match (&mut *self, current) {
            #[cfg(feature = "tokio")]
            (Handles::Tokio(tasks), Current::Tokio(crate::runtime::tokio::Flavor::MultiThread)) => {
                let future = canceller.hold(future);
                tasks.push(Some(crate::runtime::tokio::spawn(future)));
            }
            (Handles::AsyncTask(tasks), Current::Loop(core)) => {
                let schedule = canceller.schedule(core);
                tasks.push(Some(core.spawn_member(future, schedule).fallible()));
            }
            (Handles::AsyncTask(tasks), current) => match canceller.runner(current, true) {
                Some(runner) => tasks.push(Some(runner.spawn_send(future).fallible())),
                None => self.push(spawn_send_member_on(current, canceller, future)),
            },
            (handles, current) => {
                handles.push(spawn_send_member_on(current, canceller, future));
            }
        });
    }

    pub(crate) fn push(&mut self, handle: RawHandle<T>) {
        match (&mut *self, handle) {
            (Handles::AsyncTask(tasks), RawHandle::AsyncTask(task)) => tasks.push(Some(task)),
            #[cfg(feature = "tokio")]
            (Handles::Tokio(tasks), RawHandle::Tokio(mut task)) if task.0.is_some() => {
                tasks.push(task.0.take());
            }
            (Handles::Any(handles), handle) => handles.push(Some(handle)),
            // A group that moved to another runtime's thread (a `send` group can): its handles
            // become general ones.
            (_, handle) => {
                let mut handles = self.take_general();
                handles.push(Some(handle));
                *self = Handles::Any(handles);
            }
        }
    }

    /// The handles as general ones, leaving this empty.
    fn take_general(&mut self) -> Vec<Option<RawHandle<T>>> {
        match self {
            Handles::AsyncTask(tasks) => std::mem::take(tasks)
                .into_iter()
                .map(|task| task.map(RawHandle::AsyncTask))
                .collect(),
            #[cfg(feature = "tokio")]
            Handles::Tokio(tasks) => std::mem::take(tasks)
                .into_iter()
                .map(|task| task.map(|task| RawHandle::Tokio(TokioTask(Some(task)))))
                .collect(),
            Handles::Any(handles) => std::mem::take(handles),
        }
    }

    /// Makes room for `additional` handles, if it can: a size hint too large to reserve leaves
    /// the handles to grow as they come.
    pub(crate) fn reserve(&mut self, additional: usize) {
        let _ = match self {
            Handles::AsyncTask(tasks) => tasks.try_reserve(additional),
            #[cfg(feature = "tokio")]
            Handles::Tokio(tasks) => tasks.try_reserve(additional),
            Handles::Any(handles) => handles.try_reserve(additional),
        };
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Handles::AsyncTask(tasks) => tasks.len(),
            #[cfg(feature = "tokio")]
            Handles::Tokio(tasks) => tasks.len(),
            Handles::Any(handles) => handles.len(),
        }
    }

    /// Drops every handle (cancelling the tasks still running).
    pub(crate) fn clear(&mut self) {
        match self {
            Handles::AsyncTask(tasks) => tasks.clear(),
            #[cfg(feature = "tokio")]
            Handles::Tokio(tasks) => tasks.drain(..).flatten().for_each(|task| task.abort()),
            Handles::Any(handles) => handles.clear(),
        }
    }
}

impl<T> Handles<T> {
    /// Takes the outputs of tasks `*next..`, in order, handing each to `take`, until one is not
    /// ready (`Pending`) or all are taken (`Ready`). The shape of the handles is looked at once,
    /// not once per task.
    pub(crate) fn poll_in_order(
        &mut self,
        next: &mut usize,
        cx: &mut Context<'_>,
        take: impl FnMut(Option<T>),
    ) -> Poll<()> {
        match self {
            Handles::AsyncTask(tasks) => in_order(tasks, next, cx, poll_async_task, take),
            #[cfg(feature = "tokio")]
            Handles::Tokio(tasks) => in_order(tasks, next, cx, poll_tokio_task, take),
            Handles::Any(handles) => in_order(handles, next, cx, RawHandle::poll_output, take),
        }
    }
}

/// [`Handles::poll_in_order`] over one shape of handles.
fn in_order<H, T>(
    slots: &mut [Option<H>],
    next: &mut usize,
    cx: &mut Context<'_>,
    poll: impl Fn(&mut H, &mut Context<'_>) -> Poll<Option<T>>,
    mut take: impl FnMut(Option<T>),
) -> Poll<()> {
    while let Some(slot) = slots.get_mut(*next) {
        let output = std::task::ready!(take_when_ready(slot, cx, &poll));
        *next += 1;
        take(output);
    }
    Poll::Ready(())
}

impl<T> Drop for Handles<T> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Polls the handle in `slot` with `poll`, and empties the slot once its output is taken.
fn take_when_ready<H, T>(
    slot: &mut Option<H>,
    cx: &mut Context<'_>,
    poll: impl FnOnce(&mut H, &mut Context<'_>) -> Poll<Option<T>>,
) -> Poll<Option<T>> {
    let Some(handle) = slot.as_mut() else {
        panic!("a task group was polled after it returned its outputs");
    };
    let output = std::task::ready!(poll(handle, cx));
    *slot = None;
    Poll::Ready(output)
}

/// Polls a tokio task for its output; a panic of the task resumes here with its payload.
#[cfg(feature = "tokio")]
fn poll_tokio_task<T>(
    task: &mut tokio::task::JoinHandle<T>,
    cx: &mut Context<'_>,
) -> Poll<Option<T>> {
    match std::task::ready!(Pin::new(task).poll(cx)) {
        Ok(output) => Poll::Ready(Some(output)),
        Err(error) => match error.try_into_panic() {
            Ok(payload) => resume_unwind(payload),
            Err(_cancelled) => Poll::Ready(None),
        },
    }
}

/// Polls an async-task task for its output. async-task resumes the task's panic itself
/// (`propagate_panic`).
fn poll_async_task<T>(task: &mut FallibleTask<Quiet<T>>, cx: &mut Context<'_>) -> Poll<Option<T>> {
    Pin::new(task)
        .poll(cx)
        .map(|output| output.and_then(Quiet::into_inner))
}

/// Starts `future` on the current runtime, on this thread (it need not be `Send`): a task of
/// [`spawn`](crate::spawn), whose handle resumes its panic where it is awaited.
#[track_caller]
pub(crate) fn spawn_local<F>(what: &str, future: F) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    context::with_current(what, |current| match current {
        Current::Loop(core) => RawHandle::AsyncTask(core.spawn(future).fallible()),
        current => spawn_on_adapter(current, future),
    })
}

/// Starts `future` on the current runtime, on this thread: a group's member, which catches its
/// own panics and which its group cancels at once, through the group's `canceller`.
#[track_caller]
pub(crate) fn spawn_local_member<F>(
    what: &str,
    canceller: &mut Canceller,
    future: F,
) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    context::with_current(what, |current| {
        spawn_local_member_on(current, canceller, future)
    })
}

#[track_caller]
#[inline]
fn spawn_local_member_on<F>(
    current: &Current,
    canceller: &mut Canceller,
    future: F,
) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match current {
        Current::Loop(core) => {
            let schedule = canceller.schedule(core);
            let task = core.spawn_member(future, schedule);
            member_handle(canceller, task)
        }
        current => {
            let task = canceller.local_runner(current).spawn_local(future);
            member_handle(canceller, task)
        }
    }
}

/// The handle of `task`, a member just started on the loop or on a runner, noted in its
/// group's `canceller` as the task started last (see `Canceller::cancel_one`).
#[inline]
fn member_handle<T>(canceller: &mut Canceller, task: Task<Quiet<T>>) -> RawHandle<T> {
    canceller.started(&task);
    RawHandle::AsyncTask(task.fallible())
}

/// Starts `future` on a runtime other than the embedded loop, on this thread.
#[track_caller]
fn spawn_on_adapter<F>(current: &Current, future: F) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match current {
        Current::Loop(core) => RawHandle::AsyncTask(core.spawn(future).fallible()),
        #[cfg(feature = "tokio")]
        Current::Tokio(flavor) => RawHandle::Tokio(TokioTask(Some(
            crate::runtime::tokio::spawn_local(*flavor, future),
        ))),
        #[cfg(feature = "smol")]
        Current::Smol(executor) => {
            RawHandle::AsyncTask(crate::runtime::smol::spawn(executor, future).fallible())
        }
        Current::Runtime(runtime) => {
            let (task, handle) = foreign::wrap(future);
            runtime.spawn_local(Box::pin(task));
            RawHandle::Foreign(handle)
        }
    }
}

/// Starts `future` on the current runtime, on any of its threads: a task of
/// [`spawn_send`](crate::spawn_send).
#[track_caller]
pub(crate) fn spawn_send<F>(what: &str, future: F) -> RawHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_current(what, |current| match current {
        Current::Loop(core) => RawHandle::AsyncTask(core.spawn(future).fallible()),
        current => spawn_send_on_adapter(current, future),
    })
}

/// [`spawn_local_member`] for a member of a `send` group, on any thread of the runtime.
#[track_caller]
pub(crate) fn spawn_send_member<F>(
    what: &str,
    canceller: &mut Canceller,
    future: F,
) -> RawHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    context::with_current(what, |current| {
        spawn_send_member_on(current, canceller, future)
    })
}

#[track_caller]
fn spawn_send_member_on<F>(
    current: &Current,
    canceller: &mut Canceller,
    future: F,
) -> RawHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match current {
        Current::Loop(core) => {
            let schedule = canceller.schedule(core);
            let task = core.spawn_member(future, schedule);
            member_handle(canceller, task)
        }
        current => match canceller.runner(current, true) {
            Some(runner) => {
                let task = runner.spawn_send(future);
                member_handle(canceller, task)
            }
            None => spawn_send_on_adapter(current, canceller.hold(future)),
        },
    }
}

/// Starts `future` on a runtime other than the embedded loop, on any of its threads.
#[track_caller]
fn spawn_send_on_adapter<F>(current: &Current, future: F) -> RawHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match current {
        #[cfg(feature = "tokio")]
        Current::Tokio(_) => {
            RawHandle::Tokio(TokioTask(Some(crate::runtime::tokio::spawn(future))))
        }
        Current::Runtime(runtime) => {
            let (task, handle) = foreign::wrap(future);
            runtime.spawn_send(Box::pin(task));
            RawHandle::Foreign(handle)
        }
        // Single-threaded runtimes: the same as a task that stays on this thread.
        _ => spawn_on_adapter(current, future),
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::{foreign, spawn_local, Handles, RawHandle};
    use crate::{spawn, EventLoop};

    /// A group's handles start as the loop's own; a handle of another kind (a `send` group moved
    /// to another runtime's thread) turns them into general ones, and nothing is lost.
    #[test]
    fn handles_of_another_kind_join_the_loops_own() {
        let outputs = EventLoop::new().block_on(async {
            let mut handles = Handles::with_capacity(2, false);
            handles.push(spawn_local("test", async { 1 }));
            assert!(matches!(handles, Handles::AsyncTask(_)));
            let (task, handle) = foreign::wrap(async { 2 });
            drop(spawn(task)); // dropping a JoinHandle detaches the task
            handles.push(RawHandle::Foreign(handle));
            assert!(matches!(handles, Handles::Any(_)));
            let mut outputs = Vec::new();
            let mut next = 0;
            poll_fn(|cx| handles.poll_in_order(&mut next, cx, |output| outputs.push(output))).await;
            outputs
        });
        assert_eq!(outputs, [Some(1), Some(2)]);
    }
}
