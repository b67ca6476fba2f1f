//! The [`Runtime`] trait, and the runtimes jobloop can run on besides the embedded
//! [`EventLoop`]: [`Tokio`] (feature `tokio`), [`Smol`] (feature `smol`), and [`AnyRuntime`], which
//! picks one when the program starts.
//!
#![cfg_attr(
    not(feature = "tokio"),
    doc = "[`Tokio`]: https://docs.rs/jobloop-runtime/latest/jobloop_runtime/runtime/struct.Tokio.html"
)]
#![cfg_attr(
    not(feature = "smol"),
    doc = "[`Smol`]: https://docs.rs/jobloop-runtime/latest/jobloop_runtime/runtime/struct.Smol.html"
)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Instant;

use crate::context::{self, Current};
pub use crate::thread_pool::BlockingWork;
use crate::EventLoop;

mod any;
#[cfg(feature = "smol")]
pub(crate) mod smol;
#[cfg(feature = "tokio")]
pub(crate) mod tokio;

pub use any::AnyRuntime;
#[cfg(feature = "smol")]
pub use smol::Smol;
#[cfg(feature = "tokio")]
pub use tokio::Tokio;

/// A task for [`Runtime::spawn_send`]: it may run on any thread of the runtime.
pub type SendTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A task for [`Runtime::spawn_local`]: it must run on the thread that spawned it.
pub type LocalTask = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// A timer returned by [`Runtime::sleep_until`].
pub use crate::time::Delay;

