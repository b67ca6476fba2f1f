//! The runtime of [jobloop](https://docs.rs/jobloop): the [`Runtime`] trait, the embedded
//! single-threaded [`EventLoop`], tasks ([`spawn`], [`JoinHandle`]), task groups ([`TaskGroup`]
//! and the [`group`] engines behind `tasks![]`), timers ([`sleep`]), sockets over the loop's
//! reactor ([`net`]) and subprocesses ([`process`]).
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
//! Where things live:
//!
//! | module | what |
//! |---|---|
//! | `event_loop` | the [`EventLoop`] and its heartbeat; beneath it its tasks, wake queue, timer queue and reactor |
//! | `task` | [`spawn`], [`spawn_send`], [`JoinHandle`]; beneath it the handle of each runtime's tasks |
//! | [`group`] | [`TaskGroup`] (the plain `tasks![]`), [`Group`](group::Group) (modes and options), [`GroupStream`](group::GroupStream) (`stream`), [`TaskSet`]; tasks spawned or polled in place (`scoped`) |
//! | `time` | [`sleep`], [`sleep_until`], [`timeout`], [`yield_now`], [`now`] on whatever runtime is current |
//! | `budget` | fairness: how often a task whose I/O or timers are always ready yields, on every runtime |
//! | [`runtime`] | the [`Runtime`] trait and the adapters: [`AnyRuntime`](runtime::AnyRuntime), `Tokio`, `Smol` |
//! | [`sync`] | [`Queue`](sync::Queue), [`Event`](sync::Event), [`Mutex`](sync::Mutex), [`Semaphore`](sync::Semaphore), [`Barrier`](sync::Barrier) |
//! | [`thread_pool`] | [`to_thread`]: blocking work on a pool, each runtime's own |
//! | [`signal`] | Ctrl-C and SIGTERM: [`signal::run_main`] (`#[job_main]`), [`signal::ctrl_c`] |
//! | [`net`] | [`TcpListener`](net::TcpListener), [`TcpStream`](net::TcpStream), [`UdpSocket`](net::UdpSocket), `UnixListener`, `UnixStream`: the loop's sockets, with the ecosystem's I/O traits |
//! | [`process`] | [`Command`](process::Command), [`Child`](process::Child): subprocesses waited for without blocking |
//! | `hyper` | (feature `hyper`) hyper's `Executor` and `Timer` on the current runtime |
//! | `context` | which runtime runs on this thread: the link between the free functions and the runtimes |
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
// `unsafe` in five blocks in four files, each block with its `SAFETY` comment: a pin projection
// in `task/cancel.rs`; hyper's uninitialized read buffer in `net/stream_io.rs` (two blocks,
// feature `hyper`: hyper's `ReadBufCursor` offers no safe way to read into it without a copy); tokio's `AsyncFd`
// registration in `net/source.rs` (feature `tokio`: tokio's API is `unsafe` there); and the read
// of a signal's disposition in `signal.rs` (`sigaction`, which no safe API offers).
#![deny(unsafe_code)]

mod budget;
mod context;
pub mod debug;
mod error;
mod event_loop;
pub mod group;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod net;
mod primitives;
pub mod process;
pub mod runtime;
pub mod signal;
#[cfg(feature = "toolkit")]
pub mod sync;
mod task;
pub mod thread_pool;
mod time;
mod unwind;

pub use error::{Elapsed, TaskError, TaskErrorKind};
pub use event_loop::EventLoop;
pub use group::{TaskGroup, TaskSet};
pub use runtime::Runtime;
pub use task::{spawn, spawn_named, spawn_send, spawn_send_named, JoinHandle};
pub use thread_pool::{to_thread, ToThread};
pub use time::{now, sleep, sleep_until, timeout, yield_now, Sleep, Timeout, YieldNow};

/// Items used by the code that jobloop's macros generate. Not a public API: they may change in
/// any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::group::expansion::{
        sized, task, try_task, Names, SameOutput, TryOutput, TryTask,
    };
    pub use crate::group::link::{Link, LocalLink, SendLink};
    pub use crate::group::task_group::{
        LocalGroupFuture, MemberHandle, ScopedGroupFuture, SendGroupFuture, TupleGroup,
    };
}
