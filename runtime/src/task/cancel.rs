//! A group's means to cancel its tasks at once: when a group is dropped, or ends early, the
//! futures of its tasks still running are dropped before the drop (or the cancel) returns,
//! destructors and all, on every runtime.
//!
//! On the embedded loop, a group's tasks are scheduled through a schedule of the group's own,
//! which lets the group drop them on the spot (see `event_loop/cancel.rs`); that costs nothing
//! per task. Other runtimes only mark a task when its handle is dropped, and drop its future at
//! a later turn. There the group's tasks run in a queue of the group's own, served by one task
//! of the runtime (`runner.rs`), when they all run on one thread. Where a multi-threaded
//! runtime runs them in parallel (`send` groups on tokio's multi-thread runtime or a runtime of
//! the user's own), the group holds its tasks' futures itself: each task polls its future in a
//! [`Held`] cell that the group shares, and the group drops the futures in their cells. A
//! future being polled at that moment (on another thread) is dropped as soon as its poll
//! returns.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::task::{Context, Poll};

use async_task::Task;

use super::runner::{self, Runner, RunnerOwner};
use crate::context::Current;
use crate::event_loop::cancel::MemberSchedule;
use crate::event_loop::LoopCore;
use crate::shield::ShieldWait;
use crate::unwind;

/// A task's future that its group can drop at once: see [`Held`].
pub(crate) trait DropNow {
    /// Drops the future now, or, when it is being polled, as soon as that poll returns.
    fn drop_now(&self);
    /// Whether the future is still there (not finished, not dropped).
    fn is_held(&self) -> bool;
}

/// A group's means to cancel its tasks at once. Only a `send` group holds futures in cells (on a
/// multi-threaded runtime); a group whose tasks stay on their thread holds none, its tasks run
/// through a runner off the loop.
#[derive(Default)]
pub(crate) struct Canceller {
    /// The schedule of the group's tasks on the embedded loop, once one of them runs there.
    schedule: Option<Arc<MemberSchedule>>,
    /// The queue of its tasks on another runtime with one thread for them, once one runs there.
    runner: Option<RunnerOwner>,
    /// The runners of its tasks started under earlier entries into a runtime (a `send` group
    /// moved, a group kept from one `block_on` to the next), kept until the group is done.
    retired: Vec<RunnerOwner>,
    /// The futures of its tasks on multi-threaded runtimes. Finished ones are swept out as it grows, so
    /// it stays as long as the tasks running at once.
    held: Vec<Arc<dyn DropNow + Send + Sync>>,
    /// The task started last, as [`cancel_one`](Self::cancel_one) finds it: its address on the
    /// loop or on a runner ([`unwind::member_address`]), its cell's when held; 0 before any.
    last: usize,
}

impl Canceller {
    /// Notes `task`, a member just started on the loop or on a runner (see
    /// [`last`](Self::last)).
    #[inline]
    pub(crate) fn started<T>(&mut self, task: &Task<T>) {
        self.last = unwind::member_address(task.metadata());
    }

    /// The task started last, for [`cancel_one`](Self::cancel_one).
    pub(crate) fn last(&self) -> usize {
        self.last
    }

    /// The schedule of the group's tasks on `core`'s loop. Inlined into each spawn path, as
    /// it was when the canceller was generic: it runs once per task.
    #[inline]
    pub(crate) fn schedule(&mut self, core: &LoopCore) -> &Arc<MemberSchedule> {
        self.schedule.get_or_insert_with(|| core.member_schedule())
    }

    /// The runner of the group's tasks on `current` (started with the first of them), when
    /// [`runner::runs_members`] says its tasks run through one there; `send` for a `send` group.
    #[track_caller]
    pub(crate) fn runner(&mut self, current: &Current, send: bool) -> Option<&Arc<Runner>> {
        // A runner serving here was started for this runtime, so the check holds for it too.
        if !runner::runs_members(current, send) {
            return None;
        }
        Some(self.serve(current, send))
    }

