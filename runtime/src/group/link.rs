//! The link between a group and its members, and the whole protocol between them:
//!
//! - a member's panic, which the group must know before the member's turn in the order comes
//!   (`fail`; the group checks `failed` and resumes the panic with `resume_panic`);
//! - which members finished, in the order they did, with their outcomes (`finished`; the group
//!   takes them with `take_finished`), for the groups that take outcomes as tasks finish;
//! - how many members' futures are alive (`started`, `dropped`, `alive`): a group that cancels
//!   its tasks waits until none is;
//! - the waker of whoever awaits the group (`register`), woken by each of the above.
//!
//! What ends a group early (a race's winner, `try`'s first `Err`) is decided by the group itself
//! as it takes the outcomes, not through the link. [`LocalLink`] for groups whose tasks stay on
//! their thread, [`SendLink`] (atomic, model-checked with loom) for `send` groups.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::resume_unwind;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use super::Payload;
use crate::primitives::{AtomicBool, AtomicUsize, AtomicWaker, Mutex};
use crate::shield::{ShieldWait, Shielded};

/// What a group's members share with the group (see the module's doc): the first member's
/// panic, the members that finished, how many are alive, and the waker of whoever awaits the
/// group. Later panics, of members the group is cancelling, change nothing. Implemented by
/// [`LocalLink`] and [`SendLink`] only.
pub trait Link: Clone + Default {
    /// The output of the members whose outcomes come through the link (those of a running set,
    /// see `running.rs`; `()` for a [`TaskGroup`](super::TaskGroup), whose outputs stay in its
    /// tasks).
    type Output;
    /// Where a member of a running set keeps its outcome until its future is dropped, so that
    /// no future outlives the taking of its outcome.
    ///
    /// Nowhere (`()`) for a member of a local group, which runs on the group's thread: a runtime
    /// drops a task's future right after its last poll, on the thread that polled it, so the
    /// group (on that thread too) cannot look at the link before the future is gone, and the
    /// member reports from that poll. In the member (`Option`) for every member of a `send`
    /// group, which may run on another thread (the link's type decides, not where the member
    /// happens to run): it reports once its future is dropped.
    type Kept: Default;
    /// Keeps `outcome` in `kept`, or gives it back to be reported now.
    fn keep(
        kept: &mut Self::Kept,
        outcome: Result<Self::Output, Payload>,
    ) -> Option<Result<Self::Output, Payload>>;
    /// The outcome kept, to report once the future is dropped.
    fn take_kept(kept: &mut Self::Kept) -> Option<Result<Self::Output, Payload>>;
    /// A member panicked: if no member had, the group fails with this panic, and the waiter is
    /// woken. Otherwise the payload is dropped (the panic hook reported it).
    fn fail(&self, payload: Payload);
    /// Whether a member's panic failed the group. A waiter registers first, then checks, so a
    /// panic that lands after the check still wakes it.
    fn failed(&self) -> bool;
    /// Resumes the panic a member recorded.
    fn resume_panic(&self) -> !;
    /// A member was started: one more future alive.
    fn started(&self);
    /// A member's future was dropped (it finished, or was cancelled): wakes the waiter when it
    /// was the last one alive.
    fn dropped(&self);
    /// How many members' futures are alive.
    fn alive(&self) -> usize;
    /// A member's drop left shielded futures running, counted in `wait`: the group's wait for
    /// its cancelled tasks waits for them too (see `shield.rs`).
    fn shielded(&self, wait: Arc<ShieldWait>);
    /// `Ready` once the shielded futures that members left running are done; registers the
    /// waker when not.
    fn poll_shielded(&self, cx: &Context<'_>) -> Poll<()>;
    /// A member finished and its future is gone: its slot, index and outcome are queued, in the
    /// order members finish, and the waiter is woken.
    fn finished(&self, finished: Finished<Self::Output>);
    /// Moves the members that finished since the last call into `into`, in the order they did.
    fn take_finished(&self, into: &mut VecDeque<Finished<Self::Output>>);
    /// Registers the waiter, with nothing else.
    fn register(&self, cx: &Context<'_>);
}

/// A member that finished, as it reaches its group through the link.
#[doc(hidden)]
#[derive(Debug)]
pub struct Finished<T> {
    /// Where the group keeps the member's handle.
    pub(crate) slot: usize,
    /// The member's index in the group: a slot is reused by the next task, and a report from a
    /// cancelled task that comes late (it finished on another thread as it was cancelled) must
    /// not be taken for that task's.
    pub(crate) index: usize,
    /// Its output, or its panic's payload.
    pub(crate) outcome: Result<T, Payload>,
}

/// Moves the members that finished from the link's queue to the end of `into`: by swapping the
/// two queues when `into` is empty, as it is when a group takes them (so the two buffers are
/// reused in turn, and nothing is copied).
fn take_all<T>(queue: &mut VecDeque<Finished<T>>, into: &mut VecDeque<Finished<T>>) {
    if into.is_empty() {
        std::mem::swap(queue, into);
    } else {
        into.append(queue);
    }
}

/// The link of a [`Local`](super::Local) group: its members run on its thread, so nothing is
/// atomic (a member costs one non-atomic reference count). `T` is the output of the members
/// whose outcomes come through it.
#[doc(hidden)]
pub struct LocalLink<T = ()> {
    /// Whether a member's panic failed the group.
    failed: Cell<bool>,
    panic: RefCell<Option<Payload>>,
    waiter: RefCell<Option<Waker>>,
    alive: Cell<usize>,
    finished: RefCell<VecDeque<Finished<T>>>,
    /// The shielded futures that members' drops left running.
    shielded: RefCell<Shielded>,
}

impl<T> Default for LocalLink<T> {
    fn default() -> Self {
        LocalLink {
            failed: Cell::new(false),
            panic: RefCell::default(),
            waiter: RefCell::default(),
            alive: Cell::default(),
            finished: RefCell::default(),
            shielded: RefCell::default(),
        }
    }
}

impl<T> LocalLink<T> {
    fn wake_waiter(&self) {
        let waiter = self.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    pub(crate) fn fail(&self, payload: Payload) {
        if self.failed.get() {
            // Dropped here, outside any borrow: its destructor may run user code.
            drop(payload);
            return;
        }
        self.failed.set(true);
        *self.panic.borrow_mut() = Some(payload);
        self.wake_waiter();
    }

    pub(crate) fn register(&self, cx: &Context<'_>) {
        let mut waiter = self.waiter.borrow_mut();
        if !waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waiter = Some(cx.waker().clone());
        }
    }

    pub(crate) fn dropped(&self) {
        let alive = self.alive.get().saturating_sub(1);
        self.alive.set(alive);
        if alive == 0 {
            self.wake_waiter();
        }
    }

    #[inline]
    pub(crate) fn finished(&self, finished: Finished<T>) {
        self.finished.borrow_mut().push_back(finished);
        // Taken: the waiter registers again when it is polled, so a wake-up is owed only for
        // the first member to finish after each poll.
        self.wake_waiter();
    }

    pub(crate) fn resume_panic(&self) -> ! {
        let payload = self.panic.borrow_mut().take();
        match payload {
            Some(payload) => resume_unwind(payload),
            // Another waiter of the same group already took the payload.
            None => panic!("a task of this `tasks![]` group panicked"),
        }
    }
}

impl<T> Link for Rc<LocalLink<T>> {
    type Output = T;
    type Kept = ();

    #[inline]
    fn keep(_: &mut (), outcome: Result<T, Payload>) -> Option<Result<T, Payload>> {
        Some(outcome)
    }

    #[inline]
    fn take_kept(_: &mut ()) -> Option<Result<T, Payload>> {
        None
    }

    fn started(&self) {
        self.alive.set(self.alive.get() + 1);
    }

    fn dropped(&self) {
        LocalLink::dropped(self);
    }

    fn alive(&self) -> usize {
        self.alive.get()
    }

    fn shielded(&self, wait: Arc<ShieldWait>) {
        self.shielded.borrow_mut().push(wait);
    }

    fn poll_shielded(&self, cx: &Context<'_>) -> Poll<()> {
        self.shielded.borrow_mut().poll_done(cx)
    }

    fn finished(&self, finished: Finished<T>) {
        LocalLink::finished(self, finished);
    }

    fn take_finished(&self, into: &mut VecDeque<Finished<T>>) {
        take_all(&mut self.finished.borrow_mut(), into);
    }

    fn register(&self, cx: &Context<'_>) {
        LocalLink::register(self, cx);
    }

    fn fail(&self, payload: Payload) {
        LocalLink::fail(self, payload);
    }

    fn failed(&self) -> bool {
        self.failed.get()
    }

    fn resume_panic(&self) -> ! {
        LocalLink::resume_panic(self)
    }
}

/// The link of a [`Sendable`](super::Sendable) group, whose members may run on other threads.
/// `T` is the output of the members whose outcomes come through it.
#[doc(hidden)]
pub struct SendLink<T = ()> {
    /// Whether a member's panic failed the group. Set once, by a compare-and-swap from `false`.
    failed: AtomicBool,
    /// The panic that failed the group. It is stored under this lock by the member that won
    /// the compare-and-swap, which holds the lock across the swap: a waiter that sees `failed`
    /// and then takes the lock finds the payload.
    panic: Mutex<Option<Payload>>,
    waiter: AtomicWaker,
    /// How many members' futures are alive.
    alive: AtomicUsize,
    /// The members that finished, in the order they did.
    finished: Mutex<VecDeque<Finished<T>>>,
    /// The shielded futures that members' drops left running.
    shielded: Mutex<Shielded>,
}

impl<T> Default for SendLink<T> {
    fn default() -> Self {
        SendLink {
            failed: AtomicBool::new(false),
            panic: Mutex::new(None),
            waiter: AtomicWaker::new(),
            alive: AtomicUsize::new(0),
            finished: Mutex::new(VecDeque::new()),
            shielded: Mutex::new(Shielded::default()),
        }
    }
}

impl<T> SendLink<T> {
    pub(crate) fn fail(&self, payload: Payload) {
        let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
        let first = self
            .failed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok();
        if !first {
            drop(slot);
            drop(payload);
            return;
        }
        *slot = Some(payload);
        drop(slot);
        self.waiter.wake();
    }

    /// Registers the waiter on every poll: a wake-up takes the waker out of the `AtomicWaker`,
    /// and a group is woken more than once (members finish one by one; the last dropped one
    /// wakes a group that waits for its cancelled tasks). Registering the same waker again is a
    /// compare-and-swap and a `will_wake`.
    pub(crate) fn register(&self, cx: &Context<'_>) {
        self.waiter.register(cx.waker());
    }

    pub(crate) fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    pub(crate) fn started(&self) {
        self.alive.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn alive(&self) -> usize {
        self.alive.load(Ordering::Acquire)
    }

    pub(crate) fn dropped(&self) {
        // AcqRel: the waiter that sees 0 sees every dropped member's effects.
        if self.alive.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.waiter.wake();
        }
    }

    pub(crate) fn finished(&self, finished: Finished<T>) {
        self.finished
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(finished);
        self.waiter.wake();
    }

    pub(crate) fn take_finished(&self, into: &mut VecDeque<Finished<T>>) {
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        take_all(&mut finished, into);
    }

    pub(crate) fn resume_panic(&self) -> ! {
        let payload = self
            .panic
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match payload {
            Some(payload) => resume_unwind(payload),
            None => panic!("a task of this `tasks![]` group panicked"),
        }
    }
}

impl<T> Link for Arc<SendLink<T>> {
    type Output = T;
    type Kept = Option<Result<T, Payload>>;

    #[inline]
    fn keep(
        kept: &mut Option<Result<T, Payload>>,
        outcome: Result<T, Payload>,
    ) -> Option<Result<T, Payload>> {
        *kept = Some(outcome);
        None
    }

    #[inline]
    fn take_kept(kept: &mut Option<Result<T, Payload>>) -> Option<Result<T, Payload>> {
        kept.take()
    }

    fn started(&self) {
        SendLink::started(self);
    }

    fn dropped(&self) {
        SendLink::dropped(self);
    }

    fn alive(&self) -> usize {
        SendLink::alive(self)
    }

    fn shielded(&self, wait: Arc<ShieldWait>) {
        let mut shielded = self.shielded.lock().unwrap_or_else(PoisonError::into_inner);
        shielded.push(wait);
    }

    fn poll_shielded(&self, cx: &Context<'_>) -> Poll<()> {
        let mut shielded = self.shielded.lock().unwrap_or_else(PoisonError::into_inner);
        shielded.poll_done(cx)
    }

    fn finished(&self, finished: Finished<T>) {
        SendLink::finished(self, finished);
    }

    fn take_finished(&self, into: &mut VecDeque<Finished<T>>) {
        SendLink::take_finished(self, into);
    }

    fn register(&self, cx: &Context<'_>) {
        SendLink::register(self, cx);
    }

    fn fail(&self, payload: Payload) {
        SendLink::fail(self, payload);
    }

    fn failed(&self) -> bool {
        SendLink::failed(self)
    }

    fn resume_panic(&self) -> ! {
        SendLink::resume_panic(self)
    }
}

#[cfg(all(test, jobloop_loom))]
mod loom_model {
    //! The link a `send` group's members share with whoever awaits the group, model-checked:
    //! `RUSTFLAGS="--cfg jobloop_loom" cargo test -p jobloop-runtime --lib --release loom_model`.
    //! The waiter polls the way the groups do, registering on every poll; loom's `block_on`
    //! parks it until it is woken, so a lost wake-up shows as a deadlock.

    use std::collections::VecDeque;
    use std::future::poll_fn;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::task::Poll;

    use loom::sync::Arc;
    use loom::thread;

    use super::{Finished, Payload, SendLink};

    /// Polls as a `TaskGroup` does (register, then check for a panic) until a member's panic
    /// resumes in the waiter; returns its payload.
    fn await_panic(state: &Arc<SendLink>) -> Payload {
        loom::future::block_on(poll_fn(|cx| {
            state.register(cx);
            if !state.failed() {
                return Poll::Pending;
            }
            match catch_unwind(AssertUnwindSafe(|| state.resume_panic())) {
                Ok(never) => never,
                Err(payload) => Poll::Ready(payload),
            }
        }))
    }

    #[test]
    fn a_members_panic_always_reaches_the_waiter() {
        loom::model(|| {
            let state = Arc::new(SendLink::<()>::default());
            let member = {
                let state = state.clone();
                thread::spawn(move || state.fail(Box::new("member 0 fails")))
            };
            let payload = await_panic(&state);
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"member 0 fails"));
            member.join().unwrap();
        });
    }

