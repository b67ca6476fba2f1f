//! The tokio adapter: jobloop programs on tokio's current-thread or multi-thread runtime.
//!
//! While a [`Tokio`] runtime runs, jobloop's free functions call tokio directly (its spawner,
//! its timers, its clock), with no boxing (in a release build: a debug build boxes each task's
//! future, see `erase`): the current runtime is [`Current::Tokio`].

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::io;
use std::time::Instant;

use tokio::runtime::{Builder, Handle};
use tokio::task::LocalSet;

use super::{BlockingWork, Delay, LocalTask, Runtime, SendTask};
use crate::context::{self, Current};

thread_local! {
    /// Set while this thread runs `Tokio::block_on`, inside its `LocalSet`: only there can tasks
    /// that are not `Send` run.
    static IN_LOCAL_SET: Cell<bool> = const { Cell::new(false) };
}

/// Which of tokio's runtimes a [`Tokio`] is; also its name in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

impl Flavor {
    fn name(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "Tokio::current_thread()",
            Flavor::MultiThread => "Tokio::multi_thread(n)",
        }
    }
}

/// A tokio runtime for jobloop programs: `jobloop::sleep` uses tokio's timer, `jobloop::spawn`
/// tokio's spawner, and tokio's I/O types work inside the jobs (`tokio::net` with tokio's own
/// feature `net`, in your `tokio` dependency). A `tasks![]`
/// group whose tasks share one thread (every group on the current-thread runtime, the groups
/// without `send` on the multi-thread one) runs them in one tokio task of its own, which lets it
/// drop them at once when it is cancelled; the tasks of `tasks![send; ...]` on the multi-thread
/// runtime are tokio tasks each, run in parallel. (So within a group's task,
/// `tokio::task::id()` is the group's.)
///
/// ```
/// # #[cfg(feature = "tokio")] {
/// use jobloop_runtime::runtime::Tokio;
/// use jobloop_runtime::{sleep, Runtime};
/// use std::time::Duration;
///
/// let out = Tokio::multi_thread(2).run(async {
///     sleep(Duration::from_millis(5)).await;
///     "done"
/// });
/// assert_eq!(out, "done");
/// # }
/// ```
///
/// - [`Tokio::current_thread`] runs everything on the thread that calls `block_on`: tasks need
///   not be `Send`, and the start/end order of the tasks is the embedded loop's.
/// - [`Tokio::multi_thread`] runs the `Send` tasks of `tasks![send; ...]` and
///   [`spawn_send`](crate::spawn_send) in parallel on its worker threads. The order in which
///   tasks start and end is then not fixed (outputs still come back in the written order). Tasks
///   of [`spawn`](crate::spawn) and of groups without `send` run on the thread that called
///   `block_on` (in a tokio `LocalSet`); started from a worker thread, they panic with a message
///   that says to use `spawn_send` or `tasks![send; ...]` there.
pub struct Tokio {
    runtime: tokio::runtime::Runtime,
    flavor: Flavor,
}

impl Tokio {
    /// tokio's current-thread runtime, with its timer and I/O drivers.
    ///
    /// # Panics
    ///
    /// When tokio cannot start its drivers (out of file descriptors).
    #[track_caller]
    pub fn current_thread() -> Tokio {
        Tokio::build(Builder::new_current_thread(), Flavor::CurrentThread)
    }

    /// tokio's multi-thread runtime with `workers` worker threads (at least one), with its timer
    /// and I/O drivers.
    ///
    /// # Panics
    ///
    /// When tokio cannot start its threads or drivers.
    #[track_caller]
    pub fn multi_thread(workers: usize) -> Tokio {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(workers.max(1)).on_thread_start(|| {
            // Worker (and blocking-pool) threads run tasks and nothing else: jobloop's free
            // functions reach tokio from them for good.
            context::install_for_thread(Current::Tokio(Flavor::MultiThread));
        });
        Tokio::build(builder, Flavor::MultiThread)
    }