    /// The group's runner on `current`, started when none serves here.
    #[track_caller]
    fn serve(&mut self, current: &Current, send: bool) -> &Arc<Runner> {
        let owner = match self.runner.take() {
            Some(owner) if owner.runner().serves_here() => self.runner.insert(owner),
            // The first task here, or the first under this entry into a runtime: the earlier
            // runner's tasks run on there.
            previous => {
                self.retired.extend(previous);
                self.runner.insert(Runner::start(current, send))
            }
        };
        owner.runner()
    }

    fn keep(&mut self, held: Arc<dyn DropNow + Send + Sync>) {
        if self.held.len() == self.held.capacity() {
            // Before it grows: the finished ones go. Amortised, as the growth itself.
            self.held.retain(|held| held.is_held());
        }
        self.held.push(held);
    }

    /// Cancels the group's tasks: `drop_handles` drops their handles, and `alive` tells how many
    /// of their futures are alive. When this returns, every one of them is dropped but those
    /// being polled at this moment (on another thread, or the one whose poll called this), which
    /// are dropped as their poll returns. On the loop, see `event_loop/cancel.rs`. Gives the
    /// wait of the shielded futures that the drops left running, if they left any (see
    /// `shield.rs`): the group's end waits for them too.
    pub(crate) fn cancel_now(
        &mut self,
        drop_handles: impl FnOnce(),
        alive: impl Fn() -> usize,
    ) -> Option<Arc<ShieldWait>> {
        let tag = std::ptr::from_ref(self).addr();
        crate::shield::in_frame(tag, || self.drop_now(drop_handles, alive))
    }

    /// [`cancel_now`](Self::cancel_now), without the frame.
    fn drop_now(&mut self, drop_handles: impl FnOnce(), alive: impl Fn() -> usize) {
        for held in self.held.drain(..) {
            held.drop_now();
        }
        match (&self.schedule, &self.runner) {
            (Some(schedule), runner) => {
                schedule.cancel(drop_handles, alive);
                if let Some(owner) = runner {
                    owner.runner().cancel(|| {});
                }
            }
            (None, Some(owner)) => owner.runner().cancel(drop_handles),
            (None, None) => drop_handles(),
        }
        // The handles are gone: the cancelled tasks of earlier runners are queued there.
        for owner in &self.retired {
            owner.runner().cancel(|| {});
        }
    }

    /// A canceller for the task started last alone: what the handle of one task of a list group
    /// keeps, to cancel its task at once when dropped, with [`cancel_one`](Self::cancel_one).
    pub(crate) fn for_last(&mut self) -> Canceller {
        Canceller {
            schedule: self.schedule.clone(),
            // The task started last went to the current runner.
            runner: self.runner.clone(),
            retired: Vec::new(),
            held: self.held.pop().into_iter().collect(),
            last: self.last,
        }
    }

    /// Cancels one task of the group, `task` (as [`last`](Self::last) gave it when the task
    /// started), unfinished (see `RawHandle::cancel_alone`), whose handle `drop_handle` drops:
    /// when this returns, its future is dropped (but when it is being polled at this moment on
    /// another thread, as that poll returns, or was woken from another thread at this very
    /// moment, at the loop's next turn), as [`cancel_now`](Self::cancel_now) drops a whole
    /// group's. The group's other tasks are left where they are, unpolled: a list group cancels
    /// its tasks one at a time, and a task run out of turn in the cancel of another would, if it
    /// woke itself (a loop that yields), be run again and again.
    pub(crate) fn cancel_one(
        &mut self,
        task: usize,
        drop_handle: impl FnOnce(),
    ) -> Option<Arc<ShieldWait>> {
        let tag = std::ptr::from_ref(self).addr();
        crate::shield::in_frame(tag, || {
            let held =
                (self.held.iter()).position(|held| Arc::as_ptr(held).cast::<()>().addr() == task);
            if let Some(held) = held {
                self.held.swap_remove(held).drop_now();
                drop_handle();
                return;
            }
            match &self.schedule {
                Some(schedule) => schedule.cancel_one(task, drop_handle),
                None => drop_handle(),
            }
            for owner in self.runner.iter().chain(&self.retired) {
                owner.runner().cancel_one(task);
            }
        })
    }

