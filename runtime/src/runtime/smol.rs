//! The smol adapter: jobloop programs on `async-executor` with `async-io`'s reactor and timers.
//!
//! While a [`Smol`] runtime runs, jobloop spawns straight onto its executor and keeps the
//! async-task handles it returns, as it does on the embedded loop: the current runtime is
//! [`Current::Smol`]. A group's tasks are async-task tasks too, run by one task of the executor
//! for the group (`task/runner.rs`).

use std::fmt;
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Instant;

use async_executor::LocalExecutor;

use super::{BlockingWork, Delay, LocalTask, Runtime, SendTask};
use crate::context::{self, Current};
use crate::unwind::{CatchDrop, Quiet};

/// smol's executor and reactor for jobloop programs: `jobloop::sleep` uses `async-io`'s timers,
/// tasks run on an `async_executor::LocalExecutor`, and `async-io`'s I/O types (`Async<T>`) work
/// inside the jobs.
///
/// Every task runs on the thread that calls `block_on`, so tasks need not be `Send`.
///
/// ```
/// # #[cfg(feature = "smol")] {
/// use jobloop_runtime::runtime::Smol;
/// use jobloop_runtime::{sleep, Runtime};
/// use std::time::Duration;
///
/// let out = Smol::new().run(async {
///     sleep(Duration::from_millis(5)).await;
///     "done"
/// });
/// assert_eq!(out, "done");
/// # }
/// ```
pub struct Smol {
    executor: Rc<LocalExecutor<'static>>,
}

impl Smol {
    /// A new executor; `async-io` starts its reactor thread on first use.
    pub fn new() -> Smol {
        Smol {
            executor: Rc::new(LocalExecutor::new()),
        }
    }
}

/// Starts `future` on `executor`. Its future and output are dropped through the same guards as
/// the embedded loop's tasks, so that a panicking destructor is caught instead of aborting the
/// process inside async-task.
pub(crate) fn spawn<F>(
    executor: &LocalExecutor<'static>,
    future: F,
) -> async_task::Task<Quiet<F::Output>>
where
    F: Future + 'static,
    F::Output: 'static,
{
    executor.spawn(CatchDrop::new(crate::erase::local(future)))
}

impl Default for Smol {
    fn default() -> Self {
        Smol::new()
    }
}

impl fmt::Debug for Smol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Smol")
    }
}

impl Runtime for Smol {
    /// Runs `future` on this executor, with it as jobloop's current runtime: tasks are spawned
    /// on it directly.
    ///
    /// # Panics
    ///
    /// When a jobloop runtime is already running on this thread (from inside a task).
    #[track_caller]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _current = context::enter(Current::Smol(self.executor.clone()));
        async_io::block_on(self.executor.run(future))
    }

    fn spawn_send(&self, task: SendTask) {
        spawn(&self.executor, task).detach();
    }

    fn spawn_local(&self, task: LocalTask) {
        spawn(&self.executor, task).detach();
    }

    fn sleep_until(&self, deadline: Instant) -> Delay {
        Box::pin(async move {
            async_io::Timer::at(deadline).await;
        })
    }

    /// smol's blocking pool (the `blocking` crate).
    fn spawn_blocking(&self, work: BlockingWork) -> io::Result<()> {
        blocking::unblock(work).detach();
        Ok(())
    }

    /// [`block_on`](Runtime::block_on), which makes this executor the current runtime itself.
    #[track_caller]
    fn run<F: Future>(self, future: F) -> F::Output {
        self.block_on(future)
    }
}
