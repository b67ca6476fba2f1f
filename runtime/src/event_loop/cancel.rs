//! Cancelling a group's tasks on the loop at once: when a group is dropped (or ends early), every
//! one of its tasks' futures is dropped before the drop returns, destructors and all.
//!
//! Dropping an async-task handle only marks the task: an idle task is scheduled, and its future
//! is dropped when the loop runs it; a task already in the ready queue is dropped when its turn
//! comes. Both would be later than the group's drop. So a group's tasks are scheduled through a
//! [`MemberSchedule`] of their own (in place of the loop's wake queue: no byte more per task),
//! whose flag the group sets while it cancels them:
//!
//! 1. with the flag set, the group drops its handles; each idle task is scheduled, and goes to
//!    the loop's list of cancelled tasks instead of its ready queue;
//! 2. if some of the group's tasks are still alive, they were in the ready queue (or woken from
//!    another thread): every entry of the queue is scheduled again, in order, so that the
//!    group's go to the list and the others back to the queue, where they were;
//! 3. every task of the list is run, which drops its future (a cancelled task is not polled).
//!
//! (On other runtimes a group holds its tasks' futures itself to the same end: see
//! `task/cancel.rs`.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_task::Runnable;

use super::wake::WakeQueue;
use super::LoopCore;
use crate::context;
use crate::unwind;

/// What a group's tasks on the loop are scheduled through.
pub(crate) struct MemberSchedule {
    wake: Arc<WakeQueue>,
    /// While the group cancels tasks, which go to the list of cancelled tasks when scheduled:
    /// [`ALL`] of them, or the one at this address ([`unwind::member_address`]); 0 otherwise.
    cancelling: AtomicUsize,
}

/// [`MemberSchedule::cancelling`] when the group cancels all its tasks.
const ALL: usize = usize::MAX;

impl MemberSchedule {
    /// The schedule function of a member task scheduled through `schedule`. Made here, where
    /// nothing is generic: one closure type for every member's task (see `erase`).
    pub(super) fn function(schedule: &Arc<Self>) -> impl Fn(Runnable) + Send + Sync + 'static {
        let schedule = schedule.clone();
        move |runnable| schedule.schedule(runnable)
    }

    /// Hands a woken task to its loop, or, while its group cancels it, to the loop's list of
    /// cancelled tasks (on the loop's thread; from another thread it is queued as usual).
    #[inline]
    pub(super) fn schedule(self: &Arc<Self>, runnable: Runnable) {
        let cancelling = self.cancelling.load(Ordering::Relaxed);
        if cancelling != 0 {
            self.schedule_cancelled(runnable, cancelling);
        } else {
            self.wake.schedule(Some(runnable));
        }
    }

    /// [`schedule`](Self::schedule) while the group cancels `cancelling`.
    #[cold]
    fn schedule_cancelled(&self, runnable: Runnable, cancelling: usize) {
        if cancelling != ALL && unwind::member_address(runnable.metadata()) != cancelling {
            // Another task of the group, woken meanwhile: not cancelled, queued as usual.
            self.wake.schedule(Some(runnable));
            return;
        }
        let mut runnable = Some(runnable);
        context::with_loop(|core| {
            if Arc::ptr_eq(&core.wake, &self.wake) {
                if let Some(runnable) = runnable.take() {
                    core.cancelled.borrow_mut().push(runnable);
                }
            }
        });
        if let Some(runnable) = runnable {
            self.wake.schedule(Some(runnable));
        }
    }

    /// Whether this thread runs the loop the group's tasks are on: only there can their
    /// futures be dropped at once.
    fn on_its_loop(&self) -> bool {
        context::with_loop(|core| Arc::ptr_eq(&core.wake, &self.wake)).unwrap_or(false)
    }

    /// Cancels the group's tasks: `drop_handles` drops their handles, and `alive` tells how many
    /// of their futures are alive. On the loop's own thread, every one of them has been dropped
    /// when this returns (but one woken from another thread at this very moment, which is
    /// dropped at the loop's next turn); elsewhere, dropping the handles is all.
    pub(crate) fn cancel(&self, drop_handles: impl FnOnce(), alive: impl Fn() -> usize) {
        if !self.on_its_loop() {
            drop_handles();
            return;
        }
        self.cancelling.store(ALL, Ordering::Relaxed);
        drop_handles();
        context::with_loop(|core| {
            core.run_cancelled();
            if alive() > 0 {
                core.reschedule_ready();
                core.run_cancelled();
            }
        });
        self.cancelling.store(0, Ordering::Relaxed);
    }

    /// Cancels one task of the group, `task` ([`unwind::member_address`]), unfinished, whose
    /// handle `drop_handle` drops. On the loop's own thread its future has been dropped when this
    /// returns (but when it was woken from another thread at this very moment, at the loop's
    /// next turn); the group's other tasks stay where they are, unpolled (see
    /// `Canceller::cancel_one`). Elsewhere, dropping the handle is all.
    pub(crate) fn cancel_one(&self, task: usize, drop_handle: impl FnOnce()) {
        if !self.on_its_loop() {
            drop_handle();
            return;
        }
        // If it was idle, the drop schedules it: to the list of cancelled tasks.
        self.cancelling.store(task, Ordering::Relaxed);
        drop_handle();
        self.cancelling.store(0, Ordering::Relaxed);
        context::with_loop(|core| {
            core.cancel_queued(task);
            core.run_cancelled();
        });
    }

    /// Gives `schedule` back to its loop's pool for another group, when no task holds it any
    /// more (and this thread runs its loop).
    pub(crate) fn recycle(schedule: Arc<MemberSchedule>) {
        if Arc::strong_count(&schedule) > 1 {
            return;
        }
        context::with_loop(|core| {
            if Arc::ptr_eq(&core.wake, &schedule.wake) {
                core.schedules.borrow_mut().push(schedule);
            }
        });
    }
}

