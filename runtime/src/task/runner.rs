//! A group's tasks on a runtime other than the embedded loop: async-task tasks queued in a
//! queue of the group's own and run by one task of that runtime, the group's [`Runner`].
//!
//! Why not one runtime task per member, as `jobloop::spawn` makes? Two reasons, both measured
//! (benches/NOTES.md):
//!
//! - Cancelling at once. A group drops its tasks' futures before its drop returns. tokio and
//!   async-executor drop a cancelled task's future only when they next get to it; a group whose
//!   members sit in its own queue drops them itself: it drops their handles (async-task then
//!   queues every idle one) and runs what its queue holds, which drops the futures of the
//!   cancelled (see [`Runner::cancel`]). Without a runner the group must hold each future in a
//!   cell of its own (`cancel.rs`: one more allocation and a lock per poll).
//! - Cost. A member is one async-task allocation and a queue entry (a release build's; a debug
//!   build boxes its future too: `erase`), where a tokio task also joins tokio's list of owned
//!   tasks, and an async-executor task its executor's list of active ones, each behind a lock.
//!
//! A runner serves one entry into one runtime (one `block_on`, see `context::entry`): it is used
//! where a group's tasks all run on the group's thread anyway (the groups without `send` on
//! every adapter; `send` groups on tokio's current-thread runtime and on smol, which have one
//! thread). `send` groups on a multi-threaded runtime keep one runtime task per member, which the
//! runtime may run in parallel. A group that starts tasks under another entry (a `send` group
//! moved to another thread, a group kept from one `block_on` to the next) starts a runner there
//! and keeps the earlier ones, whose tasks run on where they started, until it is done.
//!
//! The runner polls at most the tasks queued when it is polled, then yields to its runtime if
//! more are queued: the runtime's other tasks get their turn, and tokio's cooperative budget
//! (which a runner's members share within one of its polls) is renewed. It ends once its group
//! is done with it (every [`RunnerOwner`] dropped) and its queue is empty. If its runtime drops
//! it first (the runtime shut down with the group still running), the tasks it holds are dropped,
//! as a runtime drops its tasks when it shuts down, and so is a task woken later on the thread
//! that started the runner; one woken on another thread (whose future may not be `Send`) waits
//! in the queue for its group to cancel it (or, if the group is leaked, is leaked with it). A
//! task idle when its runtime ended and never woken again keeps its group waiting, as on the
//! embedded loop.
//!
//! On smol, a runner whose group is done waits for the next group of its thread instead of
//! ending (a few are kept, [`IDLE`]): a small group then costs no task of smol's at all. (Not on
//! tokio, whose runtimes jobloop cannot tell apart, nor on a runtime of the user's own, which
//! may wait for every task it runs to end.)

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
#[cfg(feature = "smol")]
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Waker};

use async_task::{Runnable, Task};

use crate::context::{self, Current};
use crate::primitives::{AtomicBool, AtomicU64, AtomicUsize, Mutex, MutexGuard};
use crate::unwind::{self, Quiet};

/// The queue of a group's tasks, and what its runner task needs to know.
pub(crate) struct Runner {
    state: Mutex<State>,
    /// Set when the runtime dropped the runner task: tasks are then dropped, not queued.
    dead: AtomicBool,
    /// How many [`RunnerOwner`]s there are: once none, the runner ends when its queue is empty.
    owners: AtomicUsize,
    /// The entry into a runtime (`context::entry`) whose tasks it serves.
    entry: AtomicU64,
    /// The thread that started it (an address unique to the thread while it lives), the one
    /// where a task of a group without `send` may be dropped.
    thread: usize,
    /// The smol executor that runs it, which may give it to another group once this one is done
    /// with it; 0 for the runners that end with their group.
    home: usize,
}

struct State {
    queue: VecDeque<Runnable>,
    /// The runner task's waker while it waits for its queue; taken by the wake.
    waker: Option<Waker>,
    /// Set when the last owner is dropped.
    closed: bool,
}

thread_local! {
    /// Its address tells threads apart, more cheaply than `thread::current().id()`.
    static THREAD: u8 = const { 0 };
    /// The runners of this thread waiting for a group (on smol).
    static IDLE: RefCell<Vec<Arc<Runner>>> = const { RefCell::new(Vec::new()) };
}

