//! [`Handle`]: work handed to a runtime from any thread (asyncio's
//! `run_coroutine_threadsafe`, tokio's `Handle::spawn` and `Handle::block_on`).
//!
//! A handle reaches its runtime through a small task it starts there (`Serve`), which takes the
//! jobs other threads queue and starts each as a task of the runtime, on the runtime's thread,
//! with jobloop's own spawn. The task's output comes back through the plumbing of tasks on a
//! runtime of one's own (`task/foreign.rs`), which any thread may wait on. When the runtime is
//! dropped, so is `Serve`: the queue is closed, the jobs in it are dropped (their handles give
//! "runtime gone"), and later jobs are refused.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread, ThreadId};

use atomic_waker::AtomicWaker;

use crate::context::{self, Current};
use crate::task::{foreign, handle::RawHandle, JoinHandle};

/// A handle to the runtime that runs the current task, to give it work from any thread: a GUI
/// thread, a C library's callback, a blocking worker (asyncio's
/// `run_coroutine_threadsafe(coro, loop)`, tokio's `Handle`). `Clone + Send + Sync`.
///
/// [`spawn`](Handle::spawn) starts a `Send` future as a task of the runtime and gives its
/// [`JoinHandle`]; [`block_on`](Handle::block_on) runs a future there and blocks the calling
/// thread until its output is ready, while the runtime runs its other tasks. The work starts
/// when the runtime runs: between two `block_on`s of an `EventLoop`, it waits for the next. Once
/// the runtime is dropped, both give [`RuntimeGone`] (a [`JoinHandle`] given before then panics
/// when awaited, as any task's whose runtime was dropped). On a runtime of one's own this
/// relies on the runtime dropping its unfinished tasks when it is dropped.
///
/// A handle costs one small task on its runtime, which ends when the handle's last clone is
/// dropped: clone a handle rather than call `current` again where many are needed.
///
/// ```
/// use jobloop_runtime::{sleep, EventLoop, Handle};
/// use std::time::Duration;
///
/// EventLoop::new().block_on(async {
///     let handle = Handle::current();
///     let worker = std::thread::spawn(move || {
///         // A plain thread: runs work on the loop and waits for it.
///         handle.block_on(async { 6 * 7 }).unwrap()
///     });
///     while !worker.is_finished() {
///         sleep(Duration::from_millis(1)).await; // the loop goes on meanwhile
///     }
///     assert_eq!(worker.join().unwrap(), 42);
/// });
/// ```
#[derive(Clone)]
pub struct Handle {
    owner: Arc<Owner>,
    /// The thread of a runtime that runs on one thread (the loop, tokio's current-thread
    /// runtime, smol's, one's own): `block_on` there could never return.
    runtime_thread: Option<ThreadId>,
}

/// What the clones of one [`Handle`] share: when the last is dropped, the serving task ends.
/// While a handle lives, another thread may spawn through it: the loop counts it as a way to
/// wake (see `deadlock.rs`).
struct Owner {
    queue: Arc<Queue>,
    in_flight: crate::deadlock::InFlight,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.queue.lock().unowned = true;
        self.queue.server.wake();
    }
}

/// A job: starts a task on the runtime's thread.
type Job = Box<dyn FnOnce() + Send>;

/// The jobs queued for a runtime, and the waker of the task that serves them.
struct Queue {
    state: Mutex<State>,
    server: AtomicWaker,
}

struct State {
    jobs: Vec<Job>,
    /// The serving task is gone (its runtime was dropped): no job will ever run.
    closed: bool,
    /// Every handle is gone: the serving task ends once the jobs queued are started.
    unowned: bool,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `job`, or gives it back when the runtime is gone.
    fn push(&self, job: Job) -> Result<(), Job> {
        {
            let mut state = self.lock();
            if state.closed {
                return Err(job);
            }
            state.jobs.push(job);
        }
        self.server.wake();
        Ok(())
    }
}

/// The task that serves a handle's queue on its runtime: it runs forever, and closes the queue
/// when its runtime drops it.
struct Serve(Arc<Queue>);

impl Future for Serve {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Registered before the queue is taken: a job queued after the take wakes this task.
        self.0.server.register(cx.waker());
        let (jobs, unowned) = {
            let mut state = self.0.lock();
            (std::mem::take(&mut state.jobs), state.unowned)
        };
        for job in jobs {
            job();
        }
        // No handle can queue more: done (a job queued by the last handle before it went was
        // taken above, as `unowned` is set after it).
        if unowned {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let jobs = {
            let mut state = self.0.lock();
            state.closed = true;
            std::mem::take(&mut state.jobs)
        };
        // The runtime's waker is let go: a dead loop's wake queue is not kept alive by handles.
        drop(self.0.server.take());
        // Dropped outside the lock: each drops its task's future, whose handle then says the
        // runtime is gone.
        drop(jobs);
    }
}

