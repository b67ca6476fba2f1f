//! What `#[job_main]` runs: its body on its runtime, through [`signal::run_main`] with the
//! feature `signal` (Ctrl-C and SIGTERM cancel the body, then the program exits), and as a
//! plain run without it (Ctrl-C then ends the process at once, as it does a tokio program).
//!
//! [`signal::run_main`]: crate::signal::run_main

#[cfg(feature = "signal")]
pub use crate::signal::run_main;

/// Runs `main` on `runtime` as a program's main task.
#[cfg(not(feature = "signal"))]
#[track_caller]
pub fn run_main<R: crate::Runtime, F: std::future::Future>(runtime: R, main: F) -> F::Output {
    crate::debug::start_up();
    runtime.run(crate::debug::watch_main(main))
}
