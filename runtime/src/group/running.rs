//! The running tasks of a group that takes its tasks' outcomes in the order they finish: the
//! mode groups ([`Group`](super::Group)), their streams, and [`TaskSet`](super::TaskSet).
//!
//! Each task runs as a member whose hooks know its slot here. When a task finishes, its member
//! queues its slot in the link (and wakes the group); the group then takes the task's outcome
//! from its handle and frees the slot for the next task. So the next task can start as soon as
//! any task finishes (a capacity limit, as `asyncio.Semaphore`), and the memory of a finished
//! task is given back at once.
//!
//! Cancelling is complete: when the group ends early or is dropped, the tasks still running are
//! cancelled, and the group counts their futures until every one is gone (on the embedded loop
//! that is at once; see `event_loop/cancel.rs`).

use std::panic::resume_unwind;
use std::task::{Context, Poll};

use super::{Alive, Hooks, Link, Member, Payload};
use crate::error::{TaskError, TaskErrorKind};
use crate::task::cancel::Canceller;
use crate::task::handle::RawHandle;

/// The hooks of a member of a running set: its outcome goes to its handle (a panic as its
/// payload), and its slot to the link, at once.
pub(crate) struct SlotHooks<L> {
    link: L,
    slot: usize,
}

impl<T, L: Link> Hooks<T> for SlotHooks<L> {
    type Output = Result<T, Payload>;

    fn finished(&self, output: T) -> Result<T, Payload> {
        self.link.finished(self.slot);
        Ok(output)
    }

    fn panicked(&self, payload: Payload) -> Result<T, Payload> {
        self.link.finished(self.slot);
        Err(payload)
    }
}

impl<L: Link> Alive for SlotHooks<L> {
    fn dropped(&self) {
        self.link.dropped();
    }
}

/// A member of a running set.
pub(crate) type SlotMember<F, L> = Member<F, SlotHooks<L>>;

/// What became of a task.
pub(crate) enum Outcome<T> {
    /// It gave its output.
    Output(T),
    /// It panicked, with this payload.
    Panicked(Payload),
    /// Its runtime dropped it before it finished (the runtime shut down).
    Dropped,
}

impl<T> Outcome<T> {
    /// The outcome as a [`TaskError`] when it is not an output, named `name`.
    pub(crate) fn into_result(self, name: impl FnOnce() -> String) -> Result<T, TaskError> {
        match self {
            Outcome::Output(output) => Ok(output),
            Outcome::Panicked(payload) => Err(TaskError::panicked(name(), &*payload)),
            Outcome::Dropped => Err(TaskError::new(name(), TaskErrorKind::Cancelled)),
        }
    }
}

/// The handle of a running set's task: its output, or its panic's payload.
type SlotHandle<T> = RawHandle<Result<T, Payload>>;

/// The running tasks of a group, by slot, each with its index in the group.
pub(crate) struct Running<T, L: Link> {
    slots: Vec<Option<(usize, SlotHandle<T>)>>,
    free: Vec<usize>,
    running: usize,
    /// Slots reported finished, taken from the link, in the order they finished; those before
    /// `cursor` were taken.
    finished: Vec<usize>,
    cursor: usize,
    /// Slots reported finished whose outputs were not stored yet (their task ran on another
    /// thread and had not returned): looked at again at the next poll.
    late: Vec<usize>,
    pub(crate) link: L,
    pub(crate) canceller: Canceller<L::Held>,
}

impl<T, L: Link> Running<T, L> {
    pub(crate) fn new() -> Running<T, L> {
        Running {
            slots: Vec::new(),
            free: Vec::new(),
            running: 0,
            finished: Vec::new(),
            cursor: 0,
            late: Vec::new(),
            link: L::default(),
            canceller: Canceller::default(),
        }
    }

    /// How many tasks are running (or finished and not taken yet).
    pub(crate) fn len(&self) -> usize {
        self.running
    }

