//! The loop's timer queue: the sleeping tasks, ordered by deadline. The public timers
//! ([`sleep`](crate::sleep), [`timeout`](crate::timeout)) register here on the embedded loop.

use std::collections::BTreeMap;
use std::task::Waker;
use std::time::Instant;

/// The sleeping tasks of a loop, ordered by deadline and then by the order the timers were set,
/// so that equal deadlines fire first-set, first-fired.
#[derive(Default)]
pub(crate) struct TimerQueue {
    timers: BTreeMap<(Instant, u64), Waker>,
    next_id: u64,
}

impl TimerQueue {
    /// Adds a timer; returns its id.
    pub(crate) fn insert(&mut self, deadline: Instant, waker: Waker) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.timers.insert((deadline, id), waker);
        id
    }

    /// Makes the timer wake `waker` (re-adding it if it is not queued); returns the waker it
    /// replaced, for the caller to drop outside the borrow.
    pub(crate) fn update(&mut self, deadline: Instant, id: u64, waker: &Waker) -> Option<Waker> {
        let slot = self
            .timers
            .entry((deadline, id))
            .or_insert_with(|| waker.clone());
        if slot.will_wake(waker) {
            None
        } else {
            Some(std::mem::replace(slot, waker.clone()))
        }
    }

    pub(crate) fn remove(&mut self, deadline: Instant, id: u64) -> Option<Waker> {
        self.timers.remove(&(deadline, id))
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers
            .first_key_value()
            .map(|(&(deadline, _), _)| deadline)
    }

    /// Removes and returns the wakers of the timers due at `now`, in firing order.
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<Waker> {
        let mut due = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > now {
                break;
            }
            due.push(entry.remove());
        }
        due
    }

    /// Removes every timer (when the loop is dropped).
    pub(crate) fn take_all(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.timers).into_values().collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.timers.len()
    }
}
