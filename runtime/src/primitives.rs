//! The primitives of the structures that threads share (the loop's wake queue, a `send` group's
//! link): std's and atomic-waker's in a normal build, loom's under `cfg(jobloop_loom)`, whose model tests
//! then explore every interleaving of their operations. (Not the public `sync` toolkit: these are
//! the building blocks of jobloop's own internals.)

#[cfg(jobloop_loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(jobloop_loom)]
pub(crate) use loom::sync::{Mutex, MutexGuard};

#[cfg(not(jobloop_loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(not(jobloop_loom))]
pub(crate) use std::sync::{Mutex, MutexGuard};

#[cfg(not(jobloop_loom))]
pub(crate) use atomic_waker::AtomicWaker;

/// loom's `AtomicWaker`, with atomic-waker's signature for `register`.
#[cfg(jobloop_loom)]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(jobloop_loom)]
impl AtomicWaker {
    pub(crate) fn new() -> AtomicWaker {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}
