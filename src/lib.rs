//! Python asyncio's way of writing concurrent jobs, in Rust: an event loop, jobs started as
//! tasks, and one line that waits for all of them.
//!
//! ```no_run
//! use jobloop::{job_main, sleep, tasks};
//! use std::time::{Duration, Instant};
//!
//! async fn job(id: u32) -> u32 {
//!     println!("start job: {id}");
//!     sleep(Duration::from_secs(2)).await; // other tasks run meanwhile
//!     println!("end job: {id}");
//!     id * 10
//! }
//!
//! #[job_main]
//! async fn main() {
//!     let start = Instant::now();
//!     let out: Vec<u32> = tasks![for id in 0..3 => job(id)].await; // 3 tasks, waited together
//!     assert_eq!(out, [0, 10, 20]);
//!     println!("time: {:?}", start.elapsed()); // about 2 s, not 6 s
//! }
//! ```
//!
//! | asyncio | jobloop |
//! |---|---|
//! | `asyncio.run(main())`, `loop.run_until_complete(main())` | `#[job_main] async fn main()`, [`EventLoop::block_on`] |
//! | `loop.create_task(job())` | [`spawn`]`(job())` |
//! | `await asyncio.wait(tasks)`, `await asyncio.gather(*tasks)` | `tasks![for t in ts => job(t)].await`, `tasks![a(), b()].await` |
//! | `await asyncio.sleep(2)` | [`sleep`]`(Duration::from_secs(2)).await` |
//! | `await asyncio.sleep(0)` | [`yield_now`]`().await` |
//!
//! # Structured tasks
//!
//! [`tasks!`] starts every task when it is evaluated and waits for all of them; outputs come back
//! in the written order. No task outlives it: if a task panics, the tasks still running are
//! cancelled and the panic resumes where the group is awaited, with its original payload; if the
//! group is dropped before it completes, its tasks are cancelled. A panicking task never takes
//! the event loop down: other groups and tasks go on.
//!
//! [`spawn`] is asyncio's `create_task`: the task runs whether or not its [`JoinHandle`] is
//! awaited, and dropping the handle detaches it.
//!
//! # The event loop
//!
//! The default runtime is an embedded, single-threaded [`EventLoop`]: a FIFO ready queue, a
//! timer queue and an I/O reactor on one thread, so tasks need not be `Send` (`Rc` and `RefCell`
//! work). Its TCP types are in [`net`]. Another runtime plugs in through the [`Runtime`] trait:
//! `#[job_main(runtime = EXPR)]`.
#![warn(missing_docs)]

pub use jobloop_runtime::{
    sleep, sleep_until, spawn, spawn_send, yield_now, EventLoop, JoinHandle, Runtime, Sleep,
    TaskFuture, TaskGroup, YieldNow,
};

#[cfg(unix)]
pub use jobloop_runtime::net;

/// The [`Runtime`] trait and the runtimes jobloop can run on besides the embedded [`EventLoop`].
///
/// | runtime | selected with | `Send` tasks needed | I/O types in jobs | virtual time |
/// |---|---|---|---|---|
/// | embedded [`EventLoop`] (default) | `#[job_main]` | no | [`net`] | no |
/// | [`runtime::Tokio`] current-thread (feature `tokio`) | `#[job_main(runtime = jobloop::runtime::Tokio::current_thread())]` | no | `tokio::net` | no |
/// | [`runtime::Tokio`] multi-thread (feature `tokio`) | `#[job_main(runtime = jobloop::runtime::Tokio::multi_thread(4))]` | for parallelism: `Send` tasks of `tasks![]` run on the workers, others on the main thread | `tokio::net` | no |
/// | [`runtime::Smol`] (feature `smol`) | `#[job_main(runtime = jobloop::runtime::Smol::new())]` | no | `async_io::Async` | no |
/// | your own | `#[job_main(runtime = MyRuntime::new())]`, `impl jobloop::Runtime for MyRuntime` | as your runtime needs | your runtime's | no |
pub mod runtime {
    pub use jobloop_runtime::runtime::*;
}