    /// Gives the loop's schedule back to its pool, and lets the group's runner go, once the
    /// group is done.
    pub(crate) fn release(&mut self) {
        self.held.clear();
        self.runner = None;
        self.retired.clear();
        if let Some(schedule) = self.schedule.take() {
            MemberSchedule::recycle(schedule);
        }
    }

    /// The runner of a group whose tasks stay on this thread, on `current`, a runtime other
    /// than the embedded loop: every one runs such a group's tasks through one (see
    /// [`runner::runs_members`]), so their futures are never held in cells.
    #[track_caller]
    pub(crate) fn local_runner(&mut self, current: &Current) -> &Arc<Runner> {
        self.serve(current, false)
    }

    /// Wraps the future of a `Send` task, so that the group can drop it.
    pub(crate) fn hold<F: Future + Send + 'static>(&mut self, future: F) -> Held<F> {
        let cell = HeldCell::new(future);
        self.keep(cell.clone());
        self.last = Arc::as_ptr(&cell).addr();
        Held(cell)
    }
}

impl Drop for Canceller {
    fn drop(&mut self) {
        if let Some(schedule) = self.schedule.take() {
            MemberSchedule::recycle(schedule);
        }
    }
}

/// Where a held future lives: in its own allocation, which the task and the group share.
struct HeldCell<F> {
    /// The future; `None` once it finished or was dropped. Locked while it is polled.
    future: Mutex<Option<F>>,
    /// Set by a [`drop_now`](DropNow::drop_now) that found the future being polled: that poll
    /// drops it when it returns.
    cancelled: AtomicBool,
}

impl<F> HeldCell<F> {
    fn new(future: F) -> Arc<HeldCell<F>> {
        Arc::new(HeldCell {
            future: Mutex::new(Some(future)),
            cancelled: AtomicBool::new(false),
        })
    }
}

/// Drops the future in `slot` in place (as a pinned value must be), catching a panic of its
/// destructor, which the panic hook has reported: the group that cancels goes on.
fn drop_in_place<F>(slot: &mut Option<F>) {
    let _ = catch_unwind(AssertUnwindSafe(|| *slot = None));
}

impl<F> DropNow for HeldCell<F> {
    fn drop_now(&self) {
        self.cancelled.store(true, Ordering::Release);
        match self.future.try_lock() {
            Ok(mut slot) => drop_in_place(&mut slot),
            Err(TryLockError::Poisoned(slot)) => drop_in_place(&mut slot.into_inner()),
            // Being polled: the poll sees `cancelled` when it returns.
            Err(TryLockError::WouldBlock) => {}
        }
    }

    fn is_held(&self) -> bool {
        match self.future.try_lock() {
            Ok(slot) => slot.is_some(),
            Err(TryLockError::Poisoned(slot)) => slot.into_inner().is_some(),
            Err(TryLockError::WouldBlock) => true,
        }
    }
}

impl<F> Drop for HeldCell<F> {
    fn drop(&mut self) {
        // The runtime drops the task (or the group its share) last: a panicking destructor must
        // not unwind into the runtime.
        drop_in_place(
            self.future
                .get_mut()
                .unwrap_or_else(PoisonError::into_inner),
        );
    }
}

/// The future a runtime polls for a task whose group holds its future.
pub(crate) struct Held<F>(Arc<HeldCell<F>>);

