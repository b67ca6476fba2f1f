//! Tasks on the event loop: async-task tasks whose schedule function hands them to the loop's
//! ready queue, and the loop's list of tasks started with `spawn` (which may be detached, and
//! must then be dropped with the loop even if nothing would ever wake them again).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use async_task::{Runnable, Task};

use std::sync::Arc;

use super::cancel::MemberSchedule;
use super::LoopCore;
use crate::context;
use crate::erase;
use crate::unwind::{self, CatchDrop, Quiet};

impl LoopCore {
    /// Creates a task on this loop and queues it to run; returns its handle. A panic of the task
    /// resumes where the handle is awaited.
    pub(crate) fn spawn<F>(&self, future: F) -> Task<Quiet<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // Remembered until it finishes: its handle may be detached, and then only the loop can
        // drop it.
        let key = self.spawned_free.borrow_mut().pop().unwrap_or_else(|| {
            let mut spawned = self.spawned.borrow_mut();
            spawned.push(None);
            spawned.len() - 1
        });
        let tracked = Spawned {
            future,
            key,
            loop_id: self.id(),
        };
        let (runnable, task) = self.create(tracked, true);
        self.spawned.borrow_mut()[key] = Some(runnable.waker());
        self.push_ready(Some(runnable));
        task
    }

    /// Like [`spawn`](LoopCore::spawn), for a group's member, which catches its own panics: no
    /// second `catch_unwind` around each of its polls, no entry in the list of spawned tasks (its
    /// group owns it and cancels it when dropped), and scheduled through its group's
    /// `schedule` (see `cancel`).
    pub(crate) fn spawn_member<F>(
        &self,
        future: F,
        schedule: &Arc<MemberSchedule>,
    ) -> Task<Quiet<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (runnable, task) = unwind::local_member(future, MemberSchedule::function(schedule));
        self.push_ready(Some(runnable));
        task
    }

    /// Allocates a task of this loop (not yet queued). Its future is dropped through
    /// [`CatchDrop`] and its output through [`Quiet`], so that a panicking destructor never
    /// aborts the process inside async-task.
    fn create<F>(&self, future: F, propagate_panic: bool) -> (Runnable, Task<Quiet<F::Output>>)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.create_task(CatchDrop::new(erase::local(future)), propagate_panic)
    }

    /// The body of [`create`](LoopCore::create), generic over the future async-task gets (boxed
    /// in debug builds: `erase`), not over the task's own.
    fn create_task<F>(&self, future: F, propagate_panic: bool) -> (Runnable, Task<F::Output>)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let wake = self.wake.clone();
        async_task::Builder::new()
            .propagate_panic(propagate_panic)
            .spawn_local(
                move |()| future,
                move |runnable| wake.schedule(Some(runnable)),
            )
    }

    /// Forgets the spawned task `key`, which finished or was dropped.
    fn forget_spawned(&self, key: usize) {
        let waker = self
            .spawned
            .borrow_mut()
            .get_mut(key)
            .and_then(Option::take);
        if waker.is_some() {
            self.spawned_free.borrow_mut().push(key);
        }
        drop(waker);
    }
}

pin_project_lite::pin_project! {
    /// A task started with `spawn`: leaves the loop's list of spawned tasks when it is dropped
    /// (finished or cancelled).
    struct Spawned<F> {
        #[pin]
        future: F,
        key: usize,
        loop_id: usize,
    }

    impl<F> PinnedDrop for Spawned<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let (key, loop_id) = (*this.key, *this.loop_id);
            // When the loop itself is being dropped it is not current, and its list is gone.
            context::with_loop(|core| {
                if core.id() == loop_id {
                    core.forget_spawned(key);
                }
            });
        }
    }
}

impl<F: Future> Future for Spawned<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}
