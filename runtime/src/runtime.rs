//! The [`Runtime`] trait: what `#[job_main(runtime = ...)]` needs of a runtime.

use std::future::Future;

use crate::EventLoop;

/// An async runtime that a jobloop program can run on.
///
/// `#[jobloop::job_main(runtime = EXPR)]` and `#[jobloop::job_test(runtime = EXPR)]` accept any
/// value whose type implements this trait; without the argument, the embedded [`EventLoop`] is
/// used.
///
/// # Contract
///
/// [`block_on`](Runtime::block_on) runs `future` to completion on the calling thread and returns
/// its output. While it runs, the free functions of jobloop ([`spawn`](crate::spawn),
/// [`sleep`](crate::sleep), `tasks![]`) must reach this runtime. A panic of `future` propagates
/// to the caller of `block_on`.
///
/// ```
/// use jobloop_runtime::{EventLoop, Runtime};
///
/// fn run_on<R: Runtime>(runtime: R) -> u32 {
///     runtime.block_on(async { 6 * 7 })
/// }
/// assert_eq!(run_on(EventLoop::new()), 42);
/// ```
pub trait Runtime {
    /// Runs `future` to completion on the current thread and returns its output.
    fn block_on<F: Future>(self, future: F) -> F::Output;
}

impl Runtime for EventLoop {
    #[track_caller]
    fn block_on<F: Future>(self, future: F) -> F::Output {
        EventLoop::block_on(&self, future)
    }
}

impl Runtime for &EventLoop {
    #[track_caller]
    fn block_on<F: Future>(self, future: F) -> F::Output {
        EventLoop::block_on(self, future)
    }
}
