//! tokio-based crates on the embedded loop (feature `tokio`), as the `async-compat` crate does
//! it: a tokio runtime on a thread of its own drives tokio's I/O driver and timers, and the loop
//! enters that runtime's context for as long as `block_on` runs. A `tokio::time::sleep`,
//! `tokio::net::TcpStream` or reqwest request polled by a loop task registers with that driver;
//! when it is ready, the driver's thread wakes the task through its waker (a cross-thread wake,
//! which the loop takes between turns). The tasks themselves still run on the loop's thread.
//!
//! The runtime is made on first use and lives for the rest of the process. A loop started
//! inside a tokio context (a test under `#[tokio::test]`, say) keeps that context instead.
//!
//! The cost: a wake-up from tokio's driver crosses threads (a few microseconds more than the
//! loop's own reactor, see `benches/`). A program that uses no tokio type pays for the thread
//! alone: in a process with two threads glibc's `malloc` takes its arena's lock, about 20
//! instructions more per allocation and free (BENCHMARKS.md counts the loop's scenarios with
//! and without the feature).

use std::sync::OnceLock;

/// The tokio runtime that drives tokio's I/O and timers for the loops of this process.
fn runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            // A current-thread runtime's drivers run only inside its own `block_on`: the thread
            // blocks there on a future that never ends. (It waits for this initialization to
            // finish before it gets the runtime.)
            std::thread::Builder::new()
                .name("jobloop-tokio-driver".into())
                .spawn(|| {
                    if let Some(runtime) = self::runtime() {
                        runtime.block_on(std::future::pending::<()>());
                    }
                })
                .ok()?;
            Some(runtime)
        })
        .as_ref()
}

/// Enters the driver runtime's context on this thread, unless a tokio context is current
/// already; `None` then (or when the runtime could not be made: tokio types then panic with
/// tokio's own message, followed by jobloop's hint).
pub(super) fn enter() -> Option<tokio::runtime::EnterGuard<'static>> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return None;
    }
    Some(runtime()?.enter())
}
