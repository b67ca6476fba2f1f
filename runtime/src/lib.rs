//! The runtime of [jobloop](https://docs.rs/jobloop): the [`Runtime`] trait, the embedded
//! single-threaded [`EventLoop`], tasks ([`spawn`], [`JoinHandle`]), task groups ([`TaskGroup`]
//! and the [`group`] engines behind `tasks![]`), timers ([`sleep`]), and with their cargo
//! features sockets over the loop's reactor (`net`), buffered and line I/O (`io`), subprocesses
//! (`process`), Ctrl-C (`signal`) and asyncio's toolkit (`sync`).
//!
//! Most programs use these through the `jobloop` crate and its macros; everything here is
//! re-exported there. The picture is Python's asyncio: one event loop per thread runs many tasks;
//! a task runs until it awaits something that is not ready (a timer, a socket), and meanwhile the
//! loop runs the others.
//!
//! ```
//! use jobloop_runtime::{sleep, spawn, EventLoop};
//! use std::time::Duration;
//!
//! let out = EventLoop::new().block_on(async {
//!     let a = spawn(async { sleep(Duration::from_millis(20)).await; 1 });
//!     let b = spawn(async { sleep(Duration::from_millis(20)).await; 2 });
//!     a.await + b.await // both slept at the same time: about 20 ms in all
//! });
//! assert_eq!(out, 3);
//! ```
//!
//! **A spawned task** ([`spawn`]) is one allocation (async-task's) that owns the future (in a
//! release build; a debug build boxes the future first, which compiles faster); the
//! [`JoinHandle`] gives its output, and dropping the handle detaches the task. A wake-up puts the
//! task at the back of the loop's ready queue, from any thread. A panic is caught and resumes
//! where the handle is awaited.
//!
//! **A group** is what `tasks![]` makes: it starts its tasks, takes their outcomes, and cancels
//! the ones still running when it ends early or is dropped, so no task outlives it. Here at
//! most 3 run at a time, and the first `Err` ends the group (asyncio's `TaskGroup` with a
//! semaphore); [`group`]'s doc tells the life of a group's task.
//!
//! ```
//! use jobloop_runtime::group::{Group, Try};
//! use jobloop_runtime::EventLoop;
//!
//! let out = EventLoop::new().block_on(async {
//!     let jobs = (1..=5u32).map(|i| async move { if i < 4 { Ok(i * 10) } else { Err(i) } });
//!     Group::new(Try::default(), 3, jobs).await
//! });
//! assert_eq!(out, Err(4)); // the first `Err` the group took; the tasks still running were cancelled
//! ```
//!
//! **The loop's turn** ([`EventLoop::block_on`], `event_loop.rs`): run the tasks that were ready
//! when the turn began, each once, in order (a task woken meanwhile waits for the next turn);
//! take the wake-ups that came from other threads; fire the timers that are due; then wait in
//! the OS poller (mio) for I/O, no longer than until the next timer, and not at all when tasks
//! are ready. (Built without `net` and `process`, the loop has no poller: it waits in
//! `thread::park_timeout`, which a wake-up from another thread ends.) Every other runtime runs the same tasks through the [`Runtime`] trait: tokio, smol,
//! or one of your own.
//!
//! Where things live:
//!
//! | module | what |
//! |---|---|
//! | `event_loop` | the [`EventLoop`] and its heartbeat; beneath it its tasks, wake queue, timer queue and reactor (or, without I/O, its park) |
//! | `task` | [`spawn`], [`spawn_send`], [`JoinHandle`]; beneath it the handle of each runtime's tasks |
//! | [`group`] | [`TaskGroup`] (the plain `tasks![]`), [`Group`](group::Group) (modes and options), [`GroupStream`](group::GroupStream) (`stream`), [`TaskSet`]; tasks spawned or polled in place (`scoped`) |
//! | `time` | [`sleep`], [`sleep_until`], [`timeout`], [`yield_now`], [`now`] on whatever runtime is current |
//! | `budget` | fairness: how often a task whose I/O or timers are always ready yields, on every runtime |
//! | [`runtime`] | the [`Runtime`] trait and the adapters: [`AnyRuntime`](runtime::AnyRuntime), `Tokio`, `Smol` |
//! | `sync` | (feature `sync`) `Queue`, `PriorityQueue`, `LifoQueue`, `Event`, `Mutex`, `Condvar`, `Semaphore`, `Barrier` |
//! | [`thread_pool`] | [`to_thread`]: blocking work on a pool, each runtime's own |
//! | `remote` | [`Handle`]: work given to a runtime from other threads (`spawn`, `block_on`) |
//! | `context_var` | (feature `context`) `ContextVar`: values each task inherits from the task that starts it |
//! | `shuffle` | seeded schedules of the loop (`EventLoop::shuffled`, `#[job_test(shuffle)]`) |
//! | `shield` | [`shield`]: a future that runs on when its task is cancelled, and that the cancelling groups wait for |
//! | `signal` | (feature `signal`) Ctrl-C and SIGTERM: `signal::run_main` (`#[job_main]`), `signal::ctrl_c`, `signal::terminate` |
//! | `io` | (feature `io`) `BufReader`, lines, the I/O extension traits, `stdin`/`stdout`: asyncio's `readline`, `readuntil`, `readexactly`, `drain` |
//! | `net` | (feature `net`) `TcpListener`, `TcpStream`, `UdpSocket`, `UnixListener`, `UnixStream`: the loop's sockets, with the ecosystem's I/O traits |
//! | `process` | (feature `process`) `Command`, `Child`: subprocesses waited for without blocking |
//! | `hyper` | (feature `hyper`, with `net`) hyper's `Executor` and `Timer` on the current runtime |
//! | `redis` | (feature `redis`) `redis::Queue`: asyncio's `Queue` on a Redis server, shared by many processes |
//! | `context` | which runtime runs on this thread: the link between the free functions and the runtimes |
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `unsafe` in six blocks in five files, each block with its `SAFETY` comment: a pin projection
// in `task/cancel.rs`; hyper's uninitialized read buffer in `net/stream_io.rs` (two blocks,
// feature `hyper`: hyper's `ReadBufCursor` offers no safe way to read into it without a copy);
// tokio's `AsyncFd` registration in `net/source.rs` (features `tokio` and `net` or `process`:
// tokio's API is `unsafe` there); the read of a signal's disposition in `signal.rs` (feature
// `signal`: `sigaction`, which no safe API offers); and the kill of a child's process group in
// `process.rs` (feature `process`: `kill` with a negative id, which std does not offer).
#![deny(unsafe_code)]
// On Windows a child's pipes are not registered with the reactor (tokio's and mio's pipes are
// unix-only here), so with `process` alone the reactor is built and nothing uses it.
#![cfg_attr(
    all(not(unix), feature = "process", not(feature = "net")),
    allow(dead_code, unused_imports, unused_macros)
)]

