//! The half of an event loop that wakers reach from any thread: every task's schedule function
//! holds a [`WakeQueue`], so that a waker fired on any thread hands its task back to the loop's
//! thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Wake;
use std::thread::{self, Thread};

use async_task::Runnable;

use super::injector::Injector;
#[cfg(not(any(feature = "net", feature = "process")))]
use super::park::OsWaker;
use crate::context;
#[cfg(any(feature = "net", feature = "process"))]
use mio::Waker as OsWaker;

/// An entry of the ready queue: a task, or `None` for the future given to `block_on` (the loop's
/// "main" task, which is not an `async_task` task because it need not be `'static`).
pub(crate) type Ready = Option<Runnable>;

/// The identities of loops, never reused.
static NEXT_LOOP_ID: AtomicUsize = AtomicUsize::new(1);

/// What other threads can reach of a loop.
pub(crate) struct WakeQueue {
    /// Wake-ups that arrived while the loop was not running on the waking thread.
    pub(super) injected: Injector<Ready>,
    /// Interrupts the loop's wait in the OS poller (nothing without I/O: the unpark does).
    waker: OsWaker,
    /// The thread that owns the loop (and its `!Send` tasks). It is unparked along with
    /// `waker`: the loop sleeps the last fraction of a millisecond before a timer parked.
    owner: Thread,
    /// Set when the loop is dropped.
    pub(super) closed: AtomicBool,
    /// This loop's identity, from a process-wide counter.
    pub(super) id: usize,
    /// Whether a task of this loop was woken from a thread that jobloop did not start for it
    /// (see `deadlock.rs`).
    unknown_waker: AtomicBool,
    /// Whether the loop looks for deadlocks, and so notes where wake-ups come from.
    pub(super) watch_wakers: AtomicBool,
}

impl WakeQueue {
    pub(super) fn new(waker: OsWaker) -> WakeQueue {
        WakeQueue {
            injected: Injector::new(),
            waker,
            owner: thread::current(),
            closed: AtomicBool::new(false),
            id: NEXT_LOOP_ID.fetch_add(1, Ordering::Relaxed),
            unknown_waker: AtomicBool::new(false),
            watch_wakers: AtomicBool::new(crate::debug::debug_on()),
        }
    }

    /// Hands a woken task (or main) back to the loop. Called by wakers, on any thread.
    #[inline]
    pub(crate) fn schedule(self: &Arc<Self>, entry: Ready) {
        let mut entry = Some(entry);
        // Fast path: woken on the loop's own thread while the loop runs.
        context::with_loop(|core| {
            if Arc::ptr_eq(&core.wake, self) {
                if let Some(entry) = entry.take() {
                    core.push_woken(entry);
                }
            }
        });
        if let Some(entry) = entry {
            self.schedule_from_afar(entry);
        }
    }

    /// [`schedule`](Self::schedule) from another thread, or while the loop is not running.
    fn schedule_from_afar(&self, entry: Ready) {
        if self.closed.load(Ordering::SeqCst) && thread::current().id() == self.owner.id() {
            // The loop is gone and this is its thread: drop the task here (its future may be
            // `!Send`, so this is the only thread allowed to).
            drop(entry);
            return;
        }
        if self.watch_wakers.load(Ordering::Relaxed) {
            self.note_waker();
        }
        // Another thread, or the loop is not running now: queue it and interrupt the loop's
        // wait. If the loop is gone and this is another thread, the task stays in this queue
        // (it cannot be dropped here); it is freed never, which leaks but is sound.
        if self.injected.push(entry) {
            self.notify();
        }
    }

    /// Notes whether this wake-up came from a thread jobloop does not know of.
    #[cold]
    fn note_waker(&self) {
        if thread::current().id() != self.owner.id() && !known_thread() {
            self.unknown_waker.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a task of this loop was ever woken from a thread jobloop does not know of.
    pub(super) fn woken_from_unknown_thread(&self) -> bool {
        self.unknown_waker.load(Ordering::Relaxed)
    }

    /// Interrupts the loop's wait: the OS poller's, or the park that ends it before a timer.
    /// Only the first push since the loop last took the queue calls this; the loop takes the
    /// queue after every wait, so later pushes ride on that one.
    fn notify(&self) {
        // An error means the poller is gone or broken; the loop cannot be reached then anyway.
        let _ = self.waker.wake();
        self.owner.unpark();
    }
}

/// Whether this thread is one that jobloop starts and whose wake-ups it counts while they may
/// come (see `deadlock.rs`): the `to_thread` pool, the signal and child-exit watchers, and on
/// Linux tokio's driver (see `tokio_context`).
fn known_thread() -> bool {
    let thread = thread::current();
    let name = thread.name().unwrap_or("");
    name.starts_with("jobloop-blocking-")
        || name == "jobloop-signals"
        || name == "jobloop-sigchld"
        || tokio_thread(name)
}

/// Whether `name` is a thread of the runtime that drives tokio-based types on the loop, when
/// the deadlock check can ask it what it holds (see `tokio_context`).
fn tokio_thread(name: &str) -> bool {
    #[cfg(feature = "tokio")]
    return (name == super::tokio_context::DRIVER_THREAD
        || name == super::tokio_context::BLOCKING_THREAD)
        && super::tokio_context::driver_checked();
    #[cfg(not(feature = "tokio"))]
    {
        let _ = name;
        false
    }
}

/// The waker of the future given to `block_on`: queues it (once) in the ready queue.
pub(super) struct MainWaker {
    pub(super) queued: AtomicBool,
    pub(super) wake: Arc<WakeQueue>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::SeqCst) {
            self.wake.schedule(None);
        }
    }
}
