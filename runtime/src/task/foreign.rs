//! Tasks on a runtime of the user's own, reached through the [`Runtime`](crate::Runtime) trait:
//! the output, panic and cancellation plumbing between the task the runtime polls
//! ([`ForeignTask`]) and the handle jobloop keeps ([`ForeignHandle`]). (The embedded loop, tokio
//! and smol have handles of their own.)
//!
//! The runtime only polls a boxed `ForeignTask`; the task stores its output (or its panic) in the
//! shared state and wakes the handle. Dropping the handle without `detach` cancels: it marks the
//! state and wakes the task, which then returns at once so the runtime drops the future.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::thread;

use crate::deadlock::{Awaiting, LoopInFlight};
use crate::unwind::{CatchDrop, Quiet};

struct Shared<T> {
    /// The output, once the task finished (a panic is `Err` with its payload). Kept [`Quiet`]:
    /// when nobody takes it, the runtime drops it with the task, and a panicking `Drop` must not
    /// unwind into the runtime.
    output: Option<thread::Result<Quiet<T>>>,
    /// The task finished, or was dropped by its runtime without finishing.
    finished: bool,
    /// The handle was dropped without detaching: the task must stop.
    cancelled: bool,
    /// Who awaits the handle.
    join_waker: Option<Waker>,
    /// That wait, counted for the loop that awaits (see `deadlock.rs`): the task runs on
    /// another runtime (a [`Handle`](crate::Handle)'s), whose thread wakes the loop.
    awaiting: Awaiting,
    /// The loop the task runs on, when a [`Handle`](crate::Handle) of a loop started it: a
    /// wait there is its own task's, not counted.
    home: Option<LoopInFlight>,
    /// The task's own waker, to wake it when cancelled.
    task_waker: Option<Waker>,
}

struct State<T>(Mutex<Shared<T>>);

impl<T> State<T> {
    fn lock(&self) -> MutexGuard<'_, Shared<T>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the end of the task and wakes the handle.
    fn finish(&self, output: Option<thread::Result<Quiet<T>>>) {
        let (waker, awaiting) = {
            let mut shared = self.lock();
            if shared.finished {
                return;
            }
            shared.finished = true;
            shared.output = output;
            shared.task_waker = None;
            let awaiting = std::mem::take(&mut shared.awaiting);
            (shared.join_waker.take(), awaiting)
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        // Counted until the wake is given.
        drop(awaiting);
    }
}

/// Wraps `future` for a foreign runtime; returns the future to spawn there and its handle.
pub(crate) fn wrap<F: Future>(future: F) -> (ForeignTask<F>, ForeignHandle<F::Output>) {
    wrap_on(future, None)
}

/// [`wrap`] for a task that will run on the loop whose deadlock count is `home`.
pub(crate) fn wrap_on<F: Future>(
    future: F,
    home: Option<LoopInFlight>,
) -> (ForeignTask<F>, ForeignHandle<F::Output>) {
    let state = Arc::new(State(Mutex::new(Shared {
        output: None,
        finished: false,
        cancelled: false,
        join_waker: None,
        awaiting: Awaiting::default(),
        home,
        task_waker: None,
    })));
    let task = ForeignTask {
        future: CatchDrop::new(future),
        guard: FinishOnDrop(state.clone()),
    };
    (task, ForeignHandle { state: Some(state) })
}

pin_project_lite::pin_project! {
    /// The future a foreign runtime polls. The user's future is dropped through [`CatchDrop`],
    /// so that a panicking destructor does not unwind into the runtime when it drops the task.
    pub(crate) struct ForeignTask<F: Future> {
        #[pin]
        future: CatchDrop<F>,
        guard: FinishOnDrop<F::Output>,
    }
}

/// Tells the handle when the runtime drops the task before it finished (runtime shut down).
struct FinishOnDrop<T>(Arc<State<T>>);

impl<T> Drop for FinishOnDrop<T> {
    fn drop(&mut self) {
        self.0.finish(None);
    }
}

impl<F: Future> Future for ForeignTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let state = &this.guard.0;
        {
            let mut shared = state.lock();
            if shared.cancelled {
                return Poll::Ready(());
            }
            match &shared.task_waker {
                Some(waker) if waker.will_wake(cx.waker()) => {}
                _ => shared.task_waker = Some(cx.waker().clone()),
            }
        }
        let future = this.future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                state.finish(Some(Ok(output)));
                Poll::Ready(())
            }
            Err(payload) => {
                state.finish(Some(Err(payload)));
                Poll::Ready(())
            }
        }
    }
}

/// jobloop's side of a task on a foreign runtime. Dropping it cancels the task.
pub(crate) struct ForeignHandle<T> {
    /// `None` once detached.
    state: Option<Arc<State<T>>>,
}

impl<T> ForeignHandle<T> {
    /// The task's output: `Some(Ok)`, its panic as `Some(Err)`, or `None` if the runtime dropped
    /// it unfinished.
    pub(crate) fn poll_output(&mut self, cx: &mut Context<'_>) -> Poll<Option<thread::Result<T>>> {
        let Some(state) = &self.state else {
            return Poll::Ready(None);
        };
        let mut shared = state.lock();
        if shared.finished {
            let output = shared.output.take();
            return Poll::Ready(output.and_then(|output| match output {
                Ok(output) => output.into_inner().map(Ok),
                Err(payload) => Some(Err(payload)),
            }));
        }
        match &shared.join_waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => shared.join_waker = Some(cx.waker().clone()),
        }
        let shared = &mut *shared;
        shared.awaiting.pending(shared.home.as_ref());
        Poll::Pending
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.state
            .as_ref()
            .is_none_or(|state| state.lock().finished)
    }

    /// Cancels the task, as dropping the handle does, but keeps the handle: `poll_output` then
    /// gives `None` once the runtime has dropped the task's future, or the output if the task
    /// finished first.
    pub(crate) fn cancel(&mut self) {
        let Some(state) = &self.state else {
            return;
        };
        let waker = {
            let mut shared = state.lock();
            if shared.finished {
                return;
            }
            shared.cancelled = true;
            shared.awaiting = Awaiting::default();
            shared.task_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Lets the task run on without anyone awaiting it.
    pub(crate) fn detach(mut self) {
        if let Some(state) = self.state.take() {
            state.lock().awaiting = Awaiting::default();
        }
    }
}

impl<T> Drop for ForeignHandle<T> {
    fn drop(&mut self) {
        self.cancel();
    }
}
