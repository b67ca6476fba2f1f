//! Single tasks: [`spawn`], [`spawn_send`] (each also `_named`) and the [`JoinHandle`] to a task's output. Beneath
//! this file: `handle`, which starts a task on whatever runtime is current and keeps the handle
//! that runtime gives, `foreign`, the task wrapper for runtimes of the user's own, `cancel`,
//! how a group cancels its tasks at once, and `runner`, the task of another runtime that runs a
//! group's tasks.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub(crate) mod cancel;
pub(crate) mod foreign;
pub(crate) mod handle;
pub(crate) mod runner;

use handle::RawHandle;

use crate::debug::{self, Watched};
use crate::event_loop::LoopOwner;

/// Starts `future` as a new task on the current event loop and returns a handle to its output
/// (asyncio's `create_task`).
///
/// The task is queued at once, behind the tasks already ready, so it starts after the current
/// task yields (as asyncio's `create_task`), whether or not anyone awaits the handle. Awaiting
/// the [`JoinHandle`] gives the task's output; dropping it detaches the task, which runs on to
/// completion, as in asyncio and tokio.
///
/// The future need not be `Send`: the embedded loop runs it on its own thread.
///
/// # Panics
///
/// When no jobloop runtime runs on this thread (start one with `#[jobloop::job_main]`,
/// `#[jobloop::job_test]` or [`EventLoop::block_on`](crate::EventLoop::block_on)).
///
/// ```
/// use jobloop_runtime::{spawn, EventLoop};
///
/// let sum = EventLoop::new().block_on(async {
///     let handles: Vec<_> = (1..=3).map(|n| spawn(async move { n * n })).collect();
///     let mut sum = 0;
///     for handle in handles {
///         sum += handle.await;
///     }
///     sum
/// });
/// assert_eq!(sum, 14);
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_joinable("`jobloop::spawn`", future, || debug::Name::Spawned)
}

/// Like [`spawn`], for a future that is `Send`: a multi-threaded runtime may then run the task on
/// any of its worker threads, in parallel with others. On single-threaded runtimes it is the same
/// as [`spawn`].
///
/// # Panics
///
/// When no jobloop runtime runs on this thread.
///
/// ```
/// use jobloop_runtime::{spawn_send, EventLoop};
///
/// let out = EventLoop::new().block_on(async { spawn_send(async { 2 + 2 }).await });
/// assert_eq!(out, 4);
/// ```
#[track_caller]
pub fn spawn_send<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_send_joinable("`jobloop::spawn_send`", future, || debug::Name::Spawned)
}

/// [`spawn`] with a name (asyncio's `create_task(coro, name=...)`): debug mode and the trace
/// (`JOBLOOP_TRACE`) show the task as `name` (and where it was spawned). The name is kept only
/// while one of them is on.
///
/// # Panics
///
/// When no jobloop runtime runs on this thread.
///
/// ```
/// use jobloop_runtime::{spawn_named, EventLoop};
///
/// let out = EventLoop::new().block_on(async {
///     spawn_named("fetch config", async { "config" }).await
/// });
/// assert_eq!(out, "config");
/// ```
#[track_caller]
pub fn spawn_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_joinable("`jobloop::spawn_named`", future, || {
        debug::Name::Named(name.into())
    })
}

/// [`spawn_send`] with a name, as [`spawn_named`].
///
/// # Panics
///
/// When no jobloop runtime runs on this thread.
///
/// ```
/// use jobloop_runtime::{spawn_send_named, EventLoop};
///
/// let out = EventLoop::new().block_on(async { spawn_send_named("sum", async { 1 + 2 }).await });
/// assert_eq!(out, 3);
/// ```
#[track_caller]
pub fn spawn_send_named<F>(name: impl Into<String>, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_send_joinable("`jobloop::spawn_send_named`", future, || {
        debug::Name::Named(name.into())
    })
}

/// Starts a task that stays on this thread, watched in debug mode and under the trace only (then
/// named by `name`): a plain spawn costs one load of a flag more. `what` is what the user called.
#[track_caller]
fn spawn_joinable<F>(
    what: &'static str,
    future: F,
    name: impl FnOnce() -> debug::Name,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let task = if debug::watching() {
        handle::spawn_local(what, Watched::new(future, name))
    } else {
        handle::spawn_local(what, future)
    };
    JoinHandle {
        task: Some(task),
        owner: LoopOwner::current(),
    }
}

