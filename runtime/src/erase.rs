//! What a task's future is compiled as. In builds with debug assertions (cargo's `dev` and
//! `test` profiles, as jobloop-runtime itself is compiled) each future is boxed (`Box<dyn
//! Future>`) before it becomes a task, so that the task code of async-task, tokio and
//! async-executor, which is generic over the future, is compiled once per output type and way of
//! spawning instead of once per future type and way of spawning (a group's tasks share one
//! output type, whatever their own: their results travel through the group); in release builds
//! the future is the task's own, unboxed.
//!
//! Why: a program's every spawned future type used to instantiate the whole of async-task's raw
//! task (`run`, `wake`, `drop_waker`, ... with their `catch_unwind`s) once for each way it can
//! be spawned (on the loop, on a group's runner, on tokio, on smol), because the runtime is
//! chosen at run time: 45 % of the code of jobloop's own test suite in a debug build. Boxed, the
//! suite's test binary compiles in a third of the time (BENCHMARKS.md). The price in a debug
//! build is one allocation more per task; a release build, where run time counts and the
//! instruction tables of BENCHMARKS.md are measured, is unchanged.
//!
//! Each function returns `impl Future`: the compiler sees through it when it instantiates, so a
//! boxed future of a given output type is one type wherever it comes from. A caller that makes
//! a closure for the task (async-task's schedule function) makes it outside any function generic
//! over the caller's unboxed future, or the closure's type would again be one per future type.

use std::future::Future;

/// `future`, boxed in debug builds (see the module's doc).
#[inline]
pub(crate) fn local<F>(future: F) -> impl Future<Output = F::Output> + 'static
where
    F: Future + 'static,
{
    #[cfg(debug_assertions)]
    let future: std::pin::Pin<Box<dyn Future<Output = F::Output>>> = Box::pin(future);
    future
}

/// [`local`] for a `Send` future.
#[inline]
pub(crate) fn send<F>(future: F) -> impl Future<Output = F::Output> + Send + 'static
where
    F: Future + Send + 'static,
{
    #[cfg(debug_assertions)]
    let future: std::pin::Pin<Box<dyn Future<Output = F::Output> + Send>> = Box::pin(future);
    future
}