    /// Starts task `index`: `spawn` starts its member, with the canceller and the hooks that
    /// give the member its slot here, and returns the member's handle.
    #[inline]
    pub(crate) fn start(
        &mut self,
        index: usize,
        spawn: impl FnOnce(&mut Canceller<L::Held>, SlotHooks<L>) -> SlotHandle<T>,
    ) {
        let slot = match self.free.last() {
            Some(&slot) => slot,
            None => self.slots.len(),
        };
        let hooks = SlotHooks {
            link: self.link.clone(),
            slot,
        };
        let handle = spawn(&mut self.canceller, hooks);
        // Counted once the member exists (the spawn panics when no runtime runs here).
        self.link.started();
        self.running += 1;
        let entry = Some((index, handle));
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else {
            self.free.pop();
            self.slots[slot] = entry;
        }
    }

    /// Takes the outcome of the next task that finished, in the order they finished: `Pending`
    /// (having registered the waker) when none did since.
    #[inline]
    pub(crate) fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<(usize, Outcome<T>)> {
        // The list is refilled once per call: a late slot's output may stay pending for the
        // whole of this poll (tokio's cooperative budget), and looping on it would spin.
        let mut refilled = false;
        loop {
            if self.cursor == self.finished.len() {
                if refilled {
                    return Poll::Pending;
                }
                refilled = true;
                self.finished.clear();
                self.cursor = 0;
                // The late ones first: they finished before the others.
                self.finished.append(&mut self.late);
                // Registered before taking: a member that finishes after the take wakes us.
                self.link.register(cx);
                self.link.take_finished(&mut self.finished);
                if self.finished.is_empty() {
                    return Poll::Pending;
                }
            }
            let slot = self.finished[self.cursor];
            self.cursor += 1;
            let Some((_, handle)) = self.slots.get_mut(slot).and_then(Option::as_mut) else {
                continue; // cancelled meanwhile
            };
            let outcome = match handle.poll_output(cx) {
                Poll::Pending => {
                    self.late.push(slot);
                    continue;
                }
                Poll::Ready(Some(Ok(output))) => Outcome::Output(output),
                Poll::Ready(Some(Err(payload))) => Outcome::Panicked(payload),
                Poll::Ready(None) => Outcome::Dropped,
            };
            let index = self.take(slot);
            return Poll::Ready((index, outcome));
        }
    }

    /// Frees `slot`; returns the index of its task.
    fn take(&mut self, slot: usize) -> usize {
        let (index, handle) = self.slots[slot].take().expect("a slot in use");
        drop(handle);
        self.free.push(slot);
        self.running -= 1;
        index
    }

    /// The indexes of the tasks still running, in spawn order; their outputs, if they finished
    /// meanwhile, stay in their tasks.
    pub(crate) fn indexes(&self) -> Vec<usize> {
        let mut indexes: Vec<usize> = self.slots.iter().flatten().map(|(i, _)| *i).collect();
        indexes.sort_unstable();
        indexes
    }

    /// Cancels every task still running: their futures are dropped now (but one being polled
    /// on another thread at this moment, dropped as that poll returns; see `task/cancel.rs`).
    pub(crate) fn cancel(&mut self) {
        let (slots, link) = (&mut self.slots, &self.link);
        self.canceller.cancel_now(
            || {
                for slot in slots.iter_mut() {
                    drop(slot.take());
                }
            },
            || link.alive(),
        );
        self.free.clear();
        self.free.extend(0..self.slots.len());
        self.free.reverse();
        self.running = 0;
        self.finished.clear();
        self.cursor = 0;
        self.late.clear();
    }

    /// Whether every cancelled task's future is gone; registers the waker when not.
    pub(crate) fn poll_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.link.register(cx);
        if self.link.alive() == 0 {
            self.canceller.release();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<T, L: Link> Drop for Running<T, L> {
    fn drop(&mut self) {
        if self.running > 0 {
            self.cancel();
        }
    }
}

/// How a group ends once it is decided: with its output, or with a task's panic to resume. It is
/// held while the group waits for its cancelled tasks.
pub(crate) enum Ending<O> {
    Output(O),
    Panic(Payload),
}

impl<O> Ending<O> {
    /// The output, or the panic resumed.
    pub(crate) fn finish(self) -> O {
        match self {
            Ending::Output(output) => output,
            Ending::Panic(payload) => resume_unwind(payload),
        }
    }
}
