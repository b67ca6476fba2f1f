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
//! timer queue and (with the feature `net` or `process`) an I/O reactor on one thread, so tasks need not be `Send` (`Rc` and `RefCell`
//! work). Its TCP types are in `net` (feature `net`). Another runtime plugs in through the
//! [`Runtime`] trait: `#[job_main(runtime = EXPR)]`.
//!
//! # Cargo features
//!
//! Without features, jobloop is the loop, tasks, groups, timers, [`to_thread`] and [`debug`]
//! mode, and builds as fast as tokio with `rt`, `macros` and `time`. Each feature adds the module
//! of its name; `full` is the first five. Naming a module whose feature is off is a compile
//! error whose note says which feature to turn on.
//!
//! | feature | adds |
//! |---|---|
//! | `io` | `io`: `BufReader`, lines, `read_exact`, `write_all`, `copy`, `stdin()` (asyncio's `readline`, `drain`) |
//! | `net` | `net`: TCP, UDP and Unix sockets (asyncio's streams) |
//! | `process` | `process`: subprocesses with pipes |
//! | `signal` | `signal`: Ctrl-C and SIGTERM cancel `#[job_main]`'s body (as `asyncio.run`); `ctrl_c`, `terminate` |
//! | `sync` | `sync`: `Queue`, `Event`, `Mutex`, `Semaphore`, `Barrier`, `OnceCell` |
//! | `full` | all five above |
//! | `tokio`, `smol` | `runtime::Tokio`, `runtime::Smol` |
//! | `hyper` | `hyper`: hyper 1.x on the loop (with `net`) |
//! | `tracing` | each task's polls in a `tracing` span |
//! | `progress` | `tasks![progress; ...]`'s live bar |
//! | `redis` | `redis::Queue`: a `Queue` on a Redis server, shared by processes on many machines |
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![doc(test(attr(deny(warnings))))]

pub use jobloop_runtime::{
    group, now, shield, shield_send, sleep, sleep_until, spawn, spawn_named, spawn_send,
    spawn_send_named, timeout, to_thread, yield_now, Elapsed, EventLoop, Handle, JoinHandle,
    Runtime, RuntimeGone, Shield, Sleep, TaskError, TaskErrorKind, TaskGroup, TaskSet, Timeout,
    ToThread, YieldNow,
};

pub use jobloop_runtime::{debug, thread_pool};

#[cfg(feature = "context")]
pub use jobloop_runtime::ContextVar;

#[cfg(feature = "io")]
pub use jobloop_runtime::io;

#[cfg(feature = "net")]
pub use jobloop_runtime::net;

#[cfg(feature = "process")]
pub use jobloop_runtime::process;

#[cfg(feature = "signal")]
pub use jobloop_runtime::signal;

#[cfg(feature = "sync")]
pub use jobloop_runtime::sync;

#[cfg(feature = "hyper")]
pub use jobloop_runtime::hyper;

#[cfg(feature = "redis")]
pub use jobloop_runtime::redis;