/// How many idle runners a thread keeps.
const IDLE_RUNNERS: usize = 16;

fn this_thread() -> usize {
    THREAD.with(|byte| byte as *const u8 as usize)
}

/// Whether groups run their tasks through a [`Runner`] on `current`: on every runtime but the
/// loop (which has its own means, `event_loop/cancel.rs`) when the tasks stay on this thread,
/// and for `send` groups on the runtimes with one thread.
pub(crate) fn runs_members(current: &Current, send: bool) -> bool {
    match current {
        Current::Loop(_) => false,
        #[cfg(feature = "tokio")]
        Current::Tokio(flavor) => !send || *flavor == crate::runtime::tokio::Flavor::CurrentThread,
        #[cfg(feature = "smol")]
        Current::Smol(_) => true,
        Current::Runtime(_) => !send,
    }
}

impl Runner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held (tasks run outside it).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a runner task on `current` (a runtime for which [`runs_members`] is true), on this
    /// thread unless `send`; returns its owner.
    #[track_caller]
    #[cfg_attr(not(feature = "tokio"), allow(unused_variables))] // `send` tells tokio's spawners
    pub(crate) fn start(current: &Current, send: bool) -> RunnerOwner {
        let home = match current {
            #[cfg(feature = "smol")]
            Current::Smol(executor) => Rc::as_ptr(executor) as usize,
            _ => 0,
        };
        if home != 0 {
            if let Some(runner) = take_idle(home) {
                runner.owners.store(1, Ordering::Relaxed);
                runner.entry.store(context::entry(), Ordering::Relaxed);
                return RunnerOwner(runner);
            }
        }
        let runner = Runner::new(home);
        let run = Run(runner.clone());
        match current {
            #[cfg(feature = "tokio")]
            Current::Tokio(flavor) => {
                if send {
                    drop(tokio::spawn(run));
                } else {
                    drop(crate::runtime::tokio::spawn_local(*flavor, run));
                }
            }
            #[cfg(feature = "smol")]
            Current::Smol(executor) => executor.spawn(run).detach(),
            Current::Runtime(runtime) => runtime.spawn_local(Box::pin(run)),
            Current::Loop(core) => core.spawn(run).detach(),
        }
        RunnerOwner(runner)
    }

    /// A runner of this thread, with one owner, whose task is not started yet.
    fn new(home: usize) -> Arc<Runner> {
        Arc::new(Runner {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                waker: None,
                closed: false,
            }),
            dead: AtomicBool::new(false),
            owners: AtomicUsize::new(1),
            entry: AtomicU64::new(context::entry()),
            thread: this_thread(),
            home,
        })
    }

    /// Whether tasks started here (in this entry into a runtime) can be given to this runner.
    pub(crate) fn serves_here(&self) -> bool {
        !self.dead.load(Ordering::Relaxed) && self.entry.load(Ordering::Relaxed) == context::entry()
    }

    /// Queues a task to run, and wakes the runner task if it waits.
    fn schedule(&self, runnable: Runnable) {
        let mut state = self.lock();
        if self.dead.load(Ordering::Relaxed) {
            if self.thread == this_thread() {
                drop(state);
                // Drops the task's future, and tells its handle it is gone.
                drop(runnable);
            } else {
                // Not the task's thread: left for its group to cancel (see the top).
                state.queue.push_back(runnable);
            }
            return;
        }
        state.queue.push_back(runnable);
        let waker = state.waker.take();
        drop(state);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Starts `future`, a group member that catches its own panics, on this runner; returns its
    /// handle.
    pub(crate) fn spawn_local<F>(self: &Arc<Self>, future: F) -> Task<Quiet<F::Output>>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (runnable, task) = unwind::local_member(future, self.schedule_function());
        self.schedule(runnable);
        task
    }

    /// [`spawn_local`](Runner::spawn_local) for a `Send` member, which may be run (or dropped by
    /// its group) on another thread.
    pub(crate) fn spawn_send<F>(self: &Arc<Self>, future: F) -> Task<Quiet<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (runnable, task) = unwind::send_member(future, self.schedule_function());
        self.schedule(runnable);
        task
    }

    /// The schedule function of this runner's tasks. Made here, where nothing is generic: one
    /// closure type for every member's task (see `erase`).
    fn schedule_function(self: &Arc<Self>) -> impl Fn(Runnable) + Send + Sync + 'static {
        let runner = self.clone();
        move |runnable| runner.schedule(runnable)
    }

    /// Cancels the group's tasks whose handles `drop_handles` drops: async-task queues each idle
    /// one, and every task queued is run now, which drops the future of each cancelled one (a
    /// cancelled task is not polled). For a whole group: a task queued that was not cancelled
    /// would be polled here ([`cancel_one`](Runner::cancel_one) cancels one task). When
    /// this returns every cancelled future is dropped, but one being polled at this moment on
    /// another thread (a `send` group dropped away from its runner), which async-task drops as
    /// that poll returns.
    pub(crate) fn cancel(&self, drop_handles: impl FnOnce()) {
        drop_handles();
        // Dropping a future can cancel more of them (a group it held): until the queue is empty.
        loop {
            let queued = std::mem::take(&mut self.lock().queue);
            if queued.is_empty() {
                return;
            }
            for runnable in queued {
                runnable.run();
            }
        }
    }

    /// Drops the future of `task` ([`unwind::member_address`]), whose handle was dropped, if it
    /// is queued here (as an idle task is once its handle drops); the other tasks stay queued,
    /// unpolled (see `Canceller::cancel_one`). Not queued, it was being polled (on another
    /// thread), and async-task drops it as that poll returns.
    pub(crate) fn cancel_one(&self, task: usize) {
        let cancelled = {
            let mut state = self.lock();
            let queue = &mut state.queue;
            let at = (queue.iter())
                .position(|runnable| unwind::member_address(runnable.metadata()) == task);
            at.and_then(|at| queue.remove(at))
        };
        if let Some(runnable) = cancelled {
            // A cancelled task is not polled: `run` drops its future.
            runnable.run();
        }
    }
}

