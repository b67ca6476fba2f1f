//! A task that says when it is ready: [`Ready`], which [`TaskSet::start`](super::TaskSet::start)
//! gives the task it starts (trio's `task_status`), and [`StartError`], what `start` gives when
//! the task ended before it said so.

use std::error::Error;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

use crate::error::TaskError;

/// Given to a task started with [`TaskSet::start`](super::TaskSet::start):
/// [`started(value)`](Ready::started) hands `value` to the `start` call that waits for it, while
/// the task runs on in the set (trio's `task_status.started(value)`). Dropping it without
/// calling `started` tells `start` to wait for the task's outcome instead.
#[must_use = "call `started(value)` once the task is ready: `start` waits for it"]
pub struct Ready<V> {
    shared: Arc<Mutex<Shared<V>>>,
}

/// What a [`Ready`] and the `start` waiting for it share.
struct Shared<V> {
    value: Option<V>,
    /// The `Ready` is gone (dropped, or consumed by `started`).
    gone: bool,
    waiter: Option<Waker>,
}

impl<V> Ready<V> {
    /// A `Ready` and the cell through which `start` waits for its value.
    pub(super) fn new() -> (Ready<V>, Started<V>) {
        let shared = Arc::new(Mutex::new(Shared {
            value: None,
            gone: false,
            waiter: None,
        }));
        (
            Ready {
                shared: shared.clone(),
            },
            Started { shared },
        )
    }

    /// The task is ready: `value` goes to the `start` call waiting for it.
    pub fn started(self, value: V) {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .value = Some(value);
        // The drop wakes the waiter.
    }
}

impl<V> Drop for Ready<V> {
    fn drop(&mut self) {
        let waiter = {
            let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
            shared.gone = true;
            shared.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl<V> fmt::Debug for Ready<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ready(..)")
    }
}

/// What `start` waits on: the value given to [`Ready::started`].
pub(super) struct Started<V> {
    shared: Arc<Mutex<Shared<V>>>,
}

impl<V> Started<V> {
    /// The value, once given; `Ready(None)` once the `Ready` is gone without one; otherwise
    /// `Pending`, with the waker registered.
    pub(super) fn poll_value(&self, cx: &mut Context<'_>) -> Poll<Option<V>> {
        let mut shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(value) = shared.value.take() {
            return Poll::Ready(Some(value));
        }
        if shared.gone {
            return Poll::Ready(None);
        }
        shared.waiter = Some(cx.waker().clone());
        Poll::Pending
    }

    /// The value, if it was given.
    pub(super) fn take(&self) -> Option<V> {
        self.shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .value
            .take()
    }
}

/// What [`TaskSet::start`](super::TaskSet::start) gives when the task ended before it called
/// [`Ready::started`]: its output, or its panic.
pub enum StartError<T> {
    /// The task returned before it was ready: its output (an `Err` of its own, often).
    Ended(T),
    /// The task panicked before it was ready.
    Panicked(TaskError),
}

impl<T: fmt::Debug> fmt::Debug for StartError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Ended(output) => f.debug_tuple("Ended").field(output).finish(),
            StartError::Panicked(error) => f.debug_tuple("Panicked").field(error).finish(),
        }
    }
}

impl<T: fmt::Debug> fmt::Display for StartError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Ended(output) => {
                write!(
                    f,
                    "the task ended before it called `started`, with {output:?}"
                )
            }
            StartError::Panicked(error) => write!(f, "before it called `started`, {error}"),
        }
    }
}

impl<T: fmt::Debug> Error for StartError<T> {}
