//! Which runtime is running on this thread: the link between the free functions
//! ([`spawn`](crate::spawn), [`sleep`](crate::sleep), `tasks![]`) and the runtime that runs them.
//!
//! This is the one module the others reach from both sides: a runtime enters itself here when
//! it starts, and the free functions look it up here.

use std::cell::RefCell;
use std::rc::Rc;

use crate::event_loop::LoopCore;
use crate::Runtime;

/// The runtime of this thread.
#[derive(Clone)]
pub(crate) enum Current {
    /// The embedded event loop, reached directly (its own fast paths).
    Loop(Rc<LoopCore>),
    /// tokio, whose own spawner and timers jobloop calls directly.
    #[cfg(feature = "tokio")]
    Tokio(crate::runtime::tokio::Flavor),
    /// smol's executor, whose async-task handles jobloop keeps as it keeps the loop's.
    #[cfg(feature = "smol")]
    Smol(Rc<async_executor::LocalExecutor<'static>>),
    /// Any other runtime, through the [`Runtime`] trait.
    Runtime(Rc<dyn Runtime>),
}

thread_local! {
    /// Set by `block_on` for the thread that calls it, and for good on the worker threads of the
    /// multi-threaded adapters.
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// The runtime of this thread, if any (`None` also while the thread is being torn down).
pub(crate) fn current() -> Option<Current> {
    CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()
}

/// Calls `f` with the runtime of this thread borrowed in place, or `None` when there is none
/// (or the thread is being torn down). `f` must not enter or leave a runtime.
pub(crate) fn with_current_or_none<R>(f: impl FnOnce(Option<&Current>) -> R) -> R {
    // `try_with` takes `f` only when it calls it: kept aside to be called with `None` otherwise.
    let mut f = Some(f);
    let output = CURRENT.try_with(|current| f.take().map(|f| f(current.borrow().as_ref())));
    match (output, f) {
        (Ok(Some(output)), _) => output,
        (_, Some(f)) => f(None),
        // `f` was taken, so it was called and its output returned above.
        (_, None) => unreachable!("`with_current_or_none` lost its output"),
    }
}

/// Calls `f` with the event loop running on this thread; `None` when no event loop runs here.
#[inline]
pub(crate) fn with_loop<R>(f: impl FnOnce(&Rc<LoopCore>) -> R) -> Option<R> {
    CURRENT
        .try_with(|current| match &*current.borrow() {
            Some(Current::Loop(core)) => Some(f(core)),
            _ => None,
        })
        .ok()
        .flatten()
}

/// The runtime of this thread; a missing one is a usage error: it panics with a message that says
/// how to start one. `what` names the function the user called.
#[track_caller]
pub(crate) fn expect_current(what: &str) -> Current {
    match current() {
        Some(current) => current,
        None => outside_a_runtime(what),
    }
}

/// Panics with [`expect_current`]'s message when no runtime runs on this thread: for a public
/// function that spawns through a closure (where `#[track_caller]` stops), so that the panic
/// names the caller's line.
#[track_caller]
#[inline]
pub(crate) fn expect_runtime(what: &str) {
    let here = CURRENT
        .try_with(|current| current.borrow().is_some())
        .unwrap_or(false);
    if !here {
        outside_a_runtime(what);
    }
}

/// Calls `f` with the runtime of this thread, borrowed in place: what spawning uses, once per
/// task, so no reference count moves. `f` must not enter or leave a runtime (no `block_on`).
///
/// # Panics
///
/// As [`expect_current`], when no runtime runs on this thread.
#[track_caller]
#[inline]
pub(crate) fn with_current<R>(what: &str, f: impl FnOnce(&Current) -> R) -> R {
    // `f` (which holds the task to start) is not handed back when no runtime is set: it is
    // dropped before the panic (outside the borrow: it may run user code), as it would be by
    // the unwinding.
    let called = CURRENT.try_with(|current| {
        let borrowed = current.borrow();
        match borrowed.as_ref() {
            Some(current) => Some(f(current)),
            None => {
                drop(borrowed);
                drop(f);
                None
            }
        }
    });
    match called {
        Ok(Some(output)) => output,
        // Not set, or the thread is being torn down: `f` was not called.
        Ok(None) | Err(_) => outside_a_runtime(what),
    }
}

#[track_caller]
fn outside_a_runtime(what: &str) -> ! {
    panic!(
        "{what} was called outside a jobloop runtime: run this code inside \
         `#[jobloop::job_main]`, `#[jobloop::job_test]` or \
         `jobloop::EventLoop::new().block_on(...)`"
    )
}

/// Makes `runtime` the current runtime of this thread until the returned guard is dropped.
#[track_caller]
pub(crate) fn enter(runtime: Current) -> EnterGuard {
    // The panic outside the closure, so that it names the caller's line.
    let refused = CURRENT.with(|current| {
        let mut current = current.borrow_mut();
        if current.is_some() {
            return Some(runtime);
        }
        *current = Some(runtime);
        None
    });
    if let Some(runtime) = refused {
        drop(runtime);
        panic!(
            "a jobloop runtime's block_on was called while a runtime is already running on \
             this thread (from inside a task?). A task must not block the runtime that runs \
             it: `.await` the future instead, or start it with `jobloop::spawn`"
        );
    }
    new_entry();
    EnterGuard {
        _not_send: std::marker::PhantomData,
    }
}

/// Makes `runtime` the current runtime of this thread for good: for the worker threads of a
/// multi-threaded runtime, which run tasks and nothing else.
#[cfg(feature = "tokio")]
pub(crate) fn install_for_thread(runtime: Current) {
    let _ = CURRENT.try_with(|current| *current.borrow_mut() = Some(runtime));
    new_entry();
}

thread_local! {
    /// Which entry into a runtime this thread is in: a number no other entry of any thread had.
    static ENTRY: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Numbers the entries into runtimes, in every thread.
static ENTRIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn new_entry() {
    let entry = ENTRIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let _ = ENTRY.try_with(|cell| cell.set(entry));
}

/// The number of this thread's entry into its runtime (`block_on`, or a worker thread's for
/// good): what tells a task of the runtime running here from one of a runtime that ran here
/// before, or runs elsewhere (a group's runner, `task/runner.rs`). 0 outside a runtime.
pub(crate) fn entry() -> u64 {
    ENTRY.try_with(std::cell::Cell::get).unwrap_or(0)
}

/// Clears the current runtime when `block_on` returns or unwinds.
pub(crate) struct EnterGuard {
    _not_send: std::marker::PhantomData<Rc<()>>,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        // Take the value out first, so that a runtime's destructor (if this was the last
        // reference) does not run while the thread-local is borrowed.
        let previous = CURRENT
            .try_with(|current| current.borrow_mut().take())
            .ok()
            .flatten();
        let _ = ENTRY.try_with(|cell| cell.set(0));
        drop(previous);
        // Every way out of a `block_on` (a return, a panic, a cancellation on a signal) leaves
        // the trace's file complete.
        crate::debug::trace_checkpoint();
    }
}