impl Handle {
    /// The handle of the runtime that runs this thread's current task.
    ///
    /// # Panics
    ///
    /// When no jobloop runtime runs on this thread.
    #[track_caller]
    pub fn current() -> Handle {
        let current = context::expect_current("`jobloop::Handle::current`");
        let queue = Arc::new(Queue {
            state: Mutex::new(State {
                jobs: Vec::new(),
                closed: false,
                unowned: false,
            }),
            server: AtomicWaker::new(),
        });
        let serve = Serve(queue.clone());
        let here = Some(thread::current().id());
        // Started outside debug mode's watch (it is the runtime's, not the user's), it runs
        // until the last clone of this handle is gone, or is dropped with the runtime.
        let runtime_thread = match current {
            Current::Loop(core) => {
                core.spawn(serve).detach();
                here
            }
            #[cfg(feature = "tokio")]
            Current::Tokio(flavor) => {
                drop(crate::runtime::tokio::spawn(serve));
                here.filter(|_| flavor == crate::runtime::tokio::Flavor::CurrentThread)
            }
            #[cfg(feature = "smol")]
            Current::Smol(executor) => {
                crate::runtime::smol::spawn(&executor, serve).detach();
                here
            }
            Current::Runtime(runtime) => {
                runtime.spawn_send(Box::pin(serve));
                here
            }
        };
        Handle {
            owner: Arc::new(Owner {
                queue,
                in_flight: crate::deadlock::InFlight::new(),
            }),
            runtime_thread,
        }
    }

    /// Starts `future` as a task of the handle's runtime, from any thread, and gives its
    /// [`JoinHandle`] (which any thread may await, or drop to detach the task). The task starts
    /// when the runtime next runs.
    ///
    /// # Errors
    ///
    /// [`RuntimeGone`] when the runtime has been dropped.
    pub fn spawn<F>(&self, future: F) -> Result<JoinHandle<F::Output>, RuntimeGone>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handle = self.start(future)?;
        Ok(JoinHandle::from_raw(RawHandle::Foreign(handle)))
    }

    /// Runs `future` on the handle's runtime and blocks this thread until its output is
    /// ready; the runtime runs its other tasks meanwhile. A panic of the future resumes here.
    ///
    /// # Errors
    ///
    /// [`RuntimeGone`] when the runtime has been dropped, before or while the future runs.
    ///
    /// # Panics
    ///
    /// When this thread runs a jobloop runtime, or is the thread of the handle's own runtime
    /// (even between two of its `block_on`s): blocking it would stop that runtime (and, for the
    /// handle's own runtime, wait for ever). `.await` the future there instead.
    #[track_caller]
    pub fn block_on<F>(&self, future: F) -> Result<F::Output, RuntimeGone>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if self.owner.queue.lock().closed {
            return Err(RuntimeGone(()));
        }
        if context::current().is_some() || self.runtime_thread == Some(thread::current().id()) {
            panic!(
                "`Handle::block_on` was called on a thread that runs a jobloop runtime: blocking \
                 it would stop that runtime's tasks (and wait for ever on its own runtime). \
                 `.await` the future here, or `spawn` it; `block_on` is for other threads"
            );
        }
        let mut handle = self.start(future)?;
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            match handle.poll_output(&mut cx) {
                Poll::Ready(Some(Ok(output))) => return Ok(output),
                Poll::Ready(Some(Err(payload))) => resume_unwind(payload),
                Poll::Ready(None) => return Err(RuntimeGone(())),
                Poll::Pending => thread::park(),
            }
        }
    }

    /// Queues `future` to start on the runtime; its handle.
    fn start<F>(&self, future: F) -> Result<foreign::ForeignHandle<F::Output>, RuntimeGone>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let home = self.owner.in_flight.loop_count().cloned();
        let (task, handle) = foreign::wrap_on(future, home);
        // The task starts with this thread's context variables (feature `context`).
        let mut context = crate::context_var::Context::capture();
        let job: Job = Box::new(move || {
            let _context = context.enter();
            drop(crate::spawn_send(task));
        });
        match self.owner.queue.push(job) {
            Ok(()) => Ok(handle),
            // Dropped unrun: its task's future goes with it.
            Err(_job) => Err(RuntimeGone(())),
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("runtime_gone", &self.owner.queue.lock().closed)
            .finish()
    }
}

/// Wakes a thread parked in [`Handle::block_on`].
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// What a [`Handle`] gives once its runtime has been dropped: the work cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeGone(());

impl fmt::Display for RuntimeGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the runtime of this handle has been dropped: the work cannot run")
    }
}

impl Error for RuntimeGone {}
