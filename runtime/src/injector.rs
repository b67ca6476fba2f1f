//! The queue through which other threads hand woken tasks to the loop: the one structure of the
//! loop that is shared between threads, model-checked with loom (`cfg(loom)`).
//!
//! Protocol: a waking thread pushes under the lock, then sets the flag, then interrupts the
//! loop's wait (`Poller::notify`). The loop reads the flag first (a plain load on most turns)
//! and takes the queue only when it is set. A push whose flag the loop missed is taken at the
//! next turn, which the notify guarantees.

use std::sync::atomic::Ordering;

use crate::sync::{AtomicBool, Mutex, MutexGuard};

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

    /// Adds an item (any thread). The caller then interrupts the loop's wait.
    pub(crate) fn push(&self, item: T) {
        self.lock().push(item);
        // After the push: a loop that sees the flag finds the item under the lock.
        self.has_items.store(true, Ordering::Release);
    }

    /// Takes the items pushed so far (the loop's thread); cheap when there are none.
    pub(crate) fn take(&self) -> Vec<T> {
        // A plain load first: the swap is a locked instruction, not needed on most turns.
        if !self.has_items.load(Ordering::Relaxed) || !self.has_items.swap(false, Ordering::Acquire)
        {
            return Vec::new();
        }
        std::mem::take(&mut *self.lock())
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

#[cfg(all(test, loom))]
mod loom_model {
    //! `RUSTFLAGS="--cfg loom" cargo test -p jobloop-runtime --lib --release loom_model`, in a
    //! target directory of its own.

    use super::Injector;
    use loom::sync::Arc;
    use loom::thread;

    /// Two threads wake tasks while the loop takes: every item arrives exactly once, provided the
    /// loop takes again after the wakers are done (what their `notify` makes it do).
    #[test]
    fn no_wake_up_is_lost_or_repeated() {
        loom::model(|| {
            let injector = Arc::new(Injector::new());
            let wakers: Vec<_> = (0..2)
                .map(|id| {
                    let injector = injector.clone();
                    thread::spawn(move || injector.push(id))
                })
                .collect();
            let mut seen = injector.take();
            for waker in wakers {
                waker.join().unwrap();
            }
            seen.extend(injector.take());
            seen.sort();
            assert_eq!(seen, [0, 1]);
        });
    }

    /// One waker, the loop taking twice meanwhile: nothing is taken twice or left behind.
    #[test]
    fn takes_racing_a_push_see_it_once() {
        loom::model(|| {
            let injector = Arc::new(Injector::new());
            let pusher = {
                let injector = injector.clone();
                thread::spawn(move || injector.push(7))
            };
            let mut seen = injector.take();
            seen.extend(injector.take());
            pusher.join().unwrap();
            seen.extend(injector.take());
            assert_eq!(seen, [7]);
        });
    }
}
