//! Blocking work off the loop: [`to_thread`] (asyncio's `to_thread`) runs a closure on a thread
//! where blocking is fine, and awaits its result while the runtime runs the other tasks.
//!
//! The closure runs on the pool here, on the embedded loop and on tokio (inside tokio's context,
//! so tokio's `Handle::current()` works in it); on smol's pool (the `blocking` crate) on smol;
//! and through [`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking) on a runtime of your
//! own. Nothing waits for these threads when a runtime is dropped or the program exits (see
//! [`to_thread`]). This pool is small and strict: at most [`MAX_THREADS`] threads, made when
//! work waits and none is idle, gone after 10 s without work; and when no thread runs and none
//! can be made, the work is refused with the OS's error at once, never queued for a thread that
//! will not come.

use crate::wait_site::SiteSlot;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use futures_channel::oneshot;

use crate::context::{self, Current};

/// A closure for [`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking).
pub type BlockingWork = Box<dyn FnOnce() + Send + 'static>;

/// The most threads jobloop's own pool runs at once; more work waits for one of them.
pub const MAX_THREADS: usize = 64;

/// How long an idle thread of the pool waits for work before it ends.
const IDLE: Duration = Duration::from_secs(10);

/// Runs `work` on a thread where blocking is fine, and waits for its result without blocking
/// the loop: other tasks run meanwhile (asyncio's `to_thread`). For work that blocks: reading
/// files with `std::fs`, hashing, compressing, a synchronous client library.
///
/// A panic of `work` resumes at the `.await`, with its payload. Dropping the future cannot stop
/// the thread (no one can stop a running closure): the work goes on, and its result is dropped
/// when it arrives.
///
/// When `main` returns, or its runtime is dropped, while such work still runs, nothing waits
/// for it, on every runtime: the program exits at once, and the closure is stopped where it is
/// by the exit (or, if the program goes on, runs to its end on its own and its result is
/// dropped). asyncio's `asyncio.run` waits for the threads of `to_thread` before it returns; a
/// jobloop program can always exit (on Ctrl-C too), so work that must finish is work `main`
/// awaits.
///
/// On the embedded loop and on tokio the work runs on jobloop's pool (at most [`MAX_THREADS`]
/// threads, so a flood of work waits rather than exhausting the OS; on tokio inside tokio's
/// context, but not on tokio's blocking pool, which tokio's runtime waits for when dropped); on
/// smol, on its pool; on a runtime of your own, on what its
/// [`spawn_blocking`](crate::Runtime::spawn_blocking) gives.
///
/// # Panics
///
/// At the `.await`, when the pool has no thread and the OS refuses to make one: the message
/// gives the OS's error.
///
/// ```
/// use jobloop_runtime::{sleep, to_thread, EventLoop};
/// use std::time::Duration;
///
/// let (sum, ticks) = EventLoop::new().block_on(async {
///     let work = to_thread(|| {
///         std::thread::sleep(Duration::from_millis(50)); // blocks its thread, not the loop
///         (1..=100u64).sum::<u64>()
///     });
///     let ticker = jobloop_runtime::spawn(async {
///         let mut ticks = 0;
///         for _ in 0..3 {
///             sleep(Duration::from_millis(5)).await;
///             ticks += 1;
///         }
///         ticks
///     });
///     (work.await, ticker.await)
/// });
/// assert_eq!((sum, ticks), (5050, 3));
/// ```
#[track_caller]
pub fn to_thread<F, T>(work: F) -> ToThread<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // The work's result comes back through a one-shot channel: a sender dropped unsent (the
    // pool dropped the work without running it, its runtime shut down) tells the future so,
    // instead of leaving it to wait for ever.
    let (result, receiver) = oneshot::channel();
    let job: BlockingWork = {
        // The closure runs with the caller's context variables (feature `context`).
        let mut context = crate::context_var::Context::capture();
        // Until the result is sent (the future woken), the loop counts this work as a way to
        // wake (see `deadlock.rs`).
        let in_flight = crate::deadlock::InFlight::new();
        Box::new(move || {
            let outcome = {
                let _context = context.enter();
                catch_unwind(AssertUnwindSafe(work))
            };
            // The future may be gone: then the result comes back, and is dropped here.
            let _ = result.send(outcome);
            drop(in_flight);
        })
    };
    let started = match context::current() {
        Some(Current::Loop(_)) | None => spawn(job),
        #[cfg(feature = "tokio")]
        Some(Current::Tokio(_)) => {
            spawn_in_tokio_context(::tokio::runtime::Handle::try_current().ok(), job)
        }
        #[cfg(feature = "smol")]
        Some(Current::Smol(_)) => {
            ::blocking::unblock(job).detach();
            Ok(())
        }
        Some(Current::Runtime(runtime)) => runtime.spawn_blocking(job),
    };
    ToThread {
        state: match started {
            Ok(()) => State::Waiting(receiver),
            Err(error) => State::Refused(Some(error)),
        },
        site: SiteSlot::here("to_thread"),
        awaiting: crate::deadlock::Awaiting::default(),
    }
}

