//! [`Event`]: asyncio's `Event`, on event-listener.

use crate::wait_site::SiteSlot;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use event_listener::EventListener;

/// A flag that tasks wait for (asyncio's `Event`): [`wait`](Event::wait) returns once it is
/// [`set`](Event::set), at once if it is set already; [`clear`](Event::clear) resets it.
///
/// As in asyncio, `set` releases every task waiting at that moment, even when `clear` follows
/// at once (a pulse): a waiter is released by the `set` that came after its `wait` began, not
/// by finding the flag still set when it next runs.
///
/// A cheap handle: clones share the same flag (`Send + Sync`).
///
/// ```
/// use jobloop_runtime::sync::Event;
/// use jobloop_runtime::{spawn, EventLoop};
///
/// EventLoop::new().block_on(async {
///     let ready = Event::new();
///     let waiter = spawn({
///         let ready = ready.clone();
///         async move {
///             ready.wait().await;
///             "went on"
///         }
///     });
///     ready.set();
///     assert_eq!(waiter.await, "went on");
///     assert!(ready.is_set());
/// });
/// ```
#[derive(Clone, Default)]
pub struct Event {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    set: AtomicBool,
    /// How many times `set` was called: a waiter that saw one number is released when it
    /// changes, whatever the flag says by then.
    sets: AtomicU64,
    waiters: event_listener::Event,
}

impl Event {
    /// A flag that is not set.
    pub fn new() -> Event {
        Event::default()
    }

    /// Sets the flag, waking every task that waits for it.
    pub fn set(&self) {
        self.inner.set.store(true, Ordering::SeqCst);
        self.inner.sets.fetch_add(1, Ordering::SeqCst);
        self.inner.waiters.notify(usize::MAX);
    }

    /// Resets the flag: later [`wait`](Event::wait)s wait for the next [`set`](Event::set).
    pub fn clear(&self) {
        self.inner.set.store(false, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.inner.set.load(Ordering::SeqCst)
    }

    /// Waits until the flag is set (returns at once if it is).
    #[track_caller]
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            sets_seen: None,
            listener: None,
            site: SiteSlot::here("Event::wait"),
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless you `.await` them"]
pub struct Wait<'a> {
    event: &'a Event,
    /// The number of `set`s when this wait began (its first poll).
    sets_seen: Option<u64>,
    listener: Option<EventListener>,
    /// Where the wait began (debug mode's tree, a deadlock's report).
    site: SiteSlot,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &*self.event.inner;
        // Read before the flag: a `set` after this reading either leaves the flag set or, if a
        // `clear` followed, changes the number.
        let sets = inner.sets.load(Ordering::SeqCst);
        let began = *self.sets_seen.get_or_insert(sets);
        loop {
            if self.event.is_set() || inner.sets.load(Ordering::SeqCst) != began {
                self.listener = None;
                self.site.done();
                return Poll::Ready(());
            }
            match &mut self.listener {
                // Listening, then checked again: a `set` in between is not missed.
                None => self.listener = Some(inner.waiters.listen()),
                Some(listener) => {
                    if Pin::new(listener).poll(cx).is_pending() {
                        crate::debug::waiting("Event::wait"); // the trace
                        self.site.pending(); // the tree, a deadlock's report
                        return Poll::Pending;
                    }
                    self.listener = None;
                }
            }
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").finish_non_exhaustive()
    }
}
