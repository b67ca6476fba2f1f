//! A task that says when it is ready: [`Ready`], which [`TaskSet::start`](super::TaskSet::start)
//! gives the task it starts (trio's `task_status`), and [`StartError`], what `start` gives when
//! the task ended before it said so.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_channel::oneshot;

use crate::error::TaskError;

/// Given to a task started with [`TaskSet::start`](super::TaskSet::start):
/// [`started(value)`](Ready::started) hands `value` to the `start` call that waits for it, while
/// the task runs on in the set (trio's `task_status.started(value)`). Dropping it without
/// calling `started` tells `start` to wait for the task's outcome instead.
#[must_use = "call `started(value)` once the task is ready: `start` waits for it"]
pub struct Ready<V> {
    /// The sending end of a one-shot channel: dropped unsent, it tells `start` so.
    sender: oneshot::Sender<V>,
}

impl<V> Ready<V> {
    /// A `Ready` and the channel's end through which `start` waits for its value.
    pub(super) fn new() -> (Ready<V>, Started<V>) {
        let (sender, receiver) = oneshot::channel();
        (Ready { sender }, Started { receiver })
    }

    /// The task is ready: `value` goes to the `start` call waiting for it.
    pub fn started(self, value: V) {
        // `start` may be gone (a timeout around it): then nobody waits for the value.
        let _ = self.sender.send(value);
    }
}

impl<V> fmt::Debug for Ready<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ready(..)")
    }
}

/// What `start` waits on: the value given to [`Ready::started`].
pub(super) struct Started<V> {
    receiver: oneshot::Receiver<V>,
}

impl<V> Started<V> {
    /// The value, once given; `Ready(None)` once the `Ready` is gone without one; otherwise
    /// `Pending`, with the waker registered.
    pub(super) fn poll_value(&mut self, cx: &mut Context<'_>) -> Poll<Option<V>> {
        Pin::new(&mut self.receiver).poll(cx).map(Result::ok)
    }

    /// The value, if it was given.
    pub(super) fn take(&mut self) -> Option<V> {
        self.receiver.try_recv().ok().flatten()
    }
}

/// What [`TaskSet::start`](super::TaskSet::start) gives when the task ended before it called
/// [`Ready::started`]: its output, its panic, or its cancel.
pub enum StartError<T> {
    /// The task returned before it was ready: its output (an `Err` of its own, often).
    Ended(T),
    /// The task panicked before it was ready.
    Panicked(TaskError),
    /// The task was cancelled before it was ready, by a
    /// [`TaskSetSpawner::cancel_task`](super::TaskSetSpawner::cancel_task) (the error's kind is
    /// [`Cancelled`](crate::TaskErrorKind::Cancelled)).
    Cancelled(TaskError),
}

impl<T: fmt::Debug> fmt::Debug for StartError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Ended(output) => f.debug_tuple("Ended").field(output).finish(),
            StartError::Panicked(error) => f.debug_tuple("Panicked").field(error).finish(),
            StartError::Cancelled(error) => f.debug_tuple("Cancelled").field(error).finish(),
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
            StartError::Panicked(error) | StartError::Cancelled(error) => {
                write!(f, "before it called `started`, {error}")
            }
        }
    }
}

impl<T: fmt::Debug> Error for StartError<T> {}
