//! [`Condvar`]: asyncio's `Condition`, on event-listener, for a [`Mutex`](super::Mutex)'s guard.

use std::fmt;
use std::future::Future;

use event_listener::Event;

use super::MutexGuard;

/// Tasks waiting for a condition on data behind a [`Mutex`](super::Mutex) (asyncio's
/// `Condition`, with its lock given to each wait, as `std::sync::Condvar` takes it):
/// [`wait`](Condvar::wait) releases the guard, waits until [`notify_one`](Condvar::notify_one)
/// or [`notify_all`](Condvar::notify_all) is called, and takes the lock again. No notification
/// is lost between the release and the wait: the waiter is registered before the lock is
/// released. As with every condition variable, check the condition again after waking
/// ([`wait_while`](Condvar::wait_while) does).
///
/// A waiter cancelled after it was notified (its task dropped by a `race` or a `try`), before
/// or while it takes the lock again, passes its notification on to the next waiter.
///
/// ```
/// use jobloop_runtime::sync::{Condvar, Mutex};
/// use jobloop_runtime::{spawn, EventLoop};
/// use std::sync::Arc;
///
/// // asyncio: async with cond: await cond.wait_for(lambda: ready) ... cond.notify_all()
/// let value = EventLoop::new().block_on(async {
///     let shared = Arc::new((Mutex::new(None), Condvar::new()));
///     let producer = {
///         let shared = shared.clone();
///         spawn(async move {
///             let (data, ready) = &*shared;
///             *data.lock().await = Some(42);
///             ready.notify_all();
///         })
///     };
///     let (data, ready) = &*shared;
///     let guard = ready.wait_while(data.lock().await, |value| value.is_none()).await;
///     let value = guard.unwrap();
///     drop(guard);
///     producer.await;
///     value
/// });
/// assert_eq!(value, 42);
/// ```
#[derive(Default)]
pub struct Condvar {
    event: Event,
}

impl Condvar {
    /// A condition variable with no waiter.
    pub fn new() -> Condvar {
        Condvar {
            event: Event::new(),
        }
    }

    /// Releases `guard`'s lock, waits until notified, then takes the lock again and gives its
    /// guard back. The data may have changed meanwhile, and a wake-up may find the condition
    /// false again: check it in a loop, or use [`wait_while`](Condvar::wait_while).
    #[track_caller]
    pub fn wait<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
    ) -> impl Future<Output = MutexGuard<'a, T>> + use<'_, 'a, T> {
        crate::wait_site::sited("Condvar::wait", self.wait_here(guard))
    }

    /// [`wait`](Condvar::wait), without its site.
    async fn wait_here<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = MutexGuard::source(&guard);
        // Registered before the lock is released: a notification right after the release
        // reaches this waiter.
        let listener = self.event.listen();
        drop(guard);
        listener.await;
        // The notification is this waiter's now: if it is cancelled before it has the lock
        // again, the notification goes on to the next waiter.
        let mut pass_on = PassOn(&self.event, true);
        let guard = mutex.lock().await;
        pass_on.1 = false;
        guard
    }

    /// Waits while `condition` holds for the data (checked first with the guard given, then
    /// after each wake-up, with the lock held); gives the guard back once it does not.
    #[track_caller]
    pub fn wait_while<'a, T: ?Sized, C: FnMut(&mut T) -> bool>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: C,
    ) -> impl Future<Output = MutexGuard<'a, T>> + use<'_, 'a, T, C> {
        let at = std::panic::Location::caller();
        async move {
            while condition(&mut *guard) {
                let wait = self.wait_here(guard);
                guard = crate::wait_site::sited_at("Condvar::wait_while", at, wait).await;
            }
            guard
        }
    }

    /// Wakes one waiting task, if one waits: each call wakes another one.
    pub fn notify_one(&self) {
        self.event.notify_additional(1);
    }

    /// Wakes every task waiting now.
    pub fn notify_all(&self) {
        self.event.notify_additional(usize::MAX);
    }
}

/// A notification taken by a waiter that may yet be cancelled: handed to the next waiter when
/// dropped armed.
struct PassOn<'a>(&'a Event, bool);

impl Drop for PassOn<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.notify_additional(1);
        }
    }
}

impl fmt::Debug for Condvar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condvar")
            .field("waiters", &self.event.total_listeners())
            .finish()
    }
}
