//! Fairness: each poll of a task on the loop gets a budget of operations (I/O and timers that are
//! ready at once). A task that spends it yields, so that a task which always finds its socket or
//! its timer ready still lets the others, the timers and the I/O of the loop have their turn.
//! (tokio's cooperative budget does the same: 128 operations per poll.)

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::LoopCore;
use crate::context;

/// Operations a task may do in one poll before it yields.
pub(super) const BUDGET: u32 = 128;

impl LoopCore {
    /// Takes one unit of the running task's budget; `false` when it is spent.
    fn take_budget(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }
}

/// Ready at once while the running task has budget left (taking one unit); otherwise yields once
/// and is ready when polled again, in a later turn of the loop, with a fresh budget. Ready at
/// once outside the embedded loop.
pub(crate) fn spend() -> Spend {
    Spend { yielded: false }
}

/// The future of [`spend`].
pub(crate) struct Spend {
    yielded: bool,
}

impl Future for Spend {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded || poll_spend(cx).is_ready() {
            return Poll::Ready(());
        }
        self.yielded = true;
        Poll::Pending
    }
}

/// [`spend`] for a poll function: `Pending` (having woken the task) when the budget is spent.
pub(crate) fn poll_spend(cx: &mut Context<'_>) -> Poll<()> {
    match context::with_loop(|core| core.take_budget()) {
        Some(false) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        _ => Poll::Ready(()),
    }
}
