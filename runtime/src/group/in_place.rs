//! The engine of `scoped` groups: the group polls its tasks itself, in place, instead of
//! spawning them. So the tasks may borrow from the caller (no `'static`, no `move`, no clones):
//! they live inside the group, which the borrow checker keeps within the borrows' lifetime.
//! They start when the group is first polled and never leave its thread.
//!
//! Each slot has a waker of its own, which queues the slot and wakes the group: a poll of the
//! group polls only the tasks woken since the last one (as `FuturesUnordered` does), each once,
//! so a task that wakes itself at once cannot starve the others or the runtime.

use std::collections::VecDeque;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use atomic_waker::AtomicWaker;

use super::Payload;
use crate::debug::Watched;
use crate::shield::Shielded;
use crate::unwind::drop_quietly;

/// The slots woken since the group's last poll, and the group's waker.
#[derive(Default)]
struct ReadyQueue {
    woken: Mutex<Vec<usize>>,
    group: AtomicWaker,
}

/// The waker of one slot: queues the slot (once until it is polled) and wakes the group. A
/// waker kept from a slot's earlier task at most polls the slot's next task once for nothing.
struct SlotWaker {
    slot: usize,
    queued: AtomicBool,
    queue: Arc<ReadyQueue>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.queue
                .woken
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self.slot);
            self.queue.group.wake();
        }
    }
}

/// A task of the group: its index in the group, and its future, in its own context variables
/// (feature `context`: a copy of the group's poller's when it was made) and, in debug mode and
/// under the trace, timed and named as a task of the group in the tree and the trace.
type Task<F> = (usize, Pin<Box<Watched<F>>>);

/// The tasks of a `scoped` group, polled in place.
pub(crate) struct InPlace<F: Future> {
    tasks: Vec<Option<Task<F>>>,
    /// One waker per slot, kept for the slot's next tasks.
    wakers: Vec<(Arc<SlotWaker>, Waker)>,
    free: Vec<usize>,
    queue: Arc<ReadyQueue>,
    /// The slots to poll in this pass (taken from the queue), reused from pass to pass.
    polling: Vec<usize>,
    /// Outcomes of this pass not handed out yet.
    done: VecDeque<(usize, Result<F::Output, Payload>)>,
    running: usize,
    /// The shielded futures that the drops of cancelled tasks left running.
    shielded: Shielded,
}

impl<F: Future> InPlace<F> {
    pub(crate) fn new() -> InPlace<F> {
        InPlace {
            tasks: Vec::new(),
            wakers: Vec::new(),
            free: Vec::new(),
            queue: Arc::default(),
            polling: Vec::new(),
            done: VecDeque::new(),
            running: 0,
            shielded: Shielded::default(),
        }
    }

    /// How many tasks are running (or finished and not taken yet).
    pub(crate) fn len(&self) -> usize {
        self.running
    }

    /// A free slot (its waker made with it the first time).
    fn slot(&mut self) -> usize {
        if let Some(slot) = self.free.pop() {
            return slot;
        }
        let slot = self.tasks.len();
        self.tasks.push(None);
        let waker = Arc::new(SlotWaker {
            slot,
            queued: AtomicBool::new(false),
            queue: self.queue.clone(),
        });
        self.wakers.push((waker.clone(), Waker::from(waker)));
        slot
    }

    /// Adds `future` as task `index`; it is polled at the group's next poll. Returns its slot.
    pub(crate) fn insert(&mut self, index: usize, future: Watched<F>) -> usize {
        let slot = self.slot();
        self.tasks[slot] = Some((index, Box::pin(future)));
        self.running += 1;
        // Queued without a wake-up: the group is polled after this anyway (a task is inserted
        // when the group is made, and its first poll comes).
        let (waker, _) = &self.wakers[slot];
        if !waker.queued.swap(true, Ordering::AcqRel) {
            self.polling.push(slot);
        }
        slot
    }

    /// Adds `future` as task `index` and polls it at once (the group is being polled). A task
    /// that finishes at its first poll gives its slot back at once: a million trivial tasks
    /// take one slot, not a million. The tasks inserted before (and so not polled yet) are
    /// polled first: tasks start in the written order. Returns its slot.
    pub(crate) fn start(&mut self, index: usize, future: Watched<F>) -> usize {
        if !self.polling.is_empty() {
            self.poll_queued();
            if self.has_outcomes() {
                // An outcome the group has not seen may end it: this task waits for the
                // group's next pass, unpolled.
                return self.insert(index, future);
            }
        }
        let slot = self.slot();
        self.tasks[slot] = Some((index, Box::pin(future)));
        self.running += 1;
        self.poll_slot(slot);
        slot
    }

