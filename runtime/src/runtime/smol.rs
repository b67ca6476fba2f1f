//! The smol adapter: jobloop programs on `async-executor` with `async-io`'s reactor and timers.

use std::fmt;
use std::future::Future;
use std::time::Instant;

use async_executor::LocalExecutor;

use super::{LocalTask, Runtime, SendTask, Timer};

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
    executor: LocalExecutor<'static>,
}

impl Smol {
    /// A new executor; `async-io` starts its reactor thread on first use.
    pub fn new() -> Smol {
        Smol {
            executor: LocalExecutor::new(),
        }
    }
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
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        async_io::block_on(self.executor.run(future))
    }

    fn spawn(&self, task: SendTask) {
        self.executor.spawn(task).detach();
    }

    fn spawn_local(&self, task: LocalTask) {
        self.executor.spawn(task).detach();
    }

    fn sleep_until(&self, deadline: Instant) -> Timer {
        Box::pin(async move {
            async_io::Timer::at(deadline).await;
        })
    }
}
