//! The link between a group and its members: what a member must tell the group before its turn
//! in the order comes (a panic, an output that ends the group), and the waker of whoever awaits
//! the group. [`LocalLink`] for groups whose tasks stay on their thread, [`SendLink`] (atomic,
//! model-checked with loom) for `send` groups.

use std::cell::{Cell, RefCell};
use std::panic::resume_unwind;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Waker};

use super::Payload;
use crate::primitives::{AtomicBool, AtomicUsize, AtomicWaker, Mutex};

/// What a group's members share with the group: the first panic, the first task whose output
/// ends the group (a race's winner, a `try` group's first error), and the waker of whoever awaits
/// the group. Implemented by [`LocalLink`] and [`SendLink`] only.
pub trait Link: Clone + Default + 'static {
    /// Records a member's panic (the first one wins) and wakes the group's waiter.
    fn fail(&self, payload: Payload);
    /// Records that task `index` ends the group, if it is the first to; wakes the waiter.
    fn end(&self, index: usize);
    /// The index of the task that ended the group, if one did.
    fn ended(&self) -> Option<usize>;
    /// Registers the waiter (`registered` is the waker it registered last), then resumes a
    /// member's panic if there was one. Registering first means a panic that lands after the
    /// check still wakes the waiter.
    fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>);
    /// Resumes the panic a member recorded.
    fn resume_panic(&self) -> !;
}

/// The index of no task, in [`SendLink::ended`].
const NONE: usize = usize::MAX;

/// The link of a [`Local`] group: its members run on its thread, so nothing is atomic (a member
/// costs one non-atomic reference count).
#[doc(hidden)]
#[derive(Default)]
pub struct LocalLink {
    panic: RefCell<Option<Payload>>,
    failed: Cell<bool>,
    ended: Cell<Option<usize>>,
    waiter: RefCell<Option<Waker>>,
}

impl LocalLink {
    fn wake_waiter(&self) {
        let waiter = self.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    pub(crate) fn fail(&self, payload: Payload) {
        let mut slot = self.panic.borrow_mut();
        if slot.is_none() {
            *slot = Some(payload);
        }
        drop(slot);
        self.failed.set(true);
        self.wake_waiter();
    }

    pub(crate) fn end(&self, index: usize) {
        if self.ended.get().is_none() {
            self.ended.set(Some(index));
            self.wake_waiter();
        }
    }

    pub(crate) fn ended(&self) -> Option<usize> {
        self.ended.get()
    }

    pub(crate) fn register_and_check(&self, _registered: &mut Option<Waker>, cx: &Context<'_>) {
        {
            let mut waiter = self.waiter.borrow_mut();
            if !waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waiter = Some(cx.waker().clone());
            }
        }
        if self.failed.get() {
            self.resume_panic();
        }
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

impl Link for Rc<LocalLink> {
    fn fail(&self, payload: Payload) {
        LocalLink::fail(self, payload);
    }

    fn end(&self, index: usize) {
        LocalLink::end(self, index);
    }

    fn ended(&self) -> Option<usize> {
        LocalLink::ended(self)
    }

    fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>) {
        LocalLink::register_and_check(self, registered, cx);
    }

    fn resume_panic(&self) -> ! {
        LocalLink::resume_panic(self)
    }
}

/// The link of a [`Sendable`] group, whose members may run on other threads.
#[doc(hidden)]
pub struct SendLink {
    failed: AtomicBool,
    panic: Mutex<Option<Payload>>,
    waiter: AtomicWaker,
    /// The index of the first task whose output ends the group; `NONE` until then.
    ended: AtomicUsize,
}

impl Default for SendLink {
    fn default() -> Self {
        SendLink {
            failed: AtomicBool::new(false),
            panic: Mutex::new(None),
            waiter: AtomicWaker::new(),
            ended: AtomicUsize::new(NONE),
        }
    }
}

impl SendLink {
    pub(crate) fn fail(&self, payload: Payload) {
        let mut slot = self.panic.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(payload);
        }
        drop(slot);
        self.failed.store(true, Ordering::Release);
        self.waiter.wake();
    }

    pub(crate) fn end(&self, index: usize) {
        if self
            .ended
            .compare_exchange(NONE, index, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            self.waiter.wake();
        }
    }

    pub(crate) fn ended(&self) -> Option<usize> {
        match self.ended.load(Ordering::Acquire) {
            NONE => None,
            index => Some(index),
        }
    }

    /// A group is polled once per task it takes, nearly always by the same task, so the shared
    /// registration (a few atomic operations) is skipped while the waker stays the same.
    pub(crate) fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>) {
        if !registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            self.waiter.register(cx.waker());
            *registered = Some(cx.waker().clone());
        }
        if self.failed.load(Ordering::Acquire) {
            self.resume_panic();
        }
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

impl Link for Arc<SendLink> {
    fn fail(&self, payload: Payload) {
        SendLink::fail(self, payload);
    }

    fn end(&self, index: usize) {
        SendLink::end(self, index);
    }

    fn ended(&self) -> Option<usize> {
        SendLink::ended(self)
    }

    fn register_and_check(&self, registered: &mut Option<Waker>, cx: &Context<'_>) {
        SendLink::register_and_check(self, registered, cx);
    }

    fn resume_panic(&self) -> ! {
        SendLink::resume_panic(self)
    }
}

#[cfg(all(test, loom))]
mod loom_model {
    //! The link a `send` group's members share with whoever awaits the group, model-checked:
    //! `RUSTFLAGS="--cfg loom" cargo test -p jobloop-runtime --lib --release loom_model`.
    //! The waiter polls the way `Group` and `GroupMember` do, skipping the registration while
    //! its waker stays the same; loom's `block_on` parks it until it is woken, so a lost wake-up
    //! shows as a deadlock.

    use std::future::poll_fn;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::task::Poll;

    use loom::sync::Arc;
    use loom::thread;

    use super::{Payload, SendLink};

    /// Polls until a member's panic resumes in the waiter; returns its payload.
    fn await_panic(state: &Arc<SendLink>) -> Payload {
        let mut registered = None;
        loom::future::block_on(poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| {
                state.register_and_check(&mut registered, cx)
            })) {
                Ok(()) => Poll::Pending,
                Err(payload) => Poll::Ready(payload),
            }
        }))
    }

    #[test]
    fn a_members_panic_always_reaches_the_waiter() {
        loom::model(|| {
            let state = Arc::new(SendLink::default());
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
    fn of_two_panicking_members_one_panic_is_resumed_and_not_twice() {
        // Three threads with a lock each: unbounded, the search runs for hours. Three
        // preemptions per run cover these short paths (tokio bounds its models at 2 to 4).
        let mut model = loom::model::Builder::new();
        model.preemption_bound = Some(3);
        model.check(|| {
            let state = Arc::new(SendLink::default());
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
            // The other payload was dropped (the slot was full) or stored after the resumed one
            // was taken, and stays behind until the group is dropped: never the same one again.
            let left = state.panic.lock().unwrap().take();
            if let Some(left) = left {
                assert_ne!(*left.downcast_ref::<&str>().unwrap(), message);
            }
        });
    }

    #[test]
    fn the_first_member_to_end_the_group_wins_and_wakes_the_waiter() {
        loom::model(|| {
            let state = Arc::new(SendLink::default());
            let members: Vec<_> = [1, 2]
                .into_iter()
                .map(|index| {
                    let state = state.clone();
                    thread::spawn(move || state.end(index))
                })
                .collect();
            let mut registered = None;
            let winner = loom::future::block_on(poll_fn(|cx| {
                state.register_and_check(&mut registered, cx);
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
}
