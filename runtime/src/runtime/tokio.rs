//! The tokio adapter: jobloop programs on tokio's current-thread or multi-thread runtime.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::time::Instant;

use tokio::runtime::{Builder, Handle};
use tokio::task::LocalSet;

use super::{LocalTask, Runtime, SendTask, Timer};
use crate::context::{self, Current};

thread_local! {
    /// Set while this thread runs `Tokio::block_on`, inside its `LocalSet`: only there can tasks
    /// that are not `Send` run.
    static IN_LOCAL_SET: Cell<bool> = const { Cell::new(false) };
    /// Set on the worker threads of a jobloop `Tokio::multi_thread` runtime.
    static IS_WORKER: Cell<bool> = const { Cell::new(false) };
}

/// A tokio runtime for jobloop programs: `jobloop::sleep` uses tokio's timer, `jobloop::spawn`
/// and `tasks![]` tokio's spawner, and tokio's I/O types (`tokio::net`) work inside the jobs.
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
/// - [`Tokio::multi_thread`] runs the `Send` tasks of `tasks![]` in parallel on its worker
///   threads. The order in which tasks start and end is then not fixed (outputs still come back
///   in the written order). Tasks that are not `Send`, and every task of
///   [`spawn`](crate::spawn), run on the thread that called `block_on` (in a tokio `LocalSet`);
///   a task that is not `Send`, spawned from a worker thread, panics with a message that says
///   how to fix it.
pub struct Tokio {
    runtime: tokio::runtime::Runtime,
    name: &'static str,
}

const CURRENT_THREAD: &str = "Tokio::current_thread()";

/// The part of a [`Tokio`] runtime tasks reach it through: on the worker threads, where the
/// runtime itself is not at hand.
struct TokioHandle {
    handle: Handle,
    name: &'static str,
}

impl Tokio {
    /// tokio's current-thread runtime, with its timer and I/O drivers.
    ///
    /// # Panics
    ///
    /// When tokio cannot start its drivers (out of file descriptors).
    #[track_caller]
    pub fn current_thread() -> Tokio {
        Tokio::build(Builder::new_current_thread(), CURRENT_THREAD)
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
        builder
            .worker_threads(workers.max(1))
            .on_thread_start(|| IS_WORKER.with(|worker| worker.set(true)));
        Tokio::build(builder, "Tokio::multi_thread(n)")
    }

    #[track_caller]
    fn build(mut builder: Builder, name: &'static str) -> Tokio {
        match builder.enable_all().build() {
            Ok(runtime) => Tokio { runtime, name },
            Err(error) => panic!("jobloop could not start tokio's runtime ({name}): {error}"),
        }
    }

    /// The tokio handle, to use tokio's own APIs next to jobloop's.
    pub fn handle(&self) -> &Handle {
        self.runtime.handle()
    }
}

impl fmt::Debug for Tokio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl Runtime for Tokio {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        struct Reset(bool);
        impl Drop for Reset {
            fn drop(&mut self) {
                IN_LOCAL_SET.with(|flag| flag.set(self.0));
            }
        }
        let _reset = Reset(IN_LOCAL_SET.with(|flag| flag.replace(true)));
        self.runtime.block_on(LocalSet::new().run_until(future))
    }

    fn spawn(&self, task: SendTask) {
        drop(self.runtime.spawn(task));
    }

    fn spawn_local(&self, task: LocalTask) {
        spawn_local(self.name, task);
    }

    fn sleep_until(&self, deadline: Instant) -> Timer {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    fn now(&self) -> Instant {
        let _context = self.runtime.enter();
        tokio::time::Instant::now().into_std()
    }

    fn tokio_handle(&self) -> Option<(&Handle, &'static str)> {
        Some((self.runtime.handle(), self.name))
    }

    /// tokio's paused time (`start_paused`), which only its current-thread runtime has.
    #[track_caller]
    fn with_virtual_time(self) -> Self {
        if self.name != CURRENT_THREAD {
            panic!(
                "`virtual_time` needs tokio's current-thread runtime (tokio pauses time only \
                 there): use `jobloop::runtime::Tokio::current_thread()` instead of {}",
                self.name
            );
        }
        let mut builder = Builder::new_current_thread();
        builder.start_paused(true);
        Tokio::build(builder, CURRENT_THREAD)
    }
}

impl Runtime for TokioHandle {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    fn spawn(&self, task: SendTask) {
        drop(self.handle.spawn(task));
    }

    fn spawn_local(&self, task: LocalTask) {
        spawn_local(self.name, task);
    }

    fn sleep_until(&self, deadline: Instant) -> Timer {
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }

    fn now(&self) -> Instant {
        let _context = self.handle.enter();
        tokio::time::Instant::now().into_std()
    }

    fn tokio_handle(&self) -> Option<(&Handle, &'static str)> {
        Some((&self.handle, self.name))
    }
}

fn spawn_local(name: &str, task: LocalTask) {
    drop(spawn_local_native(name, task));
}

/// Spawns a task that is not `Send` on tokio's `LocalSet` of this thread; panics with the fix
/// when this thread has none (a worker thread of a multi-thread runtime).
pub(crate) fn spawn_local_native<F>(name: &str, task: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    if !IN_LOCAL_SET.with(Cell::get) {
        panic!(
            "a task that is not `Send` was spawned on a worker thread of jobloop's {name}: tokio \
             runs such tasks only on the thread that called `block_on`. Make the task's future \
             `Send` (`Arc` and `Mutex` instead of `Rc` and `RefCell`), or run the program on \
             `Tokio::current_thread()` or the embedded `EventLoop`"
        );
    }
    tokio::task::spawn_local(task)
}

/// The context of a worker thread of a jobloop multi-thread runtime, made when a task there
/// first calls into jobloop (tokio's own context is entered by then).
pub(crate) fn worker_context() -> Option<Current> {
    if !IS_WORKER.with(Cell::get) {
        return None;
    }
    let handle = Handle::try_current().ok()?;
    let current = Current::Runtime(Rc::new(TokioHandle {
        handle,
        name: "Tokio::multi_thread(n)",
    }));
    context::install_for_thread(current.clone());
    Some(current)
}