    #[test]
    fn the_outcomes_of_two_members_always_reach_the_waiter() {
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let link = Arc::new(SendLink::<u32>::default());
            let members: Vec<_> = [0, 1]
                .into_iter()
                .map(|index| {
                    let link = link.clone();
                    thread::spawn(move || {
                        link.finished(Finished {
                            slot: index,
                            index,
                            outcome: Ok(10 + index as u32),
                        })
                    })
                })
                .collect();
            // As a running set polls: register, then take what finished.
            let mut taken = VecDeque::new();
            let mut outcomes = Vec::new();
            loom::future::block_on(poll_fn(|cx| {
                link.register(cx);
                link.take_finished(&mut taken);
                while let Some(finished) = taken.pop_front() {
                    outcomes.push((finished.index, finished.outcome.ok()));
                }
                if outcomes.len() == 2 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            for member in members {
                member.join().unwrap();
            }
            outcomes.sort_unstable();
            assert_eq!(outcomes, [(0, Some(10)), (1, Some(11))]);
        });
    }

    #[test]
    fn of_two_panicking_members_one_panic_is_resumed_and_not_twice() {
        // Three threads with a lock each: unbounded, the search runs for hours. Three
        // preemptions per run cover these short paths (tokio bounds its models at 2 to 4).
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let state = Arc::new(SendLink::<()>::default());
            let members: Vec<_> = ["first", "second"]
                .into_iter()
                .map(|message| {
                    let state = state.clone();
                    thread::spawn(move || state.fail(Box::new(message)))
                })
                .collect();
            let payload = await_panic(&state);
            let message = *payload.downcast_ref::<&str>().unwrap();
            assert!(message == "first" || message == "second");
            for member in members {
                member.join().unwrap();
            }
            // The other panic came after the group was decided: its payload was dropped.
            assert!(
                state.panic.lock().unwrap().is_none(),
                "only the panic that decided the group is kept"
            );
        });
    }

    #[test]
    fn the_last_member_dropped_wakes_a_group_waiting_for_its_cancelled_tasks() {
        loom::model(|| {
            let link = Arc::new(SendLink::<()>::default());
            link.started();
            link.started();
            let members: Vec<_> = (0..2)
                .map(|_| {
                    let link = link.clone();
                    thread::spawn(move || link.dropped())
                })
                .collect();
            // As an ending group polls: register, then wait until no future is alive.
            loom::future::block_on(poll_fn(|cx| {
                link.register(cx);
                if link.alive() == 0 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            }));
            for member in members {
                member.join().unwrap();
            }
        });
    }
}