/// An async runtime that jobloop programs can run on: run a future to completion, start tasks, and
/// provide a timer. That is all jobloop needs; tasks, groups and `tasks![]` are built on top.
///
/// `#[jobloop::job_main(runtime = EXPR)]` and `#[jobloop::job_test(runtime = EXPR)]` accept any
/// value whose type implements this trait; they call [`Runtime::run`]. Without the argument the
/// embedded [`EventLoop`] is used.
///
/// # Contract
///
/// - [`block_on`](Runtime::block_on) polls `future` on the calling thread until it completes,
///   and meanwhile runs the tasks spawned on the runtime. A panic of `future` propagates to the
///   caller.
/// - [`spawn_send`](Runtime::spawn_send) starts a task that the runtime polls to completion, on
///   any of its threads (as the free function [`spawn_send`](crate::spawn_send));
///   [`spawn_local`](Runtime::spawn_local) one that it polls only on the calling thread
///   (a runtime that cannot, such as a thread pool called from a worker, panics with a message
///   that says what to do instead). Both are called from inside the runtime (from the future
///   given to `block_on` or from a task). The tasks jobloop passes never panic (jobloop catches
///   the panics of the user's futures and hands them to whoever awaits the task) and return as
///   soon as jobloop cancels them; a runtime may drop an unfinished task when it shuts down.
/// - [`sleep_until`](Runtime::sleep_until) returns a future that completes at `deadline` (not
///   before), polled from inside the runtime.
///
/// While `block_on` runs under [`run`](Runtime::run), jobloop's free functions
/// ([`spawn`](crate::spawn), [`sleep`](crate::sleep), `tasks![]`) reach the runtime on the calling
/// thread. Runtimes with worker threads must make them reach it there too; the [`Tokio`] adapter
/// does. (jobloop's own runtimes, the [`EventLoop`] and the adapters, make themselves current in
/// `block_on` already, so that `block_on` can be called on a runtime that is kept and reused.)
///
#[cfg_attr(
    not(feature = "tokio"),
    doc = "[`Tokio`]: https://docs.rs/jobloop-runtime/latest/jobloop_runtime/runtime/struct.Tokio.html"
)]
///
/// # Example
///
/// `examples/custom_runtime.rs` implements the trait over `futures::executor::LocalPool`:
///
/// ```
/// use jobloop_runtime::runtime::{LocalTask, SendTask, Delay};
/// use jobloop_runtime::Runtime;
/// use std::cell::RefCell;
/// use std::future::Future;
/// use std::time::Instant;
///
/// /// The smallest runtime: one thread, tasks in a queue, timers that sleep the thread.
/// #[derive(Default)]
/// struct Tiny {
///     tasks: RefCell<Vec<LocalTask>>,
/// }
///
/// impl Runtime for Tiny {
///     fn block_on<F: Future>(&self, future: F) -> F::Output {
///         // Poll `future` and the tasks in turn; see examples/custom_runtime.rs for a real one.
///         # let _ = future; unimplemented!()
///     }
///     fn spawn_send(&self, task: SendTask) {
///         self.tasks.borrow_mut().push(task);
///     }
///     fn spawn_local(&self, task: LocalTask) {
///         self.tasks.borrow_mut().push(task);
///     }
///     fn sleep_until(&self, deadline: Instant) -> Delay {
///         # let _ = deadline; unimplemented!()
///     }
/// }
/// ```
pub trait Runtime: 'static {
    /// Runs `future` to completion on the calling thread, running the runtime's tasks meanwhile.
    fn block_on<F: Future>(&self, future: F) -> F::Output
    where
        Self: Sized;

    /// Starts a task that may run on any thread of the runtime.
    fn spawn_send(&self, task: SendTask);

    /// Starts a task that runs on the calling thread.
    fn spawn_local(&self, task: LocalTask);

    /// A future that completes at `deadline`, on the runtime's timer.
    fn sleep_until(&self, deadline: Instant) -> Delay;

    /// Runs `work`, a closure that may block, on a thread where blocking is fine: what
    /// [`to_thread`](crate::to_thread) calls. The default runs it on jobloop's own pool (at most
    /// [`MAX_THREADS`](crate::thread_pool::MAX_THREADS) threads); a runtime with a blocking pool
    /// of its own uses that. Returns an error when the work cannot run (no thread can be made).
    fn spawn_blocking(&self, work: BlockingWork) -> io::Result<()> {
        crate::thread_pool::spawn(work)
    }

    /// The runtime's clock, which [`now`](crate::now) and [`sleep`](crate::sleep) read. The
    /// default is the real time; a runtime with a virtual clock returns its time.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// This runtime with a virtual clock: time stands still while tasks run, and jumps to the
    /// next timer's deadline whenever every task waits on a timer. What
    /// `#[job_test(virtual_time)]` calls.
    ///
    /// # Panics
    ///
    /// The default panics: the runtime has no virtual clock. The message names the runtimes
    /// that have one.
    #[track_caller]
    fn with_virtual_time(self) -> Self
    where
        Self: Sized,
    {
        panic!(
            "`virtual_time` is not supported by the runtime `{}`: use the embedded \
             `jobloop::EventLoop` (the default) or `jobloop::runtime::Tokio::current_thread()`",
            std::any::type_name::<Self>()
        )
    }

    /// Runs `future` to completion with this runtime as jobloop's current runtime: what
    /// `#[job_main(runtime = EXPR)]` calls. A runtime of your own keeps the default, which
    /// reaches it through this trait; jobloop's adapters override it to be reached directly.
    ///
    /// ```
    /// use jobloop_runtime::{sleep, EventLoop, Runtime};
    /// use std::time::Duration;
    ///
    /// let out = EventLoop::new().run(async {
    ///     sleep(Duration::from_millis(1)).await;
    ///     5
    /// });
    /// assert_eq!(out, 5);
    /// ```
    #[track_caller]
    fn run<F: Future>(self, future: F) -> F::Output
    where
        Self: Sized,
    {
        let runtime = Rc::new(self);
        let _current = context::enter(Current::Runtime(runtime.clone()));
        runtime.block_on(future)
    }
}

impl Runtime for EventLoop {
    #[track_caller]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        EventLoop::block_on(self, future)
    }

    fn spawn_send(&self, task: SendTask) {
        self.spawn_detached(task);
    }

    fn spawn_local(&self, task: LocalTask) {
        self.spawn_detached(task);
    }

    fn sleep_until(&self, deadline: Instant) -> Delay {
        Box::pin(crate::time::sleep_until(deadline))
    }

    fn now(&self) -> Instant {
        self.core_now()
    }

    #[track_caller]
    fn with_virtual_time(self) -> Self {
        EventLoop::with_virtual_time(self)
    }

    /// The loop is its own context: `block_on` makes it current.
    #[track_caller]
    fn run<F: Future>(self, future: F) -> F::Output {
        EventLoop::block_on(&self, future)
    }
}