/// The [`Runtime`] trait and the runtimes jobloop can run on besides the embedded [`EventLoop`].
///
/// | runtime | selected with | `Send` tasks needed | I/O types in jobs | virtual time (`#[job_test(virtual_time)]`) |
/// |---|---|---|---|---|
/// | embedded [`EventLoop`] (default) | `#[job_main]` | no | `net` | yes: the loop's own virtual clock |
/// | `runtime::Tokio` current-thread (feature `tokio`) | `#[job_main(runtime = jobloop::runtime::Tokio::current_thread())]` | no | `net` (unix), `tokio::net` | yes: tokio's paused time |
/// | `runtime::Tokio` multi-thread (feature `tokio`) | `#[job_main(runtime = jobloop::runtime::Tokio::multi_thread(4))]` | for parallelism: `Send` tasks of `tasks![send; ...]` run on the workers, others on the main thread | `net` (unix; not `Send`: in tasks that stay on their thread), `tokio::net` | no: the test stops at start-up with a message (tokio pauses only its current-thread runtime) |
/// | `runtime::Smol` (feature `smol`) | `#[job_main(runtime = jobloop::runtime::Smol::new())]` | no | `net` (unix), `async_io::Async` | no: start-up message |
/// | your own | `#[job_main(runtime = MyRuntime::new())]`, `impl jobloop::Runtime for MyRuntime` | as your runtime needs | your runtime's | if it implements [`Runtime::with_virtual_time`] |
pub mod runtime {
    pub use jobloop_runtime::runtime::*;
    // Named again under their features, so that the docs mark what each feature adds (the glob
    // above carries no `cfg` across crates).
    #[cfg(feature = "smol")]
    pub use jobloop_runtime::runtime::Smol;
    #[cfg(feature = "tokio")]
    pub use jobloop_runtime::runtime::Tokio;
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
/// The function becomes a plain `fn main` that creates a [`EventLoop`] and runs the body on it.
/// With the feature `signal`, it runs it with `signal::run_main`: on Ctrl-C (SIGINT) or
/// SIGTERM, the body is cancelled (every group and task beneath it is dropped, so every
/// destructor runs), one line goes to stderr, and the program exits with 130 (143 for SIGTERM),
/// as `asyncio.run` does after a `KeyboardInterrupt`; a second signal during that cleanup exits
/// at once. Without it, Ctrl-C ends the program at once, as it ends a tokio program. The body
/// may return `()`, `Result<(), E>` with `E: Debug` (the error is printed and the exit code is
/// 1), or any [`std::process::Termination`] type:
///
/// ```no_run
/// #[jobloop::job_main]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let jobs: u32 = std::env::args().nth(1).unwrap_or("3".into()).parse()?;
///     println!("{jobs} jobs");
///     Ok(())
/// }
/// ```
///
/// # Options
///
/// - `runtime = EXPR`: run on `EXPR`, any value whose type implements [`Runtime`], instead of a
///   new [`EventLoop`]: `#[job_main(runtime = jobloop::runtime::Tokio::current_thread())]`. The
///   body then runs under [`Runtime::run`]. See [`runtime`] for the runtimes.
/// - `signals = false` (feature `signal`): Ctrl-C and SIGTERM do what they do without jobloop
///   (the program stops at once, no destructor runs), for programs that catch them with
///   another crate. To react to Ctrl-C or SIGTERM (stop accepting, finish what is in flight),
///   `await` `signal::ctrl_c` or `signal::terminate` instead: from the call of one until its
///   future ends, the signal goes to it.
/// - `debug`: debug mode (as `JOBLOOP_DEBUG=1`): a poll that holds the thread over 100 ms is
///   reported with the task's name and where it started, one stuck over 1 s is reported while
///   it runs, and the spawned tasks still running when `main` returns are listed. See
///   [`debug`].
///
/// The function must be an `async fn` without arguments, generics or `self`; anything else is a
/// compile error that says what to write instead.
#[doc(inline)]
pub use jobloop_macros::job_main;

/// Turns an `async fn` into a `#[test]` that runs on a fresh event loop.
///
/// `#[job_test(virtual_time)]` runs it on a virtual clock: whenever every task waits on a timer,
/// the clock jumps to the next deadline, so three 2 s jobs finish in microseconds of real time
/// while [`now`] says 2 s passed; equal deadlines fire in the order they were set. Under
/// `runtime = jobloop::runtime::Tokio::current_thread()` it is tokio's paused time; runtimes
/// without a virtual clock stop with a clear message when the test starts.
///
/// ```
/// #[jobloop::job_test(virtual_time)]
/// async fn an_hour_passes_at_once() {
///     use std::time::Duration;
///     let start = jobloop::now();
///     jobloop::sleep(Duration::from_secs(3600)).await;
///     assert_eq!(jobloop::now() - start, Duration::from_secs(3600));
/// }
/// ```
///
/// ```
/// #[jobloop::job_test]
/// async fn two_jobs_run_together() {
///     let (a, b) = jobloop::tasks![async { 1 }, async { 2 }].await;
///     assert_eq!(a + b, 3);
/// }
/// ```
///
/// `#[job_test(shuffle)]` runs the test on 100 shuffled schedules (`shuffle = N` for N of
/// them, `JOBLOOP_SHUFFLE=N` to raise that in a nightly job): each time, on a fresh loop that
/// runs its ready tasks (and a `scoped` group's woken tasks) in an order drawn from a seed
/// instead of the order they were woken, so a race across an `.await` that FIFO order hides
/// shows up. The first failing schedule ends
/// the test, and stderr names its seed and the line that replays exactly it
/// (`JOBLOOP_SEED=6 cargo test my_test -- --exact`; exact with `virtual_time` too, where the
/// machine's timing changes nothing). The embedded loop only: with `runtime = ...` it is a
/// compile error.
///
/// ```
/// #[jobloop::job_test(shuffle = 20, virtual_time)]
/// async fn holds_in_any_order() {
///     let (a, b) = jobloop::tasks![async { 1 }, async { 2 }].await;
///     assert_eq!(a + b, 3);
/// }
/// ```
///
/// The body may return `()` or a `Result`, as a `#[test]` may, and attributes such as
/// `#[should_panic]` and `#[ignore]` work as usual. Options are those of [`job_main`] but
/// `signals`, plus `virtual_time` and `shuffle`; `#[job_test(debug)]` reports slow polls as
/// debug mode does (see [`debug`]). Do not add
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
/// # Modes and options
///
/// Modes and options come first, comma-separated, before a `;`:
/// `tasks![try, limit = 8, timeout = Duration::from_secs(5); for u in urls => fetch(u)]`.
///
/// | written | each task returns | awaiting gives | like |
/// |---|---|---|---|
/// | (no mode) | `T` | the tuple / `Vec<T>` of outputs | `asyncio.gather` |
/// | `try` | `Result<T, E>` | `Ok(tuple / Vec<T>)`, or the first `Err` (in time), which cancels the others; other error types convert into the first task's with `From` | `TaskGroup`, `try_join!` |
/// | `settle` | `T` | each outcome as `Result<T, TaskError>`: never fails, loses nothing | `gather(return_exceptions=True)` |
/// | `race` | `T` (one type for all) | `(index, T)` of the first to finish; the others are cancelled | `wait(FIRST_COMPLETED)` |
///
/// | option | what it does | like |
/// |---|---|---|
/// | `limit = N` | at most N tasks run at once; the next starts as soon as *any* running one finishes | `Semaphore(N)`, `buffer_unordered(N)` |
/// | `timeout = D` | gives up on the unfinished tasks after `D` | `asyncio.timeout` around the group |
/// | `task_timeout = D` | (with `settle` or `try`) gives each task `D` from its own start | `wait_for` around each task |
/// | `stream` | a stream of `(index, output)` in the order the tasks finish, instead of one output | `as_completed`, `JoinSet::join_next` |
/// | `scoped` | the group polls its tasks itself: they may borrow (no `'static`, `move` or clones) | trio nurseries, `moro` |
/// | `send` | `Send` tasks that a multi-threaded runtime may run in parallel | tokio's `spawn` |
/// | `progress` | (`for` form, feature `progress`) a live progress bar on stderr when it is a terminal, drawn by indicatif: done/total, failed, rate, time left | `tqdm.asyncio` |
///
/// Whatever ends a group early (`try`'s first `Err`, `race`'s winner, a timeout, a panic)
/// cancels the tasks still running, and the `.await` returns once every one of their futures
/// has been dropped: their destructors have run.
///
/// Tasks have names, for [`TaskError`]: the expression as written in the list form, and the
/// expression with the item's index in the `for` form (`fetch(u)[3]`).
///
/// **`try`**: every task returns a `Result`; the first `Err` to happen is the group's.
///
/// ```
/// # use jobloop::{sleep, tasks}; use std::time::Duration;
/// async fn fetch(id: u32) -> Result<String, String> {
///     sleep(Duration::from_millis(5)).await;
///     if id < 10 { Ok(format!("page {id}")) } else { Err(format!("no page {id}")) }
/// }
/// # jobloop::EventLoop::new().block_on(async {
/// assert_eq!(tasks![try; for id in 0..4 => fetch(id)].await.unwrap().len(), 4);
/// assert_eq!(tasks![try; fetch(1), fetch(11)].await, Err("no page 11".to_string()));
/// # });
/// ```
///
/// **`settle`**: every outcome, a panic as a [`TaskError`]; the group never fails.
///
/// ```
/// # use jobloop::tasks;
/// # jobloop::EventLoop::new().block_on(async {
/// let outcomes = tasks![settle; for id in [1, 2] => async move {
///     if id == 2 { panic!("boom") }
///     id
/// }]
/// .await;
/// assert_eq!(outcomes[0], Ok(1));
/// assert_eq!(outcomes[1].as_ref().unwrap_err().panic_message(), Some("boom"));
/// # });
/// ```
///
/// **`race`**: the first to finish wins, with its index; the others are cancelled.
///
/// ```
/// # use jobloop::{sleep, tasks}; use std::time::Duration;
/// # jobloop::EventLoop::new().block_on(async {
/// let (first, ()) = tasks![race; sleep(Duration::from_secs(9)), sleep(Duration::from_millis(1))].await;
/// assert_eq!(first, 1);
/// # });
/// ```
///
/// **`limit = N`**: a capacity, as `asyncio.Semaphore(N)`: at most N tasks run at once, and the
/// next starts as soon as any running one finishes, so one slow task does not hold up the
/// others. The `for` form's iterator is consumed lazily (a group over millions of items holds N
/// tasks); outputs still come back in written order. Each task expression is then evaluated
/// inside the group, so it cannot use `?` or `.await` of the enclosing function (a compile
/// error says so; inside the task's own `async move { .. }` both are fine). Without `limit`,
/// the task expressions are evaluated first, where `tasks![]` is written, and may use both.
/// `N` is 1 or more: `limit = 0` is a compile error, and a value that is 0 at run time panics
/// with a message that says so (a group that could start nothing would wait for ever).
///
/// ```
/// # use jobloop::{sleep, tasks}; use std::time::Duration;
/// # jobloop::EventLoop::new().block_on(async {
/// let pages = tasks![limit = 2; for id in 0..6u64 => async move {
///     sleep(Duration::from_millis(if id == 0 { 50 } else { 5 })).await; // 1..6 pass task 0
///     id
/// }]
/// .await;
/// assert_eq!(pages, [0, 1, 2, 3, 4, 5]);
/// # });
/// ```
///
/// **`timeout = D`**: counted from when the group starts its tasks. When it expires, the
/// unfinished tasks are cancelled and the group gives `Err(`[`Elapsed`]`)`, otherwise `Ok(...)`
/// of its output. Under `settle` the group never fails: the unfinished tasks are reported as
/// timed out ([`TaskError::is_timeout`]); with `limit`, the items not started by then stay in
/// the iterator, unevaluated, and have no outcome. A `stream` ends when it expires (see below).
/// The group looks at the tasks' outcomes before the deadline, as [`timeout`] polls its future
/// first: a task that finished by then keeps its outcome, on every runtime. Under a timeout of
/// zero, `scoped` tasks that complete in their first poll (without waiting) finish, as work does
/// under asyncio's `timeout(0)`; spawned tasks first run after the group's first poll, so they
/// get no time (asyncio's `async with timeout(0): await gather(...)` raises `TimeoutError` too).
///
/// ```
/// # use jobloop::{sleep, tasks, Elapsed}; use std::time::Duration;
/// # jobloop::EventLoop::new().block_on(async {
/// let out = tasks![timeout = Duration::from_millis(10); sleep(Duration::from_secs(9))].await;
/// assert_eq!(out, Err(Elapsed::default()));
/// let outcomes = tasks![settle, timeout = Duration::from_millis(10); async { 1 }, async {
///     sleep(Duration::from_secs(9)).await;
///     2
/// }]
/// .await;
/// assert_eq!(outcomes.0, Ok(1));
/// assert!(outcomes.1.unwrap_err().is_timeout());
/// # });
/// ```
///
/// **`task_timeout = D`**: each task has `D` from its own start, as if each were wrapped in
/// `asyncio.wait_for`; time spent waiting for a place under `limit` does not count. A task
/// still running then is cancelled, and its place goes to the next. Under `settle` it is an
/// `Err(e)` with [`TaskError::is_timeout`] and the others keep their outputs; under `try` the
/// group fails with `Err(Elapsed.into())` (the tasks' error converts from [`Elapsed`]:
/// `std::io::Error` does), cancelling the rest; in a `stream` the late task is an item (under
/// `try`, the `Err` that ends it). Other modes have no place for a late task: `task_timeout`
/// without `settle` or `try` is a compile error that says so. It combines with `timeout`, the
/// deadline of the whole group.
///
/// ```
/// # use jobloop::{sleep, tasks}; use std::time::Duration;
/// # jobloop::EventLoop::new().block_on(async {
/// let outcomes = tasks![settle, limit = 1, task_timeout = Duration::from_millis(200);
///     for ms in [5u64, 9_000, 5] => async move {
///         sleep(Duration::from_millis(ms)).await;
///         ms
///     }
/// ]
/// .await;
/// assert_eq!(outcomes[0], Ok(5));
/// assert!(outcomes[1].as_ref().unwrap_err().is_timeout());
/// assert_eq!(outcomes[2], Ok(5)); // its 200 ms counted from its own start
/// # });
/// ```
///
/// **`stream`**: the group is a [`GroupStream`](group::GroupStream) of `(index, output)` in the
/// order the tasks finish, taken with its own `next()` (it is also a `futures_core::Stream`).
/// With `settle` the output is `Result<T, TaskError>`; with `try` an item is
/// `Result<(index, T), E>`, and the stream ends after the first `Err`, cancelling the rest;
/// without a mode, a task's panic cancels the rest and resumes at `next()`. With `timeout` the
/// stream ends when it expires, and says so: under `try` the last item is `Err(Elapsed.into())`
/// whenever work was left (the tasks' error converts from [`Elapsed`]: `std::io::Error` does);
/// under `settle` each task still running is an item `Err(e)` with `e.is_timeout()` (items not
/// started yet under a `limit` have none: `timed_out()` tells whether work was left, and
/// `not_started()` how many items were never started); a
/// `stream` with a `timeout` and neither is a compile error. Dropping the stream cancels what still runs. In the list form the
/// tasks return one type. Not with `race`, which has one output.
///
/// ```
/// # use jobloop::{sleep, tasks}; use std::time::Duration;
/// # jobloop::EventLoop::new().block_on(async {
/// let mut done = tasks![stream, limit = 8; for ms in [30u64, 10, 20] => async move {
///     sleep(Duration::from_millis(ms)).await;
///     ms
/// }];
/// let mut order = Vec::new();
/// while let Some((index, ms)) = done.next().await {
///     order.push((index, ms)); // print progress, react early...
/// }
/// assert_eq!(order, [(1, 10), (2, 20), (0, 30)]);
/// # });
/// ```
///
/// **`scoped`**: the tasks may borrow from the function that writes `tasks![]`: no `'static`,
/// no `move`, no clones. The group polls them itself instead of spawning them, so they start
/// when the group is first polled and never leave its thread. Every mode and option works with
/// it but `send`.
///
/// ```
/// # use jobloop::{sleep, tasks}; use std::time::Duration;
/// struct Client { base: String }
/// impl Client {
///     async fn get(&self, path: &str) -> String {
///         sleep(Duration::from_millis(5)).await;
///         format!("{}/{path}", self.base)
///     }
/// }
/// # jobloop::EventLoop::new().block_on(async {
/// let client = Client { base: "http://127.0.0.1".into() };
/// let urls = vec!["a", "b"];
/// let mut cache = Vec::new();
/// let pages = tasks![scoped; for u in &urls => client.get(u)].await;
/// let (page, ()) = tasks![scoped; client.get("c"), async { cache.push(1) }].await;
/// assert_eq!((pages.len(), page.as_str(), cache.len()), (2, "http://127.0.0.1/c", 1));
/// # });
/// ```
///
/// Spawned or scoped? Spawned tasks (the default) start at once, run before the group is
/// awaited and, with `send`, in parallel; scoped tasks may borrow, and run only while the group
/// is awaited.
///
/// **`send`**: `tasks![send; for u in urls => fetch(u)]`. The tasks' futures must be `Send`
/// (checked at compile time, at each task's expression), and a multi-threaded runtime
/// ([`runtime::Tokio::multi_thread`]) may run them in parallel on its worker threads. Without
/// `send`, tasks stay on the thread that spawned them and need not be `Send` (`Rc` and
/// `RefCell` work), and the group itself is not `Send` either: inside a `send` task, use
/// `tasks![send; ...]` for inner groups too (the compiler says so). On single-threaded runtimes
/// both behave the same.
///
/// Why an option: Rust cannot tell, while it compiles the function that contains an `async`
/// block, whether that block is `Send`, so the macro cannot choose by itself.
///
/// On multi-threaded runtimes the order in which `send` tasks start and end is not fixed;
/// their outputs still come back in the written order. A task without `send` spawned from a
/// worker thread of a multi-threaded runtime panics, with a message that says how to fix it.
///
/// For work that arrives while a group runs (an accept loop's connections), see [`TaskSet`].
///
/// The tasks are queued when the macro expression is evaluated (as asyncio's `create_task`
/// does) and start after the current task yields; a `scoped` group's start when it is first
/// awaited. It works in any async code that runs under
/// a jobloop runtime, nested to any depth: a task may itself use `tasks![]`.
///
/// If a task panics, the tasks still running are cancelled and the panic resumes at the
/// `.await` with its original payload. Dropping the value before it completes cancels every task
/// it created: their futures are dropped before the drop returns (on a multi-threaded runtime,
/// one being polled on another thread at that moment is dropped as soon as that poll returns).
///
/// # Panics
///
/// When evaluated where no jobloop runtime runs (start one with [`job_main`], [`job_test`] or
/// [`EventLoop::block_on`]).
///
#[cfg_attr(
    not(feature = "tokio"),
    doc = "[`runtime::Tokio::multi_thread`]: https://docs.rs/jobloop/latest/jobloop/runtime/struct.Tokio.html#method.multi_thread"
)]
#[macro_export]
macro_rules! tasks {
    // Forwards `$crate` to the proc macro, so that the expansion finds jobloop wherever it is
    // (renamed in Cargo.toml, or re-exported by another crate).
    ($($input:tt)*) => {
        $crate::__private::tasks!($crate; $($input)*)
    };
}

