//! The queue through which other threads hand woken tasks to the loop: the one structure of the
//! loop that is shared between threads, model-checked with loom (`cfg(jobloop_loom)`).
//!
//! Protocol: a waking thread pushes under the lock, then sets the flag; if the flag was clear,
//! it interrupts the loop's wait (`WakeQueue::notify`, a system call). The loop reads the flag
//! first (a plain load on most turns), and when it is set, clears it and takes the queue. So
//! only the first push after each take pays for the interruption: a later push finds the flag
//! set, and the loop, already interrupted, takes its item with the first one's. A push whose
//! flag the loop missed is taken at the next turn, which the interruption guarantees.

use std::sync::atomic::Ordering;

use crate::primitives::{AtomicBool, Mutex, MutexGuard};

/// Items pushed by any thread, taken by the loop's thread.
pub(crate) struct Injector<T> {
    items: Mutex<Vec<T>>,
    /// Set after a push: the queue may hold items.
    has_items: AtomicBool,
}

impl<T> Injector<T> {
    pub(crate) fn new() -> Injector<T> {
        Injector {
            items: Mutex::new(Vec::new()),
            has_items: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds an item (any thread). Returns whether it is the first since the loop last took the
    /// queue: the caller must then interrupt the loop's wait.
    #[must_use = "the first push after a take must interrupt the loop's wait"]
    pub(crate) fn push(&self, item: T) -> bool {
        self.lock().push(item);
        // After the push: a loop that sees the flag finds the item under the lock. Finding the
        // flag set means an earlier push's interruption is pending, and the loop has not
        // cleared the flag yet: it will, then take this item too.
        !self.has_items.swap(true, Ordering::AcqRel)
    }

    /// Takes the items pushed so far (the loop's thread); `None` when there are none, which
    /// costs one load, inlined into the loop's turn.
    #[inline]
    pub(crate) fn take(&self) -> Option<Vec<T>> {
        // A plain load first (on x86 and ARM an acquire load is one): the swap is a locked
        // instruction, not needed on most turns.
        if !self.has_items.load(Ordering::Acquire) {
            return None;
        }
        self.take_flagged()
    }

    /// [`take`](Self::take) once the flag was seen set.
    #[inline(never)]
    fn take_flagged(&self) -> Option<Vec<T>> {
        if !self.has_items.swap(false, Ordering::AcqRel) {
            return None;
        }
        Some(std::mem::take(&mut *self.lock()))
    }

    /// Takes every item, whatever the flag says (when the loop is dropped).
    pub(crate) fn take_all(&self) -> Vec<T> {
        self.has_items.store(false, Ordering::Relaxed);
        std::mem::take(&mut *self.lock())
    }

    /// Whether the queue holds no item.
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

#[cfg(all(test, jobloop_loom))]
mod loom_model {
    //! `RUSTFLAGS="--cfg jobloop_loom" cargo test -p jobloop-runtime --lib --release loom_model`, in a
    //! target directory of its own. The loop is modelled as: take, and wait for an interruption
    //! (a `Notify`, which like the OS poller's waker coalesces interruptions) until it has every
    //! item. An interruption that a push owed but skipped leaves the loop waiting forever, which
    //! loom reports as a deadlock.

    use super::Injector;
    use loom::sync::{Arc, Notify};
    use loom::thread;

    /// The loop's side: takes until it has `count` items, waiting for interruptions between.
    fn take_until(injector: &Injector<usize>, interrupted: &Notify, count: usize) -> Vec<usize> {
        let mut seen = injector.take().unwrap_or_default();
        while seen.len() < count {
            interrupted.wait();
            seen.extend(injector.take().into_iter().flatten());
        }
        seen
    }

    /// Wakers on `threads` threads, one item each, each interrupting the loop when its push says so.
    fn wakers(
        injector: &Arc<Injector<usize>>,
        interrupted: &Arc<Notify>,
        threads: usize,
    ) -> Vec<thread::JoinHandle<()>> {
        (0..threads)
            .map(|id| {
                let injector = injector.clone();
                let interrupted = interrupted.clone();
                thread::spawn(move || {
                    if injector.push(id) {
                        interrupted.notify();
                    }
                })
            })
            .collect()
    }

    /// Two threads wake tasks while the loop takes and waits: every item arrives exactly once,
    /// and the loop is never left waiting with an item in the queue.
    #[test]
    fn no_wake_up_is_lost_or_repeated() {
        loom::model(|| {
            let injector = Arc::new(Injector::new());
            let interrupted = Arc::new(Notify::new());
            let wakers = wakers(&injector, &interrupted, 2);
            let mut seen = take_until(&injector, &interrupted, 2);
            for waker in wakers {
                waker.join().unwrap();
            }
            seen.extend(injector.take().into_iter().flatten());
            seen.sort();
            assert_eq!(seen, [0, 1]);
        });
    }

    /// One waker, the loop taking twice before it waits: nothing is taken twice or left behind.
    #[test]
    fn takes_racing_a_push_see_it_once() {
        loom::model(|| {
            let injector = Arc::new(Injector::new());
            let interrupted = Arc::new(Notify::new());
            let wakers = wakers(&injector, &interrupted, 1);
            let mut seen = injector.take().unwrap_or_default();
            seen.extend(take_until(&injector, &interrupted, 1 - seen.len()));
            for waker in wakers {
                waker.join().unwrap();
            }
            seen.extend(injector.take().into_iter().flatten());
            assert_eq!(seen, [0]);
        });
    }
}
