//! The runtime of [jobloop](https://docs.rs/jobloop): the [`Runtime`] trait, the embedded
//! single-threaded [`EventLoop`], tasks ([`spawn`], [`JoinHandle`], [`TaskGroup`]), timers
//! ([`sleep`]) and small TCP types over the loop's reactor ([`net`]).
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
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod context;
mod error;
mod event_loop;
mod gather;
mod handle;
mod injector;
pub mod net;
mod reactor;
mod remote;
pub mod runtime;
mod sync;
mod task;
mod task_group;
mod timer;

pub use error::{Elapsed, TaskError, TaskErrorKind};
pub use event_loop::EventLoop;
pub use runtime::Runtime;
pub use task::{spawn, spawn_send, JoinHandle};
pub use task_group::{SendTaskFuture, TaskFuture, TaskGroup};

/// The kinds of [`TaskGroup`]: [`Local`](task_group::Local) and [`Shared`](task_group::Shared).
pub mod group_kind {
    pub use crate::task_group::{GroupKind, GroupState, Local, LocalState, Shared, Signal};
}
pub use timer::{now, sleep, sleep_until, timeout, yield_now, Sleep, Timeout, YieldNow};

/// Task groups with a mode (all, try, settle, race), a limit and names: what `tasks![]` with a
/// mode or options expands to.
pub mod group {
    pub use crate::gather::{
        try_task, All, Group, Mode, Names, Race, Settle, Try, TryOutput, TryTask,
    };
}

/// Items used by the code that jobloop's macros generate. Not a public API: they may change in
/// any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::task_group::{task, GroupMember, TupleGroup};
}