/// README.md's Rust examples, compiled and run as doc tests (without warnings).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Items used by the code the macros generate. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use jobloop_macros::tasks;
    pub use jobloop_runtime::__private::*;

    /// The function's return type, for `#[job_main]`'s check of the body (never called: it sits
    /// behind `if false`).
    pub fn returns<R>() -> R {
        unreachable!("jobloop: `returns` is only type-checked, never called")
    }

    /// `runtime = jobloop::runtime::Tokio::...` with the feature on: the expression.
    #[cfg(feature = "tokio")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __tokio_runtime {
        ($runtime:expr) => {
            $runtime
        };
    }

    /// Without the feature: an error at `Tokio` that says what to add to Cargo.toml.
    #[cfg(not(feature = "tokio"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __tokio_runtime {
        ($runtime:expr) => {
            ::core::compile_error!(
                "`jobloop::runtime::Tokio` needs jobloop's cargo feature `tokio`: in Cargo.toml, \
                 write `jobloop = { version = \"0.1\", features = [\"tokio\"] }`"
            )
        };
    }

    /// `runtime = jobloop::runtime::Smol::new()` with the feature on: the expression.
    #[cfg(feature = "smol")]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __smol_runtime {
        ($runtime:expr) => {
            $runtime
        };
    }

    /// Without the feature: an error at `Smol` that says what to add to Cargo.toml.
    #[cfg(not(feature = "smol"))]
    #[macro_export]
    #[doc(hidden)]
    macro_rules! __smol_runtime {
        ($runtime:expr) => {
            ::core::compile_error!(
                "`jobloop::runtime::Smol` needs jobloop's cargo feature `smol`: in Cargo.toml, \
                 write `jobloop = { version = \"0.1\", features = [\"smol\"] }`"
            )
        };
    }

    pub use crate::{__smol_runtime as smol_runtime, __tokio_runtime as tokio_runtime};
}