/// Turns `async fn main()` into a program that runs on an event loop (asyncio's
/// `run_until_complete`).
///
/// ```no_run
/// #[jobloop::job_main]
/// async fn main() {
///     jobloop::sleep(std::time::Duration::from_secs(3)).await;
/// }
/// ```
///
/// The function becomes a plain `fn main` that creates a [`EventLoop`] and runs the body with
/// [`EventLoop::block_on`]. The body may return `()`, `Result<(), E>` with `E: Debug` (the
/// error is printed and the exit code is 1), or any [`std::process::Termination`] type:
///
/// ```no_run
/// #[jobloop::job_main]
/// async fn main() -> Result<(), std::io::Error> {
///     let listener = jobloop::net::TcpListener::bind("127.0.0.1:0")?;
///     println!("listening on {}", listener.local_addr()?);
///     Ok(())
/// }
/// ```
///
/// # Options
///
/// - `runtime = EXPR`: run on `EXPR`, any value whose type implements [`Runtime`], instead of a
///   new [`EventLoop`]: `#[job_main(runtime = jobloop::runtime::Tokio::current_thread())]`. The
///   body then runs under [`Runtime::run`]. See [`runtime`] for the runtimes.
///
/// The function must be an `async fn` without arguments, generics or `self`; anything else is a
/// compile error that says what to write instead.
#[doc(inline)]
pub use jobloop_macros::job_main;

/// Turns an `async fn` into a `#[test]` that runs on a fresh event loop.
///
/// ```
/// #[jobloop::job_test]
/// async fn two_jobs_run_together() {
///     let (a, b) = jobloop::tasks![async { 1 }, async { 2 }].await;
///     assert_eq!(a + b, 3);
/// }
/// ```
///
/// The body may return `()` or a `Result`, as a `#[test]` may, and attributes such as
/// `#[should_panic]` and `#[ignore]` work as usual. Options are those of [`job_main`]. Do not add
/// `#[test]` yourself: `#[job_test]` already does. (A `#[test]` written *above* `#[job_test]`
/// runs before it and cannot be caught by the macro; rustc then reports "async functions cannot
/// be used for tests".)
#[doc(inline)]
pub use jobloop_macros::job_test;

/// Starts one task per future, on the current runtime, and waits for all of them.
///
/// Two forms:
///
/// - `tasks![e1, e2, ...]`: every expression is a future; awaiting gives the tuple of their
///   outputs, in the written order (a 1-tuple for one task).
/// - `tasks![for PAT in ITER => EXPR]`: one task per item; awaiting gives a `Vec` of the outputs
///   in iteration order.
///
/// ```
/// use jobloop::{sleep, tasks};
/// use std::time::Duration;
///
/// async fn job(id: u64) -> u64 {
///     sleep(Duration::from_millis(30 - 10 * id)).await; // the last finishes first
///     id * 10
/// }
///
/// # jobloop::EventLoop::new().block_on(async {
/// let out = tasks![for id in 0..3 => job(id)].await;
/// assert_eq!(out, [0, 10, 20]);
/// let (a, b) = tasks![job(1), async { "hi" }].await;
/// assert_eq!((a, b), (10, "hi"));
/// # });
/// ```
///
/// # Options
///
/// Options come first, before a `;`:
///
/// - `send`: `tasks![send; for u in urls => fetch(u)]`. The tasks' futures must be `Send`
///   (checked at compile time, at each task's expression), and a multi-threaded runtime
///   ([`runtime::Tokio::multi_thread`]) may run them in parallel on its worker threads. Without
///   `send`, tasks stay on the thread that spawned them and need not be `Send` (`Rc` and
///   `RefCell` work). On single-threaded runtimes both behave the same.
///
/// Why an option: Rust cannot tell, while it compiles the function that contains an `async`
/// block, whether that block is `Send`, so the macro cannot choose by itself.
///
/// On multi-threaded runtimes the order in which `send` tasks start and end is not fixed;
/// their outputs still come back in the written order. A task without `send` spawned from a
/// worker thread of a multi-threaded runtime panics, with a message that says how to fix it.
///
/// The tasks are scheduled when the macro expression is evaluated (as asyncio's `create_task`
/// does) and run as soon as the current task yields. It works in any async code that runs under
/// a jobloop runtime, nested to any depth: a task may itself use `tasks![]`.
///
/// If a task panics, the tasks still running are cancelled and the panic resumes at the
/// `.await` with its original payload. Dropping the value before it completes cancels every task
/// it created.
///
/// # Panics
///
/// When evaluated where no jobloop runtime runs (start one with [`job_main`], [`job_test`] or
/// [`EventLoop::block_on`]).
#[doc(inline)]
pub use jobloop_macros::tasks;

/// Items used by the code the macros generate. Not a public API.
#[doc(hidden)]
pub use jobloop_runtime::__private;
