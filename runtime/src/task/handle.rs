//! Starting a task on whatever runtime is current, and the handle to its output.
//!
//! On the embedded loop and on smol a task is an async-task task (no boxing); on tokio, a tokio
//! task; on any other runtime, a boxed [`ForeignTask`](super::foreign) spawned through the
//! [`Runtime`](crate::Runtime) trait.

use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_task::FallibleTask;

use super::foreign::{self, ForeignHandle};
use crate::context::{self, Current};
use crate::unwind::Quiet;

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
                match Pin::new(join).poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(Ok(output)) => {
                        *handle = None;
                        Poll::Ready(Some(output))
                    }
                    Poll::Ready(Err(error)) => {
                        *handle = None;
                        match error.try_into_panic() {
                            Ok(payload) => resume_unwind(payload),
                            Err(_cancelled) => Poll::Ready(None),
                        }
                    }
                }
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

/// The handles of a group's tasks, in spawn order, each `None` once its output was taken. On the
/// embedded loop (nearly always) they are async-task's own handles, 8 bytes each; a
/// [`RawHandle`] takes 16, for its variant's tag. A million-task group saves 8 MB.
pub(crate) enum Handles<T> {
    AsyncTask(Vec<Option<FallibleTask<Quiet<T>>>>),
    Any(Vec<Option<RawHandle<T>>>),
}

impl<T> Handles<T> {
    /// Room for `capacity` handles of the runtime current on this thread.
    pub(crate) fn with_capacity(capacity: usize) -> Handles<T> {
        if context::with_loop(|_| ()).is_some() {
            Handles::AsyncTask(Vec::with_capacity(capacity))
        } else {
            Handles::Any(Vec::with_capacity(capacity))
        }
    }

    pub(crate) fn push(&mut self, handle: RawHandle<T>) {
        match (&mut *self, handle) {
            (Handles::AsyncTask(tasks), RawHandle::AsyncTask(task)) => tasks.push(Some(task)),
            (Handles::Any(handles), handle) => handles.push(Some(handle)),
            // A group that moved to another runtime's thread (a `send` group can): its handles
            // become general ones.
            (Handles::AsyncTask(tasks), handle) => {
                let mut handles: Vec<_> = std::mem::take(tasks)
                    .into_iter()
                    .map(|task| task.map(RawHandle::AsyncTask))
                    .collect();
                handles.push(Some(handle));
                *self = Handles::Any(handles);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Handles::AsyncTask(tasks) => tasks.len(),
            Handles::Any(handles) => handles.len(),
        }
    }

    /// Drops every handle (cancelling the tasks still running).
    pub(crate) fn clear(&mut self) {
        match self {
            Handles::AsyncTask(tasks) => tasks.clear(),
            Handles::Any(handles) => handles.clear(),
        }
    }

    /// Polls task `index` for its output (see [`RawHandle::poll_output`]); once it is ready,
    /// the handle is dropped, which frees the task.
    ///
    /// # Panics
    ///
    /// When `index` is out of range or its output was already taken.
    pub(crate) fn poll_take(&mut self, index: usize, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self {
            Handles::AsyncTask(tasks) => take_when_ready(&mut tasks[index], cx, poll_async_task),
            Handles::Any(handles) => {
                take_when_ready(&mut handles[index], cx, RawHandle::poll_output)
            }
        }
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

/// Polls an async-task task for its output. async-task resumes the task's panic itself
/// (`propagate_panic`).
fn poll_async_task<T>(task: &mut FallibleTask<Quiet<T>>, cx: &mut Context<'_>) -> Poll<Option<T>> {
    Pin::new(task)
        .poll(cx)
        .map(|output| output.and_then(Quiet::into_inner))
}

/// Whether a spawned future catches its own panics (group members do), or the handle must
/// catch them and resume them where it is awaited.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Panics {
    Propagate,
    CaughtByTask,
}

/// Starts `future` on the current runtime, on this thread (it need not be `Send`).
#[track_caller]
pub(crate) fn spawn_local<F>(what: &str, panics: Panics, future: F) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match context::expect_current(what) {
        Current::Loop(core) => {
            let task = match panics {
                Panics::CaughtByTask => core.spawn_caught(future),
                Panics::Propagate => core.spawn(future),
            };
            RawHandle::AsyncTask(task.fallible())
        }
        #[cfg(feature = "tokio")]
        Current::Tokio(flavor) => RawHandle::Tokio(TokioTask(Some(
            crate::runtime::tokio::spawn_local(flavor, future),
        ))),
        #[cfg(feature = "smol")]
        Current::Smol(smol) => RawHandle::AsyncTask(smol.spawn_task(future).fallible()),
        Current::Runtime(runtime) => {
            let (task, handle) = foreign::wrap(future);
            runtime.spawn_local(Box::pin(task));
            RawHandle::Foreign(handle)
        }
    }
}

/// Starts `future` on the current runtime, on any of its threads.
#[track_caller]
pub(crate) fn spawn_send<F>(what: &str, panics: Panics, future: F) -> RawHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match context::expect_current(what) {
        #[cfg(feature = "tokio")]
        Current::Tokio(_) => {
            RawHandle::Tokio(TokioTask(Some(crate::runtime::tokio::spawn(future))))
        }
        Current::Runtime(runtime) => {
            let (task, handle) = foreign::wrap(future);
            runtime.spawn(Box::pin(task));
            RawHandle::Foreign(handle)
        }
        // Single-threaded runtimes: the same as a task that stays on this thread.
        _ => spawn_local(what, panics, future),
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::{foreign, spawn_local, Handles, Panics, RawHandle};
    use crate::{spawn, EventLoop};

    /// A group's handles start as the loop's own; a handle of another kind (a `send` group moved
    /// to another runtime's thread) turns them into general ones, and nothing is lost.
    #[test]
    fn handles_of_another_kind_join_the_loops_own() {
        let outputs = EventLoop::new().block_on(async {
            let mut handles = Handles::with_capacity(2);
            handles.push(spawn_local("test", Panics::Propagate, async { 1 }));
            assert!(matches!(handles, Handles::AsyncTask(_)));
            let (task, handle) = foreign::wrap(async { 2 });
            drop(spawn(task)); // dropping a JoinHandle detaches the task
            handles.push(RawHandle::Foreign(handle));
            assert!(matches!(handles, Handles::Any(_)));
            let mut outputs = Vec::new();
            for index in 0..handles.len() {
                outputs.push(poll_fn(|cx| handles.poll_take(index, cx)).await);
            }
            outputs
        });
        assert_eq!(outputs, [Some(1), Some(2)]);
    }
}