impl LoopCore {
    /// A schedule for a group's tasks on this loop: one from the pool, or a new one.
    pub(crate) fn member_schedule(&self) -> Arc<MemberSchedule> {
        self.schedules.borrow_mut().pop().unwrap_or_else(|| {
            Arc::new(MemberSchedule {
                wake: self.wake.clone(),
                cancelling: AtomicUsize::new(0),
            })
        })
    }

    /// Runs the tasks of the list of cancelled tasks, which drops their futures, until it is
    /// empty (dropping a future can cancel the tasks of a group it held).
    fn run_cancelled(&self) {
        loop {
            let cancelled = std::mem::take(&mut *self.cancelled.borrow_mut());
            if cancelled.is_empty() {
                return;
            }
            for runnable in cancelled {
                // A cancelled task is not polled: `run` drops its future (through its
                // `CatchDrop`, which catches a destructor's panic).
                runnable.run();
            }
        }
    }

    /// Moves `task` ([`unwind::member_address`]), cancelled while it was in the ready queue (or
    /// woken from another thread), to the list of cancelled tasks; the other entries keep their
    /// order.
    fn cancel_queued(&self, task: usize) {
        let is_it = |runnable: &Runnable| unwind::member_address(runnable.metadata()) == task;
        if self.cancelled.borrow().iter().any(is_it) {
            return;
        }
        let mut ready = self.ready.borrow_mut();
        let mut at = ready
            .iter()
            .position(|entry| entry.as_ref().is_some_and(is_it));
        if at.is_none() {
            ready.extend(self.wake.injected.take_all());
            at = ready
                .iter()
                .position(|entry| entry.as_ref().is_some_and(is_it));
        }
        if let Some(Some(runnable)) = at.and_then(|at| ready.remove(at)) {
            self.cancelled.borrow_mut().push(runnable);
        }
    }

    /// Schedules every entry of the ready queue (and of the wake-ups from other threads) again,
    /// in order: the tasks of a cancelling group go to the list of cancelled tasks, the others
    /// back to the queue in the order they were.
    fn reschedule_ready(&self) {
        let mut queued = std::mem::take(&mut *self.ready.borrow_mut());
        queued.extend(self.wake.injected.take_all());
        for entry in queued {
            match entry {
                Some(runnable) => runnable.schedule(),
                None => self.ready.borrow_mut().push_back(None),
            }
        }
    }
}
