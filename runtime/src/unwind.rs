//! Panics that must not escape: a destructor that panics while a runtime drops a task (async-task
//! aborts the process when that happens inside it), or while the event loop is being dropped.
//! Every async-task task jobloop starts (a spawned task on the loop or on smol, a group's member
//! on the loop or on a runner) drops its future and its output through these; tokio's own tasks
//! are not wrapped (tokio catches a panic of a dropped task's future itself).

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use async_task::{Runnable, Task};

use crate::erase;

/// The async-task task of a group member, queued by `schedule`: its future is dropped through
/// [`CatchDrop`] and its output through [`Quiet`], and async-task adds no `catch_unwind` of its
/// own (a member catches its task's panic itself). For the members of a group without `send`,
/// which stay on this thread; [`send_member`] for the others.
pub(crate) fn local_member<F, S>(future: F, schedule: S) -> (Runnable, Task<Quiet<F::Output>>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Fn(Runnable) + Send + Sync + 'static,
{
    spawn_local_member(CatchDrop::new(erase::local(future)), schedule)
}

/// The body of [`local_member`], generic over the future async-task gets (boxed in debug builds:
/// `erase`), not over the member's own.
fn spawn_local_member<F, S>(future: F, schedule: S) -> (Runnable, Task<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Fn(Runnable) + Send + Sync + 'static,
{
    async_task::Builder::new()
        .propagate_panic(false)
        .spawn_local(move |()| future, schedule)
}

/// Which member task `metadata` belongs to: the address of its metadata, which is the same
/// from the task's [`Runnable`] and from its [`Task`] (one allocation holds both), and unique
/// while the task lives. What a group uses to cancel one of its tasks (`task/cancel.rs`). It
/// holds because both read the field of one header type, `Header<()>`: every member task keeps
/// async-task's default metadata, `()`.
pub(crate) fn member_address(metadata: &()) -> usize {
    std::ptr::from_ref(metadata).addr()
}

/// [`local_member`] for a `Send` member, which may be run (or dropped) on another thread.
pub(crate) fn send_member<F, S>(future: F, schedule: S) -> (Runnable, Task<Quiet<F::Output>>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable) + Send + Sync + 'static,
{
    spawn_send_member(CatchDrop::new(erase::send(future)), schedule)
}

/// The body of [`send_member`] (see [`spawn_local_member`]).
fn spawn_send_member<F, S>(future: F, schedule: S) -> (Runnable, Task<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Fn(Runnable) + Send + Sync + 'static,
{
    async_task::Builder::new()
        .propagate_panic(false)
        .spawn(move |()| future, schedule)
}

/// Drops `value`, catching a panic of its destructor (the panic hook has reported it).
pub(crate) fn drop_quietly<T>(value: T) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(value)));
}

pin_project_lite::pin_project! {
    /// A task's future, dropped inside `catch_unwind`: a destructor that panics while the
    /// runtime drops a cancelled task is reported by the panic hook, and the runtime goes on.
    pub(crate) struct CatchDrop<F> {
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for CatchDrop<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut future = this.project().future;
            // `Pin::set` drops the pinned future in place, as a pinned value must be.
            let _ = catch_unwind(AssertUnwindSafe(|| future.set(None)));
        }
    }
}

impl<F> CatchDrop<F> {
    pub(crate) fn new(future: F) -> CatchDrop<F> {
        CatchDrop {
            future: Some(future),
        }
    }
}

impl<F: Future> Future for CatchDrop<F> {
    type Output = Quiet<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Quiet<F::Output>> {
        match self.project().future.as_pin_mut() {
            Some(future) => future.poll(cx).map(|output| Quiet(Some(output))),
            // Only reachable by polling after the future was dropped, which no runtime does;
            // pending forever is the harmless answer.
            None => Poll::Pending,
        }
    }
}

/// A task's output: when nobody takes it (the task was detached), the runtime drops it where a
/// panic would abort the process, so a panicking `Drop` of the output is caught here.
pub(crate) struct Quiet<T>(Option<T>);

impl<T> Quiet<T> {
    /// The output itself.
    pub(crate) fn into_inner(mut self) -> Option<T> {
        self.0.take()
    }
}

impl<T> Drop for Quiet<T> {
    fn drop(&mut self) {
        if let Some(output) = self.0.take() {
            drop_quietly(output);
        }
    }
}

/// What tokio's I/O types and timers panic with outside a tokio runtime.
const NO_TOKIO: &str = "must be called from the context of a Tokio 1.x runtime";

/// After a panic that says there is no tokio runtime, prints once which two ways jobloop has
/// out of it (the default panic hook printed the panic itself just before). Returns whether
/// the payload is such a panic.
pub(crate) fn hint_if_no_tokio(payload: &(dyn std::any::Any + Send)) -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static HINTED: AtomicBool = AtomicBool::new(false);
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    let no_tokio = message.is_some_and(|message| message.contains(NO_TOKIO));
    if no_tokio && !HINTED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "jobloop: a tokio-based type needs tokio's reactor: enable jobloop's cargo feature \
             `tokio` (the default loop then drives tokio's I/O and timers), or run on tokio \
             with `#[jobloop::job_main(runtime = jobloop::runtime::Tokio::current_thread())]`"
        );
    }
    no_tokio
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokios_no_reactor_panic_is_recognized_and_others_are_not() {
        let tokio = "there is no reactor running, must be called from the context of a Tokio \
                     1.x runtime";
        assert!(super::hint_if_no_tokio(&tokio));
        assert!(super::hint_if_no_tokio(&tokio.to_owned()));
        assert!(!super::hint_if_no_tokio(&"index out of bounds"));
        assert!(!super::hint_if_no_tokio(&42));
    }
}
