//! Fairness on every runtime: an operation that completes at once (I/O on a socket that is always
//! ready, a timer already due) spends a unit of a budget, and a task that spends it yields, so
//! that it still lets the other tasks, the timers and the I/O of its thread have their turn.
//!
//! - On the embedded loop each poll of a task gets [`BUDGET`] operations (the loop refills it
//!   before each poll: `LoopCore::take_budget`).
//! - On tokio, tokio's own cooperative budget (also 128 per poll), which its reactor and timers
//!   spend too.
//! - Elsewhere (smol, whose `Async` I/O completes at once without yielding, and a runtime of
//!   one's own), no hook runs before each poll: a budget per thread, refilled when a task yields
//!   for it. A task that does one ready operation per poll may then yield once in [`BUDGET`]
//!   polls without need; a task that never waits yields every [`BUDGET`] operations.

use std::cell::Cell;
use std::task::{Context, Poll};

use crate::context;

/// Operations a task may do in one poll before it yields.
pub(crate) const BUDGET: u32 = 128;

/// Ready at once while the running task has budget left (taking one unit); otherwise yields once
/// and is ready when polled again, in a later turn of its runtime, with a fresh budget.
#[cfg(any(feature = "net", feature = "process"))]
pub(crate) fn spend() -> Spend {
    Spend { yielded: false }
}

/// The future of [`spend`].
#[cfg(any(feature = "net", feature = "process"))]
pub(crate) struct Spend {
    yielded: bool,
}

#[cfg(any(feature = "net", feature = "process"))]
impl std::future::Future for Spend {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
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
        Some(true) => Poll::Ready(()),
        Some(false) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        None => poll_spend_off_the_loop(cx),
    }
}

#[inline(never)]
fn poll_spend_off_the_loop(cx: &mut Context<'_>) -> Poll<()> {
    #[cfg(feature = "tokio")]
    if context::with_current_or_none(|current| matches!(current, Some(context::Current::Tokio(_))))
    {
        return tokio::task::coop::poll_proceed(cx).map(|progress| progress.made_progress());
    }
    thread_local! {
        static LEFT: Cell<u32> = const { Cell::new(BUDGET) };
    }
    let spent = LEFT
        .try_with(|left| match left.get() {
            0 => {
                left.set(BUDGET);
                true
            }
            n => {
                left.set(n - 1);
                false
            }
        })
        .unwrap_or(false);
    if spent {
        cx.waker().wake_by_ref();
        return Poll::Pending;
    }
    Poll::Ready(())
}
