//! Which event loop is running on this thread: the link between the free functions
//! ([`spawn`](crate::spawn), [`sleep`](crate::sleep), `tasks![]`) and the loop that runs them.

use std::cell::RefCell;
use std::rc::Rc;

use crate::event_loop::LoopCore;

thread_local! {
    /// The loop whose `block_on` is running on this thread, if any.
    static CURRENT: RefCell<Option<Rc<LoopCore>>> = const { RefCell::new(None) };
}

/// Calls `f` with the event loop running on this thread; `None` when no loop runs here (or the
/// thread is being torn down).
pub(crate) fn with_current<R>(f: impl FnOnce(&Rc<LoopCore>) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| current.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Like [`with_current`], but a missing loop is a usage error: it panics with a message that says
/// how to start one. `what` names the function the user called.
#[track_caller]
pub(crate) fn expect_current<R>(what: &str, f: impl FnOnce(&Rc<LoopCore>) -> R) -> R {
    match with_current(f) {
        Some(value) => value,
        None => panic!(
            "{what} was called outside a jobloop runtime: run this code inside \
             `#[jobloop::job_main]`, `#[jobloop::job_test]` or \
             `jobloop::EventLoop::new().block_on(...)`"
        ),
    }
}

/// Makes `core` the current loop of this thread until the returned guard is dropped.
#[track_caller]
pub(crate) fn enter(core: Rc<LoopCore>) -> EnterGuard {
    CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        if current.is_some() {
            panic!(
                "EventLoop::block_on was called while an event loop is already running on this \
                 thread (from inside a task?). A task must not block the loop that runs it: \
                 `.await` the future instead, or start it with `jobloop::spawn`"
            );
        }
        *current = Some(core);
    });
    EnterGuard {
        _not_send: std::marker::PhantomData,
    }
}

/// Clears the current loop when `block_on` returns or unwinds.
pub(crate) struct EnterGuard {
    _not_send: std::marker::PhantomData<Rc<()>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        // Take the value out first, so that the loop's own destructor (if this was the last
        // reference) does not run while the thread-local is borrowed.
        let previous = CURRENT
            .try_with(|current| current.borrow_mut().take())
            .ok()
            .flatten();
        drop(previous);
    }
}