    #[track_caller]
    fn build(mut builder: Builder, flavor: Flavor) -> Tokio {
        match builder.enable_all().build() {
            Ok(runtime) => Tokio { runtime, flavor },
            Err(error) => panic!(
                "jobloop could not start tokio's runtime ({}): {error}",
                flavor.name()
            ),
        }
    }

    /// The tokio handle, to use tokio's own APIs next to jobloop's.
    pub fn handle(&self) -> &Handle {
        self.runtime.handle()
    }
}

impl fmt::Debug for Tokio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.flavor.name())
    }
}

impl Runtime for Tokio {
    /// Runs `future` on this runtime, with tokio as jobloop's current runtime: the free
    /// functions call tokio's spawner and timers directly.
    ///
    /// # Panics
    ///
    /// When a jobloop runtime is already running on this thread (from inside a task).
    #[track_caller]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Made first, dropped last: the tasks it still holds are dropped once this thread has
        // left the runtime's context.
        let local_set = LocalSet::new();
        let _current = context::enter(Current::Tokio(self.flavor));
        struct Reset(bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                IN_LOCAL_SET.with(|flag| flag.set(self.0));
            }
        }
        let _reset = Reset(IN_LOCAL_SET.with(|flag| flag.replace(true)));
        self.runtime.block_on(local_set.run_until(future))
    }

    fn spawn_send(&self, task: SendTask) {
        drop(self.runtime.spawn(task));
    }

    fn spawn_local(&self, task: LocalTask) {
        drop(spawn_local(self.flavor, task));
    }

    fn sleep_until(&self, deadline: Instant) -> Delay {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    /// jobloop's pool, inside this runtime's context (see [`to_thread`](crate::to_thread)):
    /// not tokio's blocking pool, which dropping the runtime waits for.
    fn spawn_blocking(&self, work: BlockingWork) -> io::Result<()> {
        crate::thread_pool::spawn_in_tokio_context(Some(self.runtime.handle().clone()), work)
    }

    fn now(&self) -> Instant {
        let _context = self.runtime.enter();
        tokio::time::Instant::now().into_std()
    }

    /// tokio's paused time (`start_paused`), which only its current-thread runtime has.
    #[track_caller]
    fn with_virtual_time(self) -> Self {
        if self.flavor != Flavor::CurrentThread {
            panic!(
                "`virtual_time` needs tokio's current-thread runtime (tokio pauses time only \
                 there): use `jobloop::runtime::Tokio::current_thread()` instead of {}",
                self.flavor.name()
            );
        }
        let mut builder = Builder::new_current_thread();
        builder.start_paused(true);
        Tokio::build(builder, Flavor::CurrentThread)
    }

    /// [`block_on`](Runtime::block_on), which makes tokio the current runtime itself.
    #[track_caller]
    fn run<F: Future>(self, future: F) -> F::Output {
        self.block_on(future)
    }
}

/// Spawns a task that is not `Send` on tokio's `LocalSet` of this thread; panics with the fix
/// when this thread has none (a worker thread of a multi-thread runtime).
#[track_caller]
pub(crate) fn spawn_local<F>(flavor: Flavor, task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if !IN_LOCAL_SET.with(Cell::get) {
        panic!(
            "`jobloop::spawn` (and `tasks![]` without `send`) keeps its task on the thread that \
             starts it, and this is a worker thread of jobloop's {}, where tokio cannot keep a \
             task: use `jobloop::spawn_send` or `tasks![send; ...]` here (their futures must be \
             `Send`: `Arc` and `Mutex` instead of `Rc` and `RefCell`), or run the program on \
             `Tokio::current_thread()` or the embedded `EventLoop`",
            flavor.name()
        );
    }
    tokio::task::spawn_local(crate::erase::local(task))
}

/// Whether a task that is not `Send` can start on this thread: only inside `Tokio::block_on`'s
/// `LocalSet` (not on a worker thread of the multi-thread runtime).
pub(crate) fn can_spawn_local() -> bool {
    IN_LOCAL_SET.with(Cell::get)
}

/// Spawns a `Send` task with tokio's spawner (on any worker thread).
pub(crate) fn spawn<F>(task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(crate::erase::send(task))
}