/// The future of [`to_thread`]: the closure's result.
#[must_use = "the work runs anyway; `.await` the future for its result"]
pub struct ToThread<T> {
    state: State<T>,
    /// Where the wait began (debug mode's tree, a deadlock's report).
    site: SiteSlot,
    /// The wait, counted for the loop that awaits the work (see `deadlock.rs`).
    awaiting: crate::deadlock::Awaiting,
}

enum State<T> {
    Waiting(oneshot::Receiver<thread::Result<T>>),
    Refused(Option<io::Error>),
}

impl<T> Future for ToThread<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = &mut *self;
        match &mut this.state {
            State::Waiting(receiver) => {
                let Poll::Ready(result) = Pin::new(receiver).poll(cx) else {
                    crate::debug::waiting("to_thread"); // the trace
                    this.site.pending(); // the tree
                    this.awaiting.pending(None); // the deadlock check
                    return Poll::Pending;
                };
                this.site.done();
                this.awaiting.done();
                match result {
                    Ok(Ok(value)) => Poll::Ready(value),
                    Ok(Err(payload)) => resume_unwind(payload),
                    Err(oneshot::Canceled) => panic!(
                        "`jobloop::to_thread`: the runtime's blocking pool dropped the work \
                         without running it (it was shut down)"
                    ),
                }
            }
            State::Refused(error) => {
                let error = error.take().map_or_else(String::new, |e| e.to_string());
                panic!(
                    "`jobloop::to_thread` could not start a thread for its work: {error} (the \
                     system's limit of threads?)"
                )
            }
        }
    }
}

impl<T> std::fmt::Debug for ToThread<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToThread").finish_non_exhaustive()
    }
}

/// Runs `work` on jobloop's pool: what [`Runtime::spawn_blocking`](crate::Runtime::spawn_blocking)
/// does by default.
pub(crate) fn spawn(work: BlockingWork) -> io::Result<()> {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool::new(MAX_THREADS, spawn_thread))
        .submit(work)
}

/// Runs `work` on jobloop's pool, inside `handle`'s context (tokio's `Handle::current()`,
/// `tokio::fs` and the like work in it). Not on tokio's blocking pool: dropping a tokio runtime
/// waits for every closure there, so a program whose `main` gave up on a long blocking call
/// could not exit, not even on Ctrl-C.
#[cfg(feature = "tokio")]
pub(crate) fn spawn_in_tokio_context(
    handle: Option<::tokio::runtime::Handle>,
    work: BlockingWork,
) -> io::Result<()> {
    spawn(Box::new(move || {
        let _context = handle.as_ref().map(::tokio::runtime::Handle::enter);
        work();
    }))
}

/// How the pool makes a thread (a parameter, so that a test can make it fail).
type Spawner = fn(String, Box<dyn FnOnce() + Send>) -> io::Result<()>;

/// The pool's [`Spawner`]: a thread named `name` that runs `main`.
fn spawn_thread(name: String, main: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    thread::Builder::new().name(name).spawn(main).map(drop)
}

struct Pool {
    state: Mutex<PoolState>,
    work_waits: Condvar,
    max_threads: usize,
    spawner: Spawner,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<BlockingWork>,
    threads: usize,
    idle: usize,
}

impl Pool {
    fn new(max_threads: usize, spawner: Spawner) -> Pool {
        Pool {
            state: Mutex::new(PoolState::default()),
            work_waits: Condvar::new(),
            max_threads,
            spawner,
        }
    }

    fn submit(&'static self, work: BlockingWork) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.queue.push_back(work);
        // An idle thread takes one piece of work when it wakes, and counts itself busy only
        // then: work submitted before that (`output()`'s two pipe readers, back to back) needs
        // a thread of its own, or it waits behind the first, which may wait for it.
        if state.idle >= state.queue.len() {
            drop(state);
            self.work_waits.notify_one();
            return Ok(());
        }
        if state.threads >= self.max_threads {
            return Ok(()); // a running thread takes it when it is done
        }
        state.threads += 1;
        let number = state.threads;
        drop(state);
        let spawned = (self.spawner)(
            format!("jobloop-blocking-{number}"),
            Box::new(|| self.work()),
        );
        if let Err(error) = spawned {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.threads -= 1;
            if state.threads == 0 {
                // No thread will ever take it: refused now, not left to wait.
                state.queue.pop_back();
                return Err(error);
            }
        }
        Ok(())
    }

