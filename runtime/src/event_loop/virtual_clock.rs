//! What the virtual clock needs to know about a turn of the loop: whether the tasks that ran only
//! woke themselves (`yield_now`, or a task that spends its budget). Such a turn makes no progress
//! a timer could be waiting for, so the clock may move to the next timer as if the loop were idle;
//! otherwise a task that only yields would freeze the clock, and with it every test that waits
//! on a timer beside it.
//!
//! Only a loop with a virtual clock keeps this log: each poll then clones the task's waker, so
//! that a wake-up can be told to come from the task itself.

use std::cell::{Cell, RefCell};
use std::task::Waker;
use std::time::{Duration, Instant};

use super::wake::Ready;

/// How long the loop may stay busy, with timers set and its clock unable to move, before it
/// stops with a message: tasks that keep waking each other (not themselves) without ever
/// waiting on a timer would otherwise hang the test silently.
#[cfg(not(test))]
const BUSY_LIMIT: Duration = Duration::from_secs(10);
/// Short in the unit tests, which check that the limit is kept.
#[cfg(test)]
const BUSY_LIMIT: Duration = Duration::from_millis(200);

/// The log of the current turn.
#[derive(Default)]
pub(super) struct TurnLog {
    /// Entries pushed to the ready queue this turn.
    pushed: Cell<u32>,
    /// Of those, the wake-ups of the task (or main) that was running, by itself.
    woke_itself: Cell<u32>,
    /// The waker of the task being polled.
    running: RefCell<Option<Waker>>,
    /// Whether the future given to `block_on` is being polled.
    running_main: Cell<bool>,
    /// Since when the loop has been busy with timers set and the clock unable to move.
    busy_since: Cell<Option<Instant>>,
}

impl TurnLog {
    /// A new turn begins.
    pub(super) fn begin_turn(&self) {
        self.pushed.set(0);
        self.woke_itself.set(0);
    }

    /// An entry was pushed to the ready queue (`woken`: by a wake-up on the loop's thread).
    pub(super) fn pushed(&self, entry: &Ready, woken: bool) {
        self.pushed.set(self.pushed.get() + 1);
        if !woken {
            return;
        }
        let itself = match entry {
            None => self.running_main.get(),
            Some(runnable) => self
                .running
                .borrow()
                .as_ref()
                .is_some_and(|running| running.will_wake(&runnable.waker())),
        };
        if itself {
            self.woke_itself.set(self.woke_itself.get() + 1);
        }
    }

    /// `runnable`'s task is about to be polled (`None`: it was).
    pub(super) fn running(&self, waker: Option<Waker>) {
        let previous = std::mem::replace(&mut *self.running.borrow_mut(), waker);
        drop(previous);
    }

    /// The future given to `block_on` is being polled, or no longer is.
    pub(super) fn running_main(&self, running: bool) {
        self.running_main.set(running);
    }

    /// Whether every entry pushed this turn was a task waking itself (and some were).
    pub(super) fn only_woke_themselves(&self) -> bool {
        let pushed = self.pushed.get();
        pushed > 0 && pushed == self.woke_itself.get()
    }

    /// The clock moved, or the loop went idle.
    pub(super) fn progressed(&self) {
        self.busy_since.set(None);
    }

    /// The turn ended busy, with timers set and the clock unable to move.
    ///
    /// # Panics
    ///
    /// When that has lasted [`BUSY_LIMIT`] of real time.
    pub(super) fn stuck(&self) {
        let since = *self.busy_since.get().get_or_insert_with(Instant::now);
        self.busy_since.set(Some(since));
        if since.elapsed() >= BUSY_LIMIT {
            panic!(
                "jobloop's virtual clock cannot move: for {BUSY_LIMIT:?} of real time the loop \
                 has been busy with tasks that keep waking each other, while timers wait for \
                 the clock. Time stands still while tasks run; make them wait on a timer \
                 (`jobloop::sleep`) or finish"
            );
        }
    }
}
