//! The running tasks of a group that takes its tasks' outcomes in the order they finish: the
//! mode groups ([`Group`](super::Group)), their streams, and [`TaskSet`](super::TaskSet).
//!
//! Each task runs as a member whose hooks know its slot here and its index. When a task
//! finishes, its member queues its outcome in the link, with the slot and the index, and wakes
//! the group; the group then takes the outcome, drops the task's handle and frees the slot for
//! the next task. So the next task can start as soon as any task finishes (a capacity limit, as
//! `asyncio.Semaphore`), and the memory of a finished task is given back at once. The outcome
//! comes through the link rather than out of the task's handle: taking it costs no poll of the
//! handle, and no wait for the runtime to store it.
//!
//! No future outlives the taking of its outcome: a member on the group's thread reports from
//! its last poll (the runtime drops its future before the group can run); a member on another
//! thread keeps its outcome in its hooks and reports when they are dropped, after its future
//! (see [`Link::Kept`]).
//!
//! Cancelling is complete: when the group ends early or is dropped, the tasks still running are
//! cancelled, and the group counts their futures until every one is gone (on the embedded loop
//! that is at once; see `event_loop/cancel.rs`).

use std::collections::VecDeque;
use std::task::{Context, Poll};

use super::link::Finished;
use super::{Hooks, Link, Payload};
use crate::task::cancel::Canceller;
use crate::task::handle::RawHandle;
use crate::unwind::drop_quietly;

/// The hooks of a member of a running set: they hand its outcome (a panic as its payload) to the
/// link with the slot and index, at once on the group's thread, else once the member's future
/// is dropped (they keep it until then).
pub(crate) struct SlotHooks<L: Link> {
    link: L,
    slot: usize,
    index: usize,
    kept: L::Kept,
}

impl<L: Link> SlotHooks<L> {
    #[inline]
    fn finish(&mut self, outcome: Result<L::Output, Payload>) {
        if let Some(outcome) = L::keep(&mut self.kept, outcome) {
            self.report(outcome);
        }
    }

    fn report(&self, outcome: Result<L::Output, Payload>) {
        self.link.finished(Finished {
            slot: self.slot,
            index: self.index,
            outcome,
        });
    }
}

impl<L: Link> Hooks<L::Output> for SlotHooks<L> {
    type Output = ();

    fn finished(&mut self, output: L::Output) {
        self.finish(Ok(output));
    }

    fn panicked(&mut self, payload: Payload) {
        self.finish(Err(payload));
    }

    /// The future is gone (the member drops its hooks after it, even when its destructor
    /// panicked): a kept outcome is queued before the member stops counting as alive, so a
    /// group that sees none alive has every outcome in the link.
    fn dropped(&mut self) {
        if let Some(outcome) = L::take_kept(&mut self.kept) {
            self.report(outcome);
        }
        self.link.dropped();
    }
}

/// The running tasks of a group, by slot, each with its index in the group. `L` is the link,
/// through which the tasks' outputs `L::Output` come.
pub(crate) struct Running<L: Link> {
    /// Each task's index and handle; its outcome comes through the link, so the handle's
    /// output is `()`.
    slots: Vec<Option<(usize, RawHandle<()>)>>,
    free: Vec<usize>,
    running: usize,
    /// The members reported finished, taken from the link, in the order they finished.
    finished: VecDeque<Finished<L::Output>>,
    pub(crate) link: L,
    pub(crate) canceller: Canceller,
}

impl<L: Link> Running<L> {
    pub(crate) fn new() -> Running<L> {
        Running {
            slots: Vec::new(),
            free: Vec::new(),
            running: 0,
            finished: VecDeque::new(),
            link: L::default(),
            canceller: Canceller::default(),
        }
    }

    /// How many tasks are running (or finished and not taken yet).
    pub(crate) fn len(&self) -> usize {
        self.running
    }