mod budget;
mod context;
mod context_var;
mod deadlock;
pub mod debug;
mod erase;
mod error;
mod event_loop;
pub mod group;
#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "io")]
pub mod io;
#[cfg(feature = "net")]
pub mod net;
// A child's pipes register as sockets do: with `process` alone, the sockets' registration is
// built and the sockets are not.
#[cfg(all(feature = "process", not(feature = "net")))]
mod net;
mod primitives;
#[cfg(feature = "process")]
pub mod process;
#[cfg(feature = "redis")]
pub mod redis;
mod remote;
mod run_main;
pub mod runtime;
mod shield;
mod shuffle;
#[cfg(feature = "signal")]
pub mod signal;
#[cfg(feature = "sync")]
pub mod sync;
mod task;
pub mod thread_pool;
mod time;
mod unwind;
mod wait_site;

#[cfg(feature = "context")]
pub use context_var::ContextVar;
pub use error::{Elapsed, TaskError, TaskErrorKind};
pub use event_loop::EventLoop;
pub use group::{TaskGroup, TaskSet};
pub use remote::{Handle, RuntimeGone};
pub use runtime::Runtime;
pub use shield::{shield, shield_send, Shield};
pub use task::{spawn, spawn_named, spawn_send, spawn_send_named, JoinHandle};
pub use thread_pool::{to_thread, ToThread};
pub use time::{now, sleep, sleep_until, timeout, yield_now, Sleep, Timeout, YieldNow};

/// Items used by the code that jobloop's macros generate. Not a public API: they may change in
/// any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::group::expansion::{
        same_output, sized, task, try_task, Names, SameOutput, SameOutputTask, TryOutput, TryTask,
    };
    pub use crate::group::link::{Link, LocalLink, SendLink};
    pub use crate::group::task_group::{
        LocalGroupFuture, MemberHandle, ScopedGroupFuture, SendGroupFuture, TupleGroup,
    };
    pub use crate::run_main::run_main;
    pub use crate::shuffle::{run_shuffled, RunOutcome, DEFAULT_RUNS};
}