    /// Whether task `index` still runs in `slot`.
    pub(crate) fn runs(&self, slot: usize, index: usize) -> bool {
        matches!(self.tasks.get(slot), Some(Some((i, ..))) if *i == index)
    }

    /// The tasks running, as `(index, slot)`, in the order they started.
    pub(crate) fn running_tasks(&self) -> Vec<(usize, usize)> {
        let mut tasks: Vec<(usize, usize)> = (self.tasks.iter().enumerate())
            .filter_map(|(slot, task)| task.as_ref().map(|(index, ..)| (*index, slot)))
            .collect();
        tasks.sort_unstable();
        tasks
    }

    /// Drops task `index` here and now if it still runs in `slot` (its own timeout expired),
    /// and frees the slot; whether it ran.
    pub(crate) fn cancel_task(&mut self, slot: usize, index: usize) -> bool {
        if !self.runs(slot, index) {
            return false;
        }
        // Without a frame: a task cancelled alone (its own timeout) leaves its shielded futures
        // to run on unwaited, as a `timeout` around a future does (see `shield.rs`).
        if let Some(task) = self.tasks[slot].take() {
            drop_quietly(task);
        }
        self.free.push(slot);
        self.running -= 1;
        true
    }

    /// Drops every task, cancelled, each alone (a panic of one's destructor is caught), in a
    /// frame of the group's own: the shielded futures they leave running are waited for by
    /// [`poll_gone`](Self::poll_gone).
    fn drop_cancelled(&mut self) {
        let tag = std::ptr::from_ref(&self.shielded).addr();
        let tasks = &mut self.tasks;
        let shielded = crate::shield::in_frame(tag, || {
            for task in tasks.iter_mut().filter_map(Option::take) {
                drop_quietly(task);
            }
        });
        if let Some(wait) = shielded {
            self.shielded.push(wait);
        }
    }

    /// Whether the shielded futures that cancelled tasks left running are done; registers the
    /// waker when not.
    pub(crate) fn poll_gone(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.shielded.poll_done(cx)
    }

    /// Polls the slots of `polling`, each once: between passes, the tasks inserted and not
    /// polled yet; in a pass, also the tasks woken since the last one.
    fn poll_queued(&mut self) {
        let mut polling = std::mem::take(&mut self.polling);
        if polling.len() > 1 {
            // On a shuffled loop (`#[job_test(shuffle)]`), in the seeded order, as the loop
            // runs its own ready tasks (see `shuffle.rs`).
            crate::context::with_loop(|core| core.in_seeded_order(&mut polling));
        }
        for slot in polling.drain(..) {
            self.poll_slot(slot);
        }
        self.polling = polling;
    }

    /// Whether outcomes wait to be taken.
    pub(crate) fn has_outcomes(&self) -> bool {
        !self.done.is_empty()
    }

    /// Polls the task in `slot` once; queues its outcome if it finished.
    fn poll_slot(&mut self, slot: usize) {
        let (waker, task_waker) = &self.wakers[slot];
        waker.queued.store(false, Ordering::Release);
        let Some((index, future)) = self.tasks[slot].as_mut() else {
            return; // finished or cancelled meanwhile
        };
        let mut task_cx = Context::from_waker(task_waker);
        let poll = catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut task_cx)));
        let outcome = match poll {
            Ok(Poll::Pending) => return,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => {
                crate::unwind::hint_if_no_tokio(&*payload);
                Err(payload)
            }
        };
        let index = *index;
        if let Some(task) = self.tasks[slot].take() {
            drop_quietly(task);
        }
        self.free.push(slot);
        self.running -= 1;
        self.done.push_back((index, outcome));
    }

    /// Polls the tasks woken since the last pass, each once; gives the outcome of the next task
    /// that finished, in the order they did.
    pub(crate) fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<(usize, Result<F::Output, Payload>)> {
        if let Some(outcome) = self.done.pop_front() {
            return Poll::Ready(outcome);
        }
        // Registered before the queue is taken: a task woken after the take wakes the group.
        self.queue.group.register(cx.waker());
        self.polling.append(
            &mut self
                .queue
                .woken
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.poll_queued();
        match self.done.pop_front() {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }

    /// The indexes of the tasks still running, in written order.
    pub(crate) fn indexes(&self) -> Vec<usize> {
        let tasks = self.running_tasks();
        tasks.into_iter().map(|(index, _)| index).collect()
    }

    /// Drops every task still running, here and now.
    pub(crate) fn cancel(&mut self) {
        self.drop_cancelled();
        self.free.clear();
        self.free.extend((0..self.tasks.len()).rev());
        self.running = 0;
        self.done.clear();
    }
}

impl<F: Future> Drop for InPlace<F> {
    fn drop(&mut self) {
        self.cancel();
    }
}
