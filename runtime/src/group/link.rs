//! The link between a group and its members: what a member must tell the group before its turn
//! in the order comes (a panic, an output that ends the group), which members finished (in the
//! order they did, with their outcomes), how many members' futures are still alive (a group that
//! cancels its tasks waits until none is), and the waker of whoever awaits the group.
//! [`LocalLink`] for groups whose tasks stay on their thread, [`SendLink`] (atomic,
//! model-checked with loom) for `send` groups.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::resume_unwind;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Waker};

use super::Payload;
use crate::primitives::{AtomicUsize, AtomicWaker, Mutex};
use crate::task::cancel::{DropNow, SendHeld};

/// What a group's members share with the group: its outcome once decided, and the waker of
/// whoever awaits it. The outcome is decided once, by the first of: a member's panic (when panics
/// fail the group), or a member's output that ends the group (a race's winner, a `try` group's
/// first error). Later panics and ends of members, which the group is cancelling, change nothing.
/// Implemented by [`LocalLink`] and [`SendLink`] only.
pub trait Link: Clone + Default {
    /// What the group's canceller keeps of each task's future (see `task/cancel.rs`).
    type Held: ?Sized + DropNow;
    /// The output of the members whose outcomes come through the link (those of a running set,
    /// see `running.rs`; `()` for a [`TaskGroup`](super::TaskGroup), whose outputs stay in its
    /// tasks).
    type Output;
    /// Where a member keeps its outcome until its future is dropped (see [`Keep`]).
    type Kept: Keep<Self::Output>;
    /// A member panicked: if nothing is decided yet, the group fails with this panic, and the
    /// waiter is woken. Otherwise the payload is dropped (the panic hook reported it).
    fn fail(&self, payload: Payload);
    /// Task `index` gave an output that ends the group: if nothing is decided yet, it does, and
    /// the waiter is woken.
    fn end(&self, index: usize);
    /// The index of the task that ended the group, if one did.
    fn ended(&self) -> Option<usize>;
    /// Registers the waiter, then resumes a member's panic if it decided the group. Registering
    /// first means a panic that lands after the check still wakes the waiter.
    fn register_and_check(&self, cx: &Context<'_>);
    /// Whether a member's panic decided the group.
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
    /// A member finished and its future is gone: its slot, index and outcome are queued, in the
    /// order members finish, and the waiter is woken.
    fn finished(&self, finished: Finished<Self::Output>);
    /// Moves the members that finished since the last call into `into`, in the order they did.
    fn take_finished(&self, into: &mut VecDeque<Finished<Self::Output>>);
    /// Registers the waiter, with nothing else.
    fn register(&self, cx: &Context<'_>);
}

/// Where a member of a running set keeps its outcome until its future is dropped, so that no
/// future outlives the taking of its outcome.
///
/// Nowhere (`()`) for a member on the group's thread: a runtime drops a task's future right
/// after its last poll, on the thread that polled it, so the group (on that thread too) cannot
/// look at the link before the future is gone, and the member reports from that poll. In the
/// member (`Option`) for one on another thread, which reports once its future is dropped.
#[doc(hidden)]
pub trait Keep<T>: Default {
    /// Keeps `outcome`, or gives it back to be reported now.
    fn keep(&mut self, outcome: Result<T, Payload>) -> Option<Result<T, Payload>>;
    /// The outcome kept, to report once the future is dropped.
    fn take(&mut self) -> Option<Result<T, Payload>>;
}

impl<T> Keep<T> for () {
    #[inline]
    fn keep(&mut self, outcome: Result<T, Payload>) -> Option<Result<T, Payload>> {
        Some(outcome)
    }

    #[inline]
    fn take(&mut self) -> Option<Result<T, Payload>> {
        None
    }
}

impl<T> Keep<T> for Option<Result<T, Payload>> {
    #[inline]
    fn keep(&mut self, outcome: Result<T, Payload>) -> Option<Result<T, Payload>> {
        *self = Some(outcome);
        None
    }

    #[inline]
    fn take(&mut self) -> Option<Result<T, Payload>> {
        Option::take(self)
    }
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

/// What decided a [`LocalLink`]'s group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Decision {
    #[default]
    Undecided,
    Failed,
    Ended(usize),
}

/// The link of a [`Local`](super::Local) group: its members run on its thread, so nothing is
/// atomic (a member costs one non-atomic reference count). `T` is the output of the members
/// whose outcomes come through it.
#[doc(hidden)]
pub struct LocalLink<T = ()> {
    decision: Cell<Decision>,
    panic: RefCell<Option<Payload>>,
    waiter: RefCell<Option<Waker>>,
    alive: Cell<usize>,
    finished: RefCell<VecDeque<Finished<T>>>,
}

impl<T> Default for LocalLink<T> {
    fn default() -> Self {
        LocalLink {
            decision: Cell::default(),
            panic: RefCell::default(),
            waiter: RefCell::default(),
            alive: Cell::default(),
            finished: RefCell::default(),
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
        if self.decision.get() != Decision::Undecided {
            // Dropped here, outside any borrow: its destructor may run user code.
            drop(payload);
            return;
        }
        self.decision.set(Decision::Failed);
        *self.panic.borrow_mut() = Some(payload);
        self.wake_waiter();
    }

    pub(crate) fn end(&self, index: usize) {
        if self.decision.get() == Decision::Undecided {
            self.decision.set(Decision::Ended(index));
            self.wake_waiter();
        }
    }

    pub(crate) fn ended(&self) -> Option<usize> {
        match self.decision.get() {
            Decision::Ended(index) => Some(index),
            _ => None,
        }
    }

    pub(crate) fn register(&self, cx: &Context<'_>) {
        let mut waiter = self.waiter.borrow_mut();
        if !waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waiter = Some(cx.waker().clone());
        }
    }

    pub(crate) fn register_and_check(&self, cx: &Context<'_>) {
        self.register(cx);
        if self.decision.get() == Decision::Failed {
            self.resume_panic();
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
    type Held = dyn DropNow;
    type Output = T;
    type Kept = ();

    fn started(&self) {
        self.alive.set(self.alive.get() + 1);
    }

    fn dropped(&self) {
        LocalLink::dropped(self);
    }

    fn alive(&self) -> usize {
        self.alive.get()
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

    fn end(&self, index: usize) {
        LocalLink::end(self, index);
    }

    fn ended(&self) -> Option<usize> {
        LocalLink::ended(self)
    }

    fn register_and_check(&self, cx: &Context<'_>) {
        LocalLink::register_and_check(self, cx);
    }

    fn failed(&self) -> bool {
        self.decision.get() == Decision::Failed
    }

    fn resume_panic(&self) -> ! {
        LocalLink::resume_panic(self)
    }
}

/// [`SendLink::decision`] before anything decided the group.
const UNDECIDED: usize = usize::MAX;
/// [`SendLink::decision`] once a member's panic decided it; any other value is the index of the
/// task whose output ended the group.
const FAILED: usize = usize::MAX - 1;

/// The link of a [`Sendable`](super::Sendable) group, whose members may run on other threads.
/// `T` is the output of the members whose outcomes come through it.
#[doc(hidden)]
pub struct SendLink<T = ()> {
    /// `UNDECIDED`, `FAILED`, or the index of the task that ended the group. Written once, by a
    /// compare-and-swap from `UNDECIDED`.
    decision: AtomicUsize,
    /// The panic that decided the group. It is stored under this lock by the member that won
    /// the compare-and-swap, which holds the lock across the swap: a waiter that sees `FAILED`
    /// and then takes the lock finds the payload.
    panic: Mutex<Option<Payload>>,
    waiter: AtomicWaker,
    /// How many members' futures are alive.
    alive: AtomicUsize,
    /// The members that finished, in the order they did.
    finished: Mutex<VecDeque<Finished<T>>>,
}

impl<T> Default for SendLink<T> {
    fn default() -> Self {
        SendLink {
            decision: AtomicUsize::new(UNDECIDED),
            panic: Mutex::new(None),
            waiter: AtomicWaker::new(),
            alive: AtomicUsize::new(0),
            finished: Mutex::new(VecDeque::new()),
        }
    }
}

impl<T> SendLink<T> {
    fn decide(&self, decision: usize) -> bool {
        self.decision
            .compare_exchange(UNDECIDED, decision, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub(crate) fn fail(&self, payload: Payload) {
        let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.decide(FAILED) {
            drop(slot);
            drop(payload);
            return;
        }
        *slot = Some(payload);
        drop(slot);
        self.waiter.wake();
    }

    pub(crate) fn end(&self, index: usize) {
        if self.decide(index) {
            self.waiter.wake();
        }
    }

    pub(crate) fn ended(&self) -> Option<usize> {
        match self.decision.load(Ordering::Acquire) {
            UNDECIDED | FAILED => None,
            index => Some(index),
        }
    }

    /// Registers the waiter on every poll: a wake-up takes the waker out of the `AtomicWaker`,
    /// and a group is woken more than once (members finish one by one; the last dropped one
    /// wakes a group that waits for its cancelled tasks). Registering the same waker again is a
    /// compare-and-swap and a `will_wake`.
    pub(crate) fn register(&self, cx: &Context<'_>) {
        self.waiter.register(cx.waker());
    }

    pub(crate) fn register_and_check(&self, cx: &Context<'_>) {
        self.register(cx);
        if self.decision.load(Ordering::Acquire) == FAILED {
            self.resume_panic();
        }
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
    type Held = SendHeld;
    type Output = T;
    type Kept = Option<Result<T, Payload>>;

    fn started(&self) {
        self.alive.fetch_add(1, Ordering::Relaxed);
    }

    fn dropped(&self) {
        SendLink::dropped(self);
    }

    fn alive(&self) -> usize {
        self.alive.load(Ordering::Acquire)
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

    fn end(&self, index: usize) {
        SendLink::end(self, index);
    }

    fn ended(&self) -> Option<usize> {
        SendLink::ended(self)
    }

    fn register_and_check(&self, cx: &Context<'_>) {
        SendLink::register_and_check(self, cx);
    }

    fn failed(&self) -> bool {
        self.decision.load(Ordering::Acquire) == FAILED
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

    /// Polls until a member's panic resumes in the waiter; returns its payload.
    fn await_panic(state: &Arc<SendLink>) -> Payload {
        loom::future::block_on(poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| state.register_and_check(cx))) {
                Ok(()) => Poll::Pending,
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
    fn the_first_member_to_end_the_group_wins_and_wakes_the_waiter() {
        loom::model(|| {
            let state = Arc::new(SendLink::<()>::default());
            let members: Vec<_> = [1, 2]
                .into_iter()
                .map(|index| {
                    let state = state.clone();
                    thread::spawn(move || state.end(index))
                })
                .collect();
            let winner = loom::future::block_on(poll_fn(|cx| {
                state.register_and_check(cx);
                match state.ended() {
                    Some(index) => Poll::Ready(index),
                    None => Poll::Pending,
                }
            }));
            for member in members {
                member.join().unwrap();
            }
            assert!(winner == 1 || winner == 2);
            assert_eq!(
                state.ended(),
                Some(winner),
                "a later end does not replace the winner"
            );
        });
    }

    #[test]
    fn an_end_and_a_panic_racing_decide_once_and_the_loser_changes_nothing() {
        loom::model(|| {
            let state = Arc::new(SendLink::<()>::default());
            let ender = {
                let state = state.clone();
                thread::spawn(move || state.end(0))
            };
            let panicker = {
                let state = state.clone();
                thread::spawn(move || state.fail(Box::new("late panic")))
            };
            let outcome = loom::future::block_on(poll_fn(|cx| {
                match catch_unwind(AssertUnwindSafe(|| state.register_and_check(cx))) {
                    Err(payload) => Poll::Ready(Err(payload)),
                    Ok(()) => match state.ended() {
                        Some(index) => Poll::Ready(Ok(index)),
                        None => Poll::Pending,
                    },
                }
            }));
            ender.join().unwrap();
            panicker.join().unwrap();
            match outcome {
                // The end decided: the panic that came after was dropped, never resumed.
                Ok(index) => {
                    assert_eq!(index, 0);
                    assert!(state.panic.lock().unwrap().is_none());
                }
                // The panic decided: no end is recorded.
                Err(payload) => {
                    assert_eq!(payload.downcast_ref::<&str>(), Some(&"late panic"));
                    assert_eq!(state.ended(), None);
                }
            }
        });
    }
}