impl<F> Drop for Held<F> {
    fn drop(&mut self) {
        // The runtime dropped the task: its future goes with it, as with any task.
        let mut slot = self.0.future.lock().unwrap_or_else(PoisonError::into_inner);
        drop_in_place(&mut slot);
    }
}

impl<F: Future> Future for Held<F> {
    type Output = F::Output;

    // Pinning through the lock is the one projection no safe API (nor pin-project) offers, and
    // boxing the future instead would cost a second allocation per task.
    #[allow(unsafe_code)]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let cell = &*self.0;
        let mut slot = cell.future.lock().unwrap_or_else(PoisonError::into_inner);
        if cell.cancelled.load(Ordering::Acquire) {
            drop_in_place(&mut slot);
        }
        let Some(future) = slot.as_mut() else {
            // Dropped by its group, whose handle is gone too: the runtime drops this task
            // without waiting for an output.
            return Poll::Pending;
        };
        // SAFETY: the future lives in the `Arc`'s allocation, which never moves: it is only ever
        // dropped in place there (`drop_in_place`, `HeldCell::drop`), never moved out, so it
        // stays pinned from this first poll until it is dropped, as `Pin` requires.
        let future = unsafe { Pin::new_unchecked(future) };
        let poll = future.poll(cx);
        // A finished future is dropped at once, as a runtime drops a finished task's future; so
        // is one whose group cancelled it during this poll.
        if poll.is_ready() || cell.cancelled.load(Ordering::Acquire) {
            drop_in_place(&mut slot);
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    //! The futures held in cells: those of `send` groups on multi-threaded runtimes (a group
    //! whose tasks stay on their thread runs them through a runner instead).
    use std::future::{poll_fn, Future};
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    use super::Canceller;

    /// Counts its drops.
    struct Token(Arc<AtomicUsize>);

    impl Drop for Token {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn pending_holding(token: Token) -> impl Future<Output = ()> {
        poll_fn(move |_| {
            let _ = &token;
            Poll::Pending
        })
    }

    #[test]
    fn a_held_future_is_dropped_by_its_group_at_once() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut canceller = Canceller::default();
        let mut held = pin!(canceller.hold(pending_holding(Token(drops.clone()))));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(held.as_mut().poll(&mut cx).is_pending());
        canceller.cancel_now(|| (), || 0);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // The runtime may poll the task once more before it drops it: nothing happens.
        assert!(held.as_mut().poll(&mut cx).is_pending());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_finished_held_future_is_dropped_when_it_finishes() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut canceller = Canceller::default();
        let token = Token(drops.clone());
        let mut held = pin!(canceller.hold(async move {
            let _token = token;
            7
        }));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(held.as_mut().poll(&mut cx), Poll::Ready(7));
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // Tasks their runtime dropped (their futures with them) are swept out as the canceller
        // grows; the finished one is never dropped twice.
        for _ in 0..10 {
            drop(canceller.hold(async {}));
        }
        assert!(canceller.held.len() <= 4, "{}", canceller.held.len());
        canceller.cancel_now(|| (), || 0);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_group_cancelled_from_inside_the_poll_of_its_own_task_drops_it_after_the_poll() {
        let drops = Arc::new(AtomicUsize::new(0));
        let canceller = Arc::new(Mutex::new(Canceller::default()));
        let token = Token(drops.clone());
        let inner = {
            let (canceller, drops) = (canceller.clone(), drops.clone());
            poll_fn(move |_| {
                let _ = &token;
                let mut canceller = canceller.lock().expect("not poisoned");
                canceller.cancel_now(|| (), || 1);
                // Still alive while it is being polled.
                assert_eq!(drops.load(Ordering::SeqCst), 0);
                Poll::<()>::Pending
            })
        };
        let held = canceller.lock().expect("not poisoned").hold(inner);
        let mut held = pin!(held);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(held.as_mut().poll(&mut cx).is_pending());
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "dropped as the poll returned"
        );
    }
}