    /// A thread of the pool: runs work until none came for [`IDLE`].
    fn work(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(work) = state.queue.pop_front() {
                drop(state);
                // `to_thread` catches the work's panic; a panic that escapes still must not
                // take a thread of the pool (and its count) away.
                let _ = catch_unwind(AssertUnwindSafe(work));
                state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.idle += 1;
            let (next, waited) = self
                .work_waits
                .wait_timeout(state, IDLE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if waited.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::{spawn_thread, BlockingWork, Pool, State, ToThread};
    use crate::wait_site::SiteSlot;

    /// Work that a runtime's blocking pool dropped without running it (the pool shut down) is
    /// said where its future is awaited, instead of leaving it to wait for ever.
    #[test]
    fn work_dropped_without_running_is_said_at_the_await() {
        let (sender, receiver) = futures_channel::oneshot::channel::<std::thread::Result<u32>>();
        drop(sender);
        let future = ToThread {
            state: State::Waiting(receiver),
            site: SiteSlot::here("to_thread"),
            awaiting: crate::deadlock::Awaiting::default(),
        };
        let run = || crate::EventLoop::new().block_on(future);
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_err();
        let message = payload
            .downcast_ref::<&str>()
            .map(|m| m.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("dropped the work without running it"),
            "{message}"
        );
    }

    #[test]
    // The pool's idle threads outlive the test by design (10 s), which miri reports as
    // threads left running when main returns.
    #[cfg_attr(miri, ignore)]
    fn work_that_no_thread_can_take_is_refused_at_once() {
        static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
        let pool = POOL.get_or_init(|| {
            Pool::new(4, |_, _| {
                Err(io::Error::new(io::ErrorKind::WouldBlock, "no threads"))
            })
        });
        let ran = Arc::new(AtomicUsize::new(0));
        let work: BlockingWork = {
            let ran = ran.clone();
            Box::new(move || {
                ran.fetch_add(1, Ordering::SeqCst);
            })
        };
        let error = pool.submit(work).expect_err("refused");
        assert_eq!(error.to_string(), "no threads");
        assert!(
            pool.state.lock().unwrap().queue.is_empty(),
            "nothing left waiting"
        );
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }

    /// Two pieces of work submitted back to back while one thread is idle run at once: the
    /// second is not queued behind the first (which here waits for it, as `output()`'s stdout
    /// reader waits for the child that its stderr reader must drain).
    #[test]
    // The pool's idle threads outlive the test by design (10 s), which miri reports as
    // threads left running when main returns.
    #[cfg_attr(miri, ignore)]
    fn work_submitted_while_the_idle_thread_wakes_gets_a_thread_of_its_own() {
        static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
        let pool = POOL.get_or_init(|| Pool::new(4, spawn_thread));
        // One thread, idle.
        pool.submit(Box::new(|| {})).unwrap();
        let start = std::time::Instant::now();
        while pool.state.lock().unwrap().idle != 1 {
            assert!(start.elapsed() < std::time::Duration::from_secs(10));
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let (sender, receiver) = std::sync::mpsc::channel::<()>();
        let (result_sender, result) = std::sync::mpsc::channel::<bool>();
        pool.submit(Box::new(move || {
            let waited = receiver.recv_timeout(std::time::Duration::from_secs(2));
            result_sender.send(waited.is_ok()).unwrap();
        }))
        .unwrap();
        pool.submit(Box::new(move || sender.send(()).unwrap()))
            .unwrap();
        let first_saw_second = result
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        assert!(
            first_saw_second,
            "the second piece of work waited behind the first"
        );
    }

    #[test]
    // The pool's idle threads outlive the test by design (10 s), which miri reports as
    // threads left running when main returns.
    #[cfg_attr(miri, ignore)]
    fn the_pool_runs_at_most_its_threads_and_every_piece_of_work() {
        static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
        let pool = POOL.get_or_init(|| Pool::new(2, spawn_thread));
        let (running, most, done) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicUsize::new(0)),
        );
        for _ in 0..10 {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            pool.submit(Box::new(move || {
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(5));
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            }))
            .unwrap();
        }
        let start = std::time::Instant::now();
        while done.load(Ordering::SeqCst) < 10 {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "the work ran"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        assert!(most.load(Ordering::SeqCst) <= 2);
    }
}