    /// Starts task `index`: `spawn` starts its member, with the canceller and the hooks that
    /// give the member its slot here, and returns the member's handle. Returns the slot.
    #[inline(always)]
    pub(crate) fn start(
        &mut self,
        index: usize,
        spawn: impl FnOnce(&mut Canceller, SlotHooks<L>) -> RawHandle<()>,
    ) -> usize {
        let slot = match self.free.last() {
            Some(&slot) => slot,
            None => self.slots.len(),
        };
        let hooks = SlotHooks {
            link: self.link.clone(),
            slot,
            index,
            kept: L::Kept::default(),
        };
        // Counted before the spawn, which panics when no runtime runs here: the member is then
        // dropped, and its hooks count it gone.
        self.link.started();
        let handle = spawn(&mut self.canceller, hooks);
        self.running += 1;
        let entry = Some((index, handle));
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else {
            self.free.pop();
            self.slots[slot] = entry;
        }
        slot
    }

    /// Whether task `index` still runs in `slot` (or finished, its outcome not taken yet).
    pub(crate) fn runs(&self, slot: usize, index: usize) -> bool {
        matches!(self.slots.get(slot), Some(Some((i, _))) if *i == index)
    }

    /// Whether the task in `slot` has finished, its outcome not taken yet.
    pub(crate) fn is_finished(&self, slot: usize) -> bool {
        matches!(self.slots.get(slot), Some(Some((_, handle))) if handle.is_finished())
    }

    /// The tasks running, as `(index, slot)`, in the order they started.
    pub(crate) fn running_tasks(&self) -> Vec<(usize, usize)> {
        let mut tasks: Vec<(usize, usize)> = (self.slots.iter().enumerate())
            .filter_map(|(slot, entry)| entry.as_ref().map(|(index, _)| (*index, slot)))
            .collect();
        tasks.sort_unstable();
        tasks
    }

    /// Cancels task `index` if it still runs in `slot` (its own timeout expired): its handle is
    /// dropped, which cancels it (its future is dropped by its runtime: on the loop at its next
    /// turn, and before the group ends, which waits for every future to be gone), and the slot
    /// is freed. An outcome it reports after this is a late report, dropped. Whether it ran.
    pub(crate) fn cancel_task(&mut self, slot: usize, index: usize) -> bool {
        let handle = self.take(slot, index);
        let ran = handle.is_some();
        drop_quietly(handle);
        ran
    }

    /// Takes task `index`'s handle out of `slot`, if it still runs there, and frees the slot.
    fn take(&mut self, slot: usize, index: usize) -> Option<RawHandle<()>> {
        let (_, handle) = self.slots.get_mut(slot)?.take_if(|(i, _)| *i == index)?;
        self.free.push(slot);
        self.running -= 1;
        Some(handle)
    }

    /// The slot of task `index`, while it runs (or finished, its outcome not taken yet).
    pub(crate) fn slot_of(&self, index: usize) -> Option<usize> {
        (self.slots.iter()).position(|entry| matches!(entry, Some((i, _)) if *i == index))
    }

    /// Whether task `index`, in `slot`, has finished: its outcome waits to be taken (on another
    /// thread it may finish just after this says no: then its outcome is a late report).
    pub(crate) fn has_finished(&mut self, slot: usize, index: usize) -> bool {
        self.link.take_finished(&mut self.finished);
        self.is_finished(slot)
            || (self.finished.iter())
                .any(|finished| (finished.slot, finished.index) == (slot, index))
    }

    /// Cancels task `index`, in `slot`, alone (`TaskSet::cancel_task`): the slot is freed, and
    /// the task's future is dropped before this returns (see `Canceller::cancel_one`; `task` is
    /// what `canceller.last()` gave when it started). A shielded future its drop left running
    /// runs on alone, as one a task's own timeout leaves.
    pub(crate) fn cancel_one(&mut self, slot: usize, index: usize, task: usize) {
        if let Some(handle) = self.take(slot, index) {
            drop(handle.cancel_alone(&mut self.canceller, task));
        }
    }

