//! Starting a task on whatever runtime is current, and the handle to its output.
//!
//! On the embedded loop a task is an `async_task` task (no boxing); on any other runtime it is a
//! boxed [`RemoteTask`](crate::remote) spawned through the [`Runtime`](crate::Runtime) trait.

use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_task::FallibleTask;

use crate::context::{self, Current};
use crate::event_loop::{LoopCore, Quiet};
use crate::remote::{remote, RemoteHandle};

/// The handle to a task's output, whichever runtime runs it. Dropping it cancels the task.
pub(crate) enum RawHandle<T> {
    Loop(FallibleTask<Quiet<T>>),
    Remote(RemoteHandle<T>),
    #[cfg(feature = "tokio")]
    Tokio(TokioTask<T>),
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
            // async-task resumes the task's panic itself (`propagate_panic`).
            RawHandle::Loop(task) => Pin::new(task)
                .poll(cx)
                .map(|output| output.and_then(Quiet::into_inner)),
            RawHandle::Remote(handle) => match handle.poll_output(cx) {
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
            RawHandle::Loop(task) => task.is_finished(),
            RawHandle::Remote(handle) => handle.is_finished(),
            #[cfg(feature = "tokio")]
            RawHandle::Tokio(TokioTask(handle)) => handle.as_ref().is_none_or(|h| h.is_finished()),
        }
    }

    /// Lets the task run on, unawaited.
    pub(crate) fn detach(self) {
        match self {
            RawHandle::Loop(task) => task.detach(),
            RawHandle::Remote(handle) => handle.detach(),
            #[cfg(feature = "tokio")]
            RawHandle::Tokio(mut task) => drop(task.0.take()),
        }
    }
}

/// Whether a spawned future catches its own panics (group members do), or the handle must
/// catch them and resume them where it is awaited.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Panics {
    Propagate,
    CaughtByTask,
}

/// Starts `future` on the embedded loop: both kinds of task run on its thread.
fn spawn_on_loop<F>(core: &LoopCore, panics: Panics, future: F) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let task = match panics {
        Panics::CaughtByTask => core.spawn_caught(future),
        Panics::Propagate => core.spawn(future),
    };
    RawHandle::Loop(task.fallible())
}

/// Starts `future` on the current runtime, on this thread (it need not be `Send`).
#[track_caller]
pub(crate) fn spawn_local<F>(what: &str, panics: Panics, future: F) -> RawHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match context::expect_current(what) {
        Current::Loop(core) => spawn_on_loop(&core, panics, future),
        Current::Runtime(runtime) => {
            #[cfg(feature = "tokio")]
            if let Some((_, name)) = runtime.tokio_handle() {
                let handle = crate::runtime::tokio::spawn_local_native(name, future);
                return RawHandle::Tokio(TokioTask(Some(handle)));
            }
            let (task, handle) = remote(future);
            runtime.spawn_local(Box::pin(task));
            RawHandle::Remote(handle)
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
        Current::Loop(core) => spawn_on_loop(&core, panics, future),
        Current::Runtime(runtime) => {
            #[cfg(feature = "tokio")]
            if let Some((tokio, _)) = runtime.tokio_handle() {
                return RawHandle::Tokio(TokioTask(Some(tokio.spawn(future))));
            }
            let (task, handle) = remote(future);
            runtime.spawn(Box::pin(task));
            RawHandle::Remote(handle)
        }
    }
}