/// A group's share of its runner: the runner ends once every owner is dropped and its queue is
/// empty. Cloned for each handle of a list group (`tasks![a, b]`), which cancels its own task.
pub(crate) struct RunnerOwner(Arc<Runner>);

impl RunnerOwner {
    pub(crate) fn runner(&self) -> &Arc<Runner> {
        &self.0
    }
}

impl Clone for RunnerOwner {
    fn clone(&self) -> Self {
        self.0.owners.fetch_add(1, Ordering::Relaxed);
        RunnerOwner(self.0.clone())
    }
}

impl Drop for RunnerOwner {
    fn drop(&mut self) {
        if self.0.owners.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Every task of the group is gone by now (its group is done with it, or cancelled
            // them before letting it go): the runner can wait for another group.
            if self.0.home != 0 && self.0.serves_here() && put_idle(&self.0) {
                return;
            }
            let mut state = self.0.lock();
            state.closed = true;
            let waker = state.waker.take();
            drop(state);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

/// An idle runner of this thread on the executor `home`, if one is kept.
fn take_idle(home: usize) -> Option<Arc<Runner>> {
    IDLE.try_with(|idle| {
        let mut idle = idle.borrow_mut();
        let at = idle
            .iter()
            .rposition(|runner| runner.home == home && !runner.dead.load(Ordering::Relaxed))?;
        Some(idle.swap_remove(at))
    })
    .ok()
    .flatten()
}

/// Keeps `runner` for the next group of its thread; false when enough are kept.
fn put_idle(runner: &Arc<Runner>) -> bool {
    IDLE.try_with(|idle| {
        let mut idle = idle.borrow_mut();
        // Those of executors gone go.
        idle.retain(|runner| !runner.dead.load(Ordering::Relaxed));
        if idle.len() == IDLE_RUNNERS {
            return false;
        }
        // A big group's queue is not kept for the next one.
        runner.lock().queue.shrink_to(BATCH);
        idle.push(runner.clone());
        true
    })
    .unwrap_or(false)
}

/// The runner task: runs the tasks of its queue.
struct Run(Arc<Runner>);

/// How many tasks one poll of a runner runs at most before it yields to its runtime, when its
/// queue keeps filling.
const BATCH: usize = 256;

impl Future for Run {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let runner = &*self.0;
        // The tasks queued now; those woken while they run wait for the next poll.
        let mut budget = runner.lock().queue.len().min(BATCH);
        while budget > 0 {
            let Some(runnable) = runner.lock().queue.pop_front() else {
                break;
            };
            budget -= 1;
            runnable.run();
        }
        let mut state = runner.lock();
        if !state.queue.is_empty() {
            drop(state);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if state.closed {
            return Poll::Ready(());
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let runner = &*self.0;
        let mut state = runner.lock();
        runner.dead.store(true, Ordering::Relaxed);
        let queued = std::mem::take(&mut state.queue);
        // Its own waker, which would keep this task's allocation.
        let waker = state.waker.take();
        drop(state);
        drop(waker);
        // Dropping a task's runnable drops its future and tells its handle it is gone.
        drop(queued);
    }
}

#[cfg(all(test, jobloop_loom))]
mod loom_model {
    //! A `send` group's runner, model-checked with the wake-ups and the cancel coming from
    //! another thread: `RUSTFLAGS="--cfg jobloop_loom" cargo test -p jobloop-runtime --lib
    //! --release loom_model`. The runner task is polled by loom's `block_on`, which parks until
    //! it is woken: a lost wake-up shows as a deadlock.

    use std::future::Future;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use loom::thread;

    use super::{Run, Runner, RunnerOwner};

    /// A member's future: counts its polls to the end and its drops.
    struct Counted(Arc<AtomicUsize>, Arc<AtomicUsize>);

    impl std::future::Future for Counted {
        type Output = ();
        fn poll(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::task::Poll::Ready(())
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A runner with one owner, and one task on it (not queued yet) that counts its polls to the
    /// end and its drops.
    fn one_task() -> (
        RunnerOwner,
        Arc<Runner>,
        async_task::Runnable,
        async_task::Task<()>,
        Arc<AtomicUsize>,
        Arc<AtomicUsize>,
    ) {
        let owner = RunnerOwner(Runner::new(0));
        let runner = owner.runner().clone();
        let (ran, dropped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let queue = runner.clone();
        let (runnable, task) =
            async_task::spawn(Counted(ran.clone(), dropped.clone()), move |runnable| {
                queue.schedule(runnable)
            });
        (owner, runner, runnable, task, ran, dropped)
    }

    #[test]
    fn a_task_woken_from_another_thread_always_runs() {
        loom::model(|| {
            let (owner, runner, runnable, task, ran, dropped) = one_task();
            task.detach();
            // Woken from another thread, and nothing else: the runner must wake for it.
            let other = thread::spawn(move || runnable.schedule());
            let mut run = Run(runner);
            let mut owner = Some(owner);
            loom::future::block_on(std::future::poll_fn(|cx| {
                let poll = std::pin::Pin::new(&mut run).poll(cx);
                if ran.load(Ordering::SeqCst) == 1 && owner.is_some() {
                    // The group is done with its runner: it ends, its queue being empty.
                    drop(owner.take());
                    return std::pin::Pin::new(&mut run).poll(cx);
                }
                poll
            }));
            other.join().unwrap();
            assert_eq!(dropped.load(Ordering::SeqCst), 1);
        });
    }

    #[test]
    fn a_cancel_from_another_thread_drops_the_task_once_and_the_runner_ends() {
        loom::model(|| {
            let (owner, runner, runnable, task, ran, dropped) = one_task();
            runnable.schedule();
            let cancelling = runner.clone();
            let other = thread::spawn(move || {
                cancelling.cancel(|| drop(task));
                drop(owner);
            });
            loom::future::block_on(Run(runner));
            other.join().unwrap();
            // Run before the cancel, or dropped by it: either way once, and gone.
            assert!(ran.load(Ordering::SeqCst) <= 1);
            assert_eq!(dropped.load(Ordering::SeqCst), 1);
        });
    }
}