    /// Takes the outcome of the next task that finished, in the order they finished: `Pending`
    /// (having registered the waker) when none did since.
    #[inline(always)]
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<(usize, Result<L::Output, Payload>)> {
        let mut refilled = false;
        loop {
            let Some(finished) = self.finished.pop_front() else {
                if refilled {
                    return Poll::Pending;
                }
                refilled = true;
                // Registered before taking: a member that finishes after the take wakes us.
                self.link.register(cx);
                self.link.take_finished(&mut self.finished);
                continue;
            };
            let Finished {
                slot,
                index,
                outcome,
            } = finished;
            // A task cancelled as it finished on another thread reports late: its slot is empty,
            // or holds a later task (with a later index). Its outcome is dropped, a panic of
            // the outcome's destructor caught (the panic hook reports it).
            let taken = self
                .slots
                .get_mut(slot)
                .filter(|entry| matches!(entry, Some((i, _)) if *i == index));
            let Some(entry) = taken else {
                drop_quietly(outcome);
                continue;
            };
            // The handle has nothing more to give: dropped, and the slot freed.
            *entry = None;
            self.free.push(slot);
            self.running -= 1;
            return Poll::Ready((index, outcome));
        }
    }

    /// The indexes of the tasks still running (or finished, their outcomes not taken yet), in
    /// spawn order.
    pub(crate) fn indexes(&self) -> Vec<usize> {
        let tasks = self.running_tasks();
        tasks.into_iter().map(|(index, _)| index).collect()
    }

    /// Cancels every task still running: their futures are dropped now (but one being polled
    /// on another thread at this moment, dropped as that poll returns; see `task/cancel.rs`).
    pub(crate) fn cancel(&mut self) {
        let (slots, link) = (&mut self.slots, &self.link);
        let shielded = self.canceller.cancel_now(
            || {
                for slot in slots.iter_mut() {
                    drop(slot.take());
                }
            },
            || link.alive(),
        );
        if let Some(wait) = shielded {
            self.link.shielded(wait);
        }
        self.free.clear();
        self.free.extend(0..self.slots.len());
        self.free.reverse();
        self.running = 0;
        // The outcomes not taken, dropped outside any borrow of the link (their destructors may
        // run user code, and may panic: caught, as where the runtime drops a task's output).
        let mut finished = std::mem::take(&mut self.finished);
        self.link.take_finished(&mut finished);
        drop_quietly(finished);
    }

    /// Whether every cancelled task's future is gone, and the shielded futures they left running
    /// are done; registers the waker when not.
    pub(crate) fn poll_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.link.register(cx);
        if self.link.alive() == 0 && self.link.poll_shielded(cx).is_ready() {
            self.canceller.release();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl<L: Link> Drop for Running<L> {
    fn drop(&mut self) {
        // Also when none runs but a task cancelled alone (its own timeout) is still alive: its
        // future goes before the drop returns, as the others' would.
        if self.running > 0 || self.link.alive() > 0 {
            self.cancel();
        } else {
            // Only late reports of cancelled tasks can be left: dropped as `cancel` drops them.
            let mut finished = std::mem::take(&mut self.finished);
            self.link.take_finished(&mut finished);
            drop_quietly(finished);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::rc::Rc;

    use super::{Finished, Running};
    use crate::group::{Link, Local, LocalLink, Member, SpawnMember};
    use crate::EventLoop;

    #[test]
    fn a_late_report_of_a_cancelled_task_is_not_taken_for_the_outcome_of_its_slots_next_task() {
        EventLoop::new().block_on(async {
            let mut running: Running<Rc<LocalLink<u32>>> = Running::new();
            running.start(5, |canceller, hooks| {
                let member = Member::new(async { 1 }, hooks);
                <Local as SpawnMember<_>>::spawn("test", canceller, member)
            });
            // Reports as they would come from tasks cancelled as they finished on another
            // thread: one of an earlier task in the slot task 5 now holds, one of a slot that
            // is free.
            running.link.finished(Finished {
                slot: 0,
                index: 2,
                outcome: Ok(99),
            });
            running.link.finished(Finished {
                slot: 3,
                index: 4,
                outcome: Ok(98),
            });
            let (index, outcome) = poll_fn(|cx| running.poll_next(cx)).await;
            assert_eq!(index, 5);
            assert!(matches!(outcome, Ok(1)));
            assert_eq!(running.len(), 0);
        });
    }
}