/// [`spawn_joinable`] for a `Send` task, which may run on any thread of the runtime.
#[track_caller]
fn spawn_send_joinable<F>(
    what: &'static str,
    future: F,
    name: impl FnOnce() -> debug::Name,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = if debug::watching() {
        handle::spawn_send(what, Watched::new(future, name))
    } else {
        handle::spawn_send(what, future)
    };
    JoinHandle {
        task: Some(task),
        owner: LoopOwner::current(),
    }
}

/// An owned permission to await a spawned task's output, returned by [`spawn`].
///
/// Awaiting it gives the task's output. If the task panicked, awaiting resumes that panic with
/// its original payload. Dropping the handle detaches the task: it keeps running. To stop it,
/// call [`cancel`](JoinHandle::cancel).
pub struct JoinHandle<T> {
    /// `None` once the output was taken or the task was cancelled.
    task: Option<RawHandle<T>>,
    /// The event loop that runs the task, when one does.
    owner: Option<LoopOwner>,
}

impl<T> JoinHandle<T> {
    /// The handle of a task started off its runtime's thread (see [`Handle`](crate::Handle)),
    /// which no loop owns.
    pub(crate) fn from_raw(task: RawHandle<T>) -> JoinHandle<T> {
        JoinHandle {
            task: Some(task),
            owner: None,
        }
    }

    /// Cancels the task (asyncio's `task.cancel()`): its future is not polled again, and its
    /// runtime drops it (on the loop, at its next turn; a poll running on another thread
    /// returns first). The cancellation is made by this call; the future it returns waits for
    /// it: it resolves once the task's future has been dropped, its destructors run, to `None`,
    /// or to `Some(output)` if the task had finished before it could be cancelled (asyncio's `await` of a cancelled task inside
    /// `gather(..., return_exceptions=True)`). A panic of the task resumes there. Dropping that
    /// future without awaiting it leaves the task cancelled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use jobloop_runtime::{sleep, spawn, EventLoop};
    ///
    /// EventLoop::new().block_on(async {
    ///     let worker = spawn(async { sleep(Duration::from_secs(60)).await; "done" });
    ///     sleep(Duration::from_millis(1)).await;
    ///     assert_eq!(worker.cancel().await, None); // its future is gone now
    ///
    ///     let quick = spawn(async { "done" });
    ///     sleep(Duration::from_millis(1)).await;
    ///     assert_eq!(quick.cancel().await, Some("done")); // it had finished
    /// });
    /// ```
    pub fn cancel(mut self) -> impl Future<Output = Option<T>> {
        let owner = self.owner.take();
        let mut cancelling = self.task.take().map(|task| Box::pin(task.cancel()));
        // Polled once now, so that the cancellation does not wait for the caller's `.await`.
        let mut done = None;
        if let Some(future) = cancelling.as_mut() {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                done = Some(output);
                cancelling = None;
            }
        }
        async move {
            let _owner = owner;
            match (done, cancelling) {
                (Some(output), _) => output,
                (None, Some(future)) => future.await,
                (None, None) => None,
            }
        }
    }

    /// Whether the task has finished (completed, panicked or been cancelled).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|task| task.is_finished())
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let Some(task) = self.task.as_mut() else {
            panic!("JoinHandle polled after it returned its output");
        };
        // A panic of the task is resumed here.
        match task.poll_output(cx) {
            Poll::Pending => {
                if let Some(owner) = &self.owner {
                    owner.check("a `JoinHandle`");
                }
                crate::debug::waiting("JoinHandle"); // the trace, the tree
                Poll::Pending
            }
            Poll::Ready(output) => {
                self.task = None;
                match output {
                    Some(output) => Poll::Ready(output),
                    None => panic!(
                        "the task behind this JoinHandle was dropped before it finished, \
                         because its runtime was dropped"
                    ),
                }
            }
        }
    }
}

// The output is never pinned: the handle is moved freely whatever `T` is.
impl<T> Unpin for JoinHandle<T> {}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
