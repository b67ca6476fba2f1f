//! The embedded event loop: one thread, a FIFO ready queue, a timer queue and an I/O reactor
//! (with the feature `net` or `process`; without, the loop parks its thread between timers).
//!
//! The heartbeat lives in [`EventLoop::block_on`]: run the tasks that are ready, take the wake-ups
//! that came from other threads, fire the timers that are due, and wait for I/O or the next
//! deadline when there is nothing left to run. The parts live beneath this file:
//!
//! - `tasks`: the loop's tasks (async-task tasks whose schedule function queues them here);
//! - `wake`: the half of the loop that wakers reach from any thread, and `injector`, its queue;
//! - `timers`: the timer queue; `reactor`: the OS poller and the tasks waiting on sockets (with
//!   the feature `net` or `process`; without I/O, `park` takes its place: a thread park).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use async_task::Runnable;

use crate::context::{self, Current};
use crate::deadlock::{self, OnDeadlock};
use crate::unwind::drop_quietly;

pub(crate) mod cancel;
mod injector;
#[cfg(not(any(feature = "net", feature = "process")))]
mod park;
#[cfg(any(feature = "net", feature = "process"))]
pub(crate) mod reactor;
mod tasks;
pub(crate) mod timers;
#[cfg(feature = "tokio")]
mod tokio_context;
#[cfg(feature = "redis")]
pub(crate) use tokio_context::in_tokio;
mod virtual_clock;
mod wake;

#[cfg(not(any(feature = "net", feature = "process")))]
use park::Reactor;
#[cfg(any(feature = "net", feature = "process"))]
use reactor::Reactor;
use timers::TimerQueue;
use virtual_clock::TurnLog;
use wake::{MainWaker, Ready, WakeQueue};

/// A single-threaded event loop, like the loop of Python's asyncio: it runs every task that is
/// spawned on it on the thread that calls [`block_on`](EventLoop::block_on).
///
/// Tasks need not be `Send`: `Rc` and `RefCell` work inside them. Ready tasks run in the order
/// they were woken (FIFO); timers with equal deadlines fire in the order they were set. Wakers may
/// be sent to and woken from other threads: the loop then wakes at once and runs the task on its
/// own thread.
///
/// Dropping the loop drops every task still on it (their destructors run).
///
/// ```
/// use jobloop_runtime::{sleep, EventLoop};
/// use std::time::Duration;
///
/// let event_loop = EventLoop::new();
/// let answer = event_loop.block_on(async {
///     sleep(Duration::from_millis(10)).await;
///     42
/// });
/// assert_eq!(answer, 42);
/// ```
pub struct EventLoop {
    core: Rc<LoopCore>,
}

/// The state of a loop, reachable from its thread through the thread-local in [`context`].
pub(crate) struct LoopCore {
    /// Tasks ready to run, in the order they were woken.
    ready: RefCell<VecDeque<Ready>>,
    /// Sleeping tasks, by deadline.
    pub(crate) timers: RefCell<TimerQueue>,
    /// Tasks waiting for sockets.
    pub(crate) reactor: Reactor,
    /// The part other threads can reach.
    wake: Arc<WakeQueue>,
    /// The virtual clock's time, when the loop has one (`with_virtual_time`).
    virtual_now: Cell<Option<Instant>>,
    /// Under a virtual clock, who woke whom this turn.
    turn: TurnLog,
    /// Wakers of the unfinished tasks started with `spawn`, which may be detached: dropping
    /// the loop wakes them, so that they are dropped even if nothing else would ever wake them.
    /// (Group members need no entry: their group owns them and cancels them when dropped.)
    spawned: RefCell<Vec<Option<Waker>>>,
    /// Free slots of `spawned`.
    spawned_free: RefCell<Vec<usize>>,
    /// What is left of the running task's budget of operations (see `crate::budget`).
    budget: Cell<u32>,
    /// Tasks of a group that is cancelling them, to be dropped at once (see `cancel`).
    cancelled: RefCell<Vec<Runnable>>,
    /// Schedules for the tasks of groups, kept for the next group (see `cancel`).
    schedules: RefCell<Vec<Arc<cancel::MemberSchedule>>>,
    /// The seeded order of a shuffled loop (`shuffled`): `None` runs the ready tasks in the
    /// order they were woken.
    shuffle: Cell<Option<crate::shuffle::Shuffle>>,
    /// The seeded order of the woken tasks of `scoped` groups, a sequence of its own drawn from
    /// the same seed: the loop's own order for a seed stays what it was without them.
    group_shuffle: Cell<Option<crate::shuffle::Shuffle>>,
    /// What the loop does when its tasks are deadlocked (`deadlock.rs`): `None` waits on.
    on_deadlock: Cell<Option<OnDeadlock>>,
    /// Whether the loop printed its deadlock report (it prints it once).
    deadlock_reported: Cell<bool>,
    /// Where the `block_on` running now was called (a `#[job_test]`'s line), for the report of
    /// a deadlock, whose panic is raised inside jobloop.
    block_on_site: Cell<Option<&'static std::panic::Location<'static>>>,
    /// What this loop's tasks started on other threads that may wake one of them
    /// (`deadlock::InFlight`).
    in_flight: deadlock::LoopInFlight,
}

impl EventLoop {
    /// Creates an event loop for the current thread.
    ///
    /// # Panics
    ///
    /// When the operating system refuses to create the poller (out of file descriptors);
    /// [`EventLoop::try_new`] returns that error instead.
    #[track_caller]
    pub fn new() -> EventLoop {
        match EventLoop::try_new() {
            Ok(event_loop) => event_loop,
            Err(error) => panic!("jobloop could not create its event loop's poller: {error}"),
        }
    }

    /// Creates an event loop, or returns the OS error that prevented creating its poller.
    pub fn try_new() -> io::Result<EventLoop> {
        let (reactor, waker) = Reactor::new()?;
        Ok(EventLoop {
            core: Rc::new(LoopCore {
                ready: RefCell::new(VecDeque::new()),
                timers: RefCell::new(TimerQueue::default()),
                reactor,
                wake: Arc::new(WakeQueue::new(waker)),
                virtual_now: Cell::new(None),
                turn: TurnLog::default(),
                spawned: RefCell::new(Vec::new()),
                spawned_free: RefCell::new(Vec::new()),
                budget: Cell::new(crate::budget::BUDGET),
                cancelled: RefCell::new(Vec::new()),
                schedules: RefCell::new(Vec::new()),
                shuffle: Cell::new(None),
                group_shuffle: Cell::new(None),
                on_deadlock: Cell::new(None),
                deadlock_reported: Cell::new(false),
                block_on_site: Cell::new(None),
                in_flight: deadlock::LoopInFlight::default(),
            }),
        })
    }

    /// This loop, failing when its tasks are deadlocked instead of hanging: when every task
    /// waits and nothing the loop knows of can wake any of them (no timer, no socket, no
    /// `to_thread` work, ...), and no wake-up comes for a second more, [`block_on`](Self::block_on)
    /// panics with a message that says "deadlock" and lists each wait going on and where it
    /// began (`Queue::get at tests/queue.rs:12:9`). What `#[job_test]` makes. A loop that was
    /// woken from a thread jobloop does not know of (a tokio-based type's driver, a std thread)
    /// prints the message instead and waits on, since that thread may still wake a task; so does
    /// a loop made without this, in debug mode. `JOBLOOP_DEADLOCK=off` turns the check off (the
    /// warnings too). The whole rule is in `runtime/src/deadlock.rs`.
    ///
    /// ```should_panic
    /// use jobloop_runtime::{sync::Queue, EventLoop};
    ///
    /// EventLoop::new().fail_on_deadlock().block_on(async {
    ///     let queue = Queue::<u32>::new(0);
    ///     queue.get().await // nobody puts: panics with "deadlock: ..."
    /// });
    /// ```
    pub fn fail_on_deadlock(self) -> EventLoop {
        if !deadlock::turned_off() {
            self.core.on_deadlock.set(Some(OnDeadlock::Fail));
            self.core.wake.watch_wakers.store(true, Ordering::Relaxed);
            crate::wait_site::record();
        }
        self
    }

    /// This loop with a virtual clock: time stands still while tasks run, and whenever every task
    /// waits on a timer, the clock jumps to the next deadline at once. Three jobs that sleep 2 s
    /// finish in microseconds of real time, while [`now`](crate::now) says 2 s passed. Timers with
    /// equal deadlines fire in the order they were set, so runs are deterministic.
    ///
    /// Sockets that are ready are served before the clock jumps. A task waiting for another
    /// thread (a channel fed by a thread) or for a socket that is not ready yet (a connection
    /// being made) is not waited for: when no task is ready and no socket is ready, the clock
    /// jumps to the next deadline.
    ///
    /// A task that only wakes itself (a loop of `yield_now`) waits for nothing a timer could be
    /// for: a turn in which every task that ran only woke itself lets the clock jump too. Tasks
    /// that keep waking each other without ever waiting on a timer would freeze the clock; after
    /// 10 s of real time of that, with timers set, the loop panics with a message instead of
    /// hanging.
    ///
    /// ```
    /// use jobloop_runtime::{now, sleep, EventLoop};
    /// use std::time::{Duration, Instant};
    ///
    /// let real = Instant::now();
    /// EventLoop::new().with_virtual_time().block_on(async {
    ///     let start = now();
    ///     sleep(Duration::from_secs(3600)).await;
    ///     assert_eq!(now() - start, Duration::from_secs(3600));
    /// });
    /// assert!(real.elapsed() < Duration::from_secs(60));
    /// ```
    pub fn with_virtual_time(self) -> EventLoop {
        self.core.virtual_now.set(Some(Instant::now()));
        self
    }

    /// This loop running its ready tasks in an order drawn from `seed` instead of the order they
    /// were woken, each turn: a schedule that FIFO order never gives, the same again for the
    /// same seed (exactly so with [`with_virtual_time`](Self::with_virtual_time), where no
    /// timing of the machine's changes which tasks are ready). What `#[job_test(shuffle)]` runs
    /// its test on, once per seed.
    ///
    /// ```
    /// use jobloop_runtime::{spawn, yield_now, EventLoop};
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    ///
    /// let order = |seed| {
    ///     let log = Rc::new(RefCell::new(Vec::new()));
    ///     EventLoop::new().shuffled(seed).block_on(async {
    ///         let tasks: Vec<_> = (0..8)
    ///             .map(|i| {
    ///                 let log = log.clone();
    ///                 spawn(async move {
    ///                     yield_now().await;
    ///                     log.borrow_mut().push(i);
    ///                 })
    ///             })
    ///             .collect();
    ///         for task in tasks {
    ///             task.await;
    ///         }
    ///     });
    ///     log.take()
    /// };
    /// assert_eq!(order(7), order(7)); // the same seed, the same schedule
    /// assert_ne!(order(7), (0..8).collect::<Vec<_>>()); // not FIFO order
    /// ```
    pub fn shuffled(self, seed: u64) -> EventLoop {
        self.core
            .shuffle
            .set(Some(crate::shuffle::Shuffle::new(seed)));
        self.core
            .group_shuffle
            .set(Some(crate::shuffle::Shuffle::for_groups(seed)));
        self
    }

    /// Whether the loop has nothing left to do: no task ready to run, no timer set, no socket
    /// watched, no wake-up from another thread waiting. (A task waiting on something outside
    /// the loop, such as a channel, is not seen.)
    ///
    /// ```
    /// use jobloop_runtime::{sleep, EventLoop};
    /// use std::time::Duration;
    ///
    /// let event_loop = EventLoop::new();
    /// event_loop.block_on(sleep(Duration::from_millis(1)));
    /// assert!(event_loop.is_idle());
    /// ```
    pub fn is_idle(&self) -> bool {
        let core = &*self.core;
        core.ready.borrow().is_empty()
            && core.timers.borrow().len() == 0
            && !core.reactor.has_sources()
            && core.wake.injected.is_empty()
    }

    /// Runs `future` to completion on this thread, running every task spawned meanwhile, and
    /// returns its output (asyncio's `run_until_complete`).
    ///
    /// Tasks that are still pending when `future` completes stay on the loop: a later `block_on`
    /// runs them further, and dropping the loop drops them. Tasks cancelled meanwhile (those of
    /// a dropped `tasks![]` group) are never polled again; their futures are dropped at the
    /// loop's next turn, which may be a later `block_on` or the loop's drop (`#[job_main]` and
    /// `#[job_test]` drop the loop right after).
    ///
    /// # Panics
    ///
    /// When called from inside a task of a loop running on this thread (a task must not block
    /// its own loop: `.await` the future instead). A panic of `future` itself propagates to the
    /// caller; panics of spawned tasks reach whoever awaits them, never the loop.
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.block_on_at(std::panic::Location::caller(), future)
    }

    /// [`block_on`](EventLoop::block_on), called at `site` (what a deadlock's report names).
    #[track_caller]
    pub(crate) fn block_on_at<F: Future>(
        &self,
        site: &'static std::panic::Location<'static>,
        future: F,
    ) -> F::Output {
        let _current = context::enter(Current::Loop(self.core.clone()));
        // With the feature `tokio`, tokio-based crates work on the loop (see `tokio_context`).
        #[cfg(feature = "tokio")]
        let _tokio = tokio_context::enter();
        let core = &*self.core;
        core.block_on_site.set(Some(site));
        // When this returns or unwinds, the queue may still hold wake-ups of this `block_on`'s
        // future: they belong to no one any more.
        let _markers = ClearMainMarkers(core);
        let main = Arc::new(MainWaker {
            queued: AtomicBool::new(true),
            wake: core.wake.clone(),
        });
        let waker = Waker::from(main.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        core.push_ready(None);
        loop {
            // Run the tasks that are ready now. Tasks they wake go to the back of the queue and
            // run in the next turn, after timers and I/O have had their say.
            let batch = core.ready.borrow().len();
            if core.shuffle.get().is_some() {
                core.shuffle_ready(batch);
            }
            core.turn.begin_turn();
            for _ in 0..batch {
                match core.pop_ready() {
                    Some(Some(runnable)) => core.run(runnable),
                    Some(None) => {
                        // Cleared before polling: a wake-up during the poll queues main again.
                        main.queued.store(false, Ordering::SeqCst);
                        core.budget.set(crate::budget::BUDGET);
                        core.turn.running_main(true);
                        let polled =
                            catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
                        core.turn.running_main(false);
                        let polled = polled.unwrap_or_else(|payload| {
                            crate::unwind::hint_if_no_tokio(&*payload);
                            std::panic::resume_unwind(payload)
                        });
                        if let Poll::Ready(output) = polled {
                            return output;
                        }
                    }
                    None => break,
                }
            }
            core.take_injected();
            core.fire_timers();
            core.wait_for_events();
        }
    }
}

/// The event loop a task or a group belongs to, for the check that it is not awaited where its
/// loop cannot run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LoopOwner {
    loop_id: usize,
    thread: ThreadId,
}

impl LoopOwner {
    /// The event loop running on this thread, if one is.
    pub(crate) fn current() -> Option<LoopOwner> {
        context::with_loop(|core| LoopOwner {
            loop_id: core.id(),
            thread: thread::current().id(),
        })
    }

    /// Panics when `what` is awaited on this loop's thread, inside another loop: its own loop
    /// cannot run until that one returns, so the wait would never end. (From another thread,
    /// the owning loop may be running, and a wake from there reaches this one.)
    #[track_caller]
    pub(crate) fn check(&self, what: &str) {
        let elsewhere = context::with_loop(|core| core.id() != self.loop_id);
        if elsewhere == Some(true) && thread::current().id() == self.thread {
            panic!(
                "{what} was awaited on an event loop other than the one that runs its tasks, on \
                 the thread of both: that loop cannot run while this one does, so this would \
                 wait forever. Await it inside the `block_on` of the loop that started it"
            );
        }
    }
}

impl EventLoop {
    /// The loop's clock.
    pub(crate) fn core_now(&self) -> Instant {
        self.core.now()
    }

    /// Starts a detached task (the [`Runtime`](crate::Runtime) trait's `spawn`).
    pub(crate) fn spawn_detached(&self, task: Pin<Box<dyn Future<Output = ()>>>) {
        self.core.spawn(task).detach();
    }
}

/// Removes the ready-queue entries of a finished `block_on`'s future.
struct ClearMainMarkers<'a>(&'a LoopCore);

impl Drop for ClearMainMarkers<'_> {
    fn drop(&mut self) {
        if let Ok(mut ready) = self.0.ready.try_borrow_mut() {
            ready.retain(Option::is_some);
        }
    }
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("ready", &self.core.ready.borrow().len())
            .field("timers", &self.core.timers.borrow().len())
            .finish_non_exhaustive()
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        let core = &*self.core;
        // From now on a task woken on this thread is dropped at once instead of queued.
        core.wake.closed.store(true, Ordering::SeqCst);
        // Dropping a task or a waker can wake (and so drop) other tasks: repeat until nothing is
        // left. Nothing is dropped while a queue is borrowed, since destructors run user code.
        // Wake the spawned tasks that are still alive: each is then scheduled, and so dropped
        // right away (the loop is closed), even one waiting on something that will never come.
        let spawned = std::mem::take(&mut *core.spawned.borrow_mut());
        for waker in spawned.into_iter().flatten() {
            let _ = catch_unwind(AssertUnwindSafe(move || waker.wake()));
        }
        // Each value is dropped on its own and a panicking destructor is caught: one task's
        // faulty `Drop` must not keep the others from being dropped, nor unwind out of here.
        loop {
            let mut dropped_any = false;
            while let Some(entry) = core.pop_ready() {
                drop_quietly(entry);
                dropped_any = true;
            }
            let injected = core.wake.injected.take_all();
            dropped_any |= !injected.is_empty();
            injected.into_iter().for_each(drop_quietly);
            let timers = core.timers.borrow_mut().take_all();
            dropped_any |= !timers.is_empty();
            timers.into_iter().for_each(drop_quietly);
            let io_wakers = core.reactor.take_all_wakers();
            dropped_any |= !io_wakers.is_empty();
            io_wakers.into_iter().for_each(drop_quietly);
            if !dropped_any {
                break;
            }
        }
    }
}

impl LoopCore {
    /// What this loop's tasks started on other threads that may wake one of them.
    pub(crate) fn in_flight(&self) -> &deadlock::LoopInFlight {
        &self.in_flight
    }

    /// Takes one unit of the running task's budget (see `crate::budget`); `false` when it is
    /// spent.
    #[inline]
    pub(crate) fn take_budget(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    /// Runs one step of a task, with a fresh budget. The task's own future never unwinds into
    /// the loop (spawned tasks catch their panics and hand them to whoever awaits them); what is
    /// caught here is a panic in a destructor of a cancelled task, which must not take the loop
    /// down either.
    #[inline]
    fn run(&self, runnable: Runnable) {
        self.budget.set(crate::budget::BUDGET);
        if self.virtual_now.get().is_some() {
            self.turn.running(Some(runnable.waker()));
            let _ = catch_unwind(AssertUnwindSafe(|| runnable.run()));
            self.turn.running(None);
            return;
        }
        let _ = catch_unwind(AssertUnwindSafe(|| runnable.run()));
    }

    /// The loop's clock: the virtual time, or the real one.
    pub(crate) fn now(&self) -> Instant {
        self.virtual_now.get().unwrap_or_else(Instant::now)
    }

    /// An identity for this loop, compared by timers and tasks that registered with it; never
    /// reused by a later loop (an address could be).
    pub(crate) fn id(&self) -> usize {
        self.wake.id
    }

    pub(crate) fn push_ready(&self, entry: Ready) {
        if self.virtual_now.get().is_some() {
            self.turn.pushed(&entry, false);
        }
        self.ready.borrow_mut().push_back(entry);
    }

    /// Queues a task (or main) woken on the loop's thread. Inlined into the wakers: every
    /// wake-up on the loop's thread comes here.
    #[inline]
    pub(crate) fn push_woken(&self, entry: Ready) {
        if self.virtual_now.get().is_some() {
            self.turn.pushed(&entry, true);
        }
        self.ready.borrow_mut().push_back(entry);
    }

    /// Puts the first `batch` ready tasks in the shuffled loop's seeded order.
    #[cold]
    #[inline(never)]
    fn shuffle_ready(&self, batch: usize) {
        let mut ready = self.ready.borrow_mut();
        let batch = batch.min(ready.len());
        reorder(&self.shuffle, &mut ready.make_contiguous()[..batch]);
    }

    /// Puts a `scoped` group's woken tasks (which the group polls itself) in the shuffled
    /// loop's seeded order for groups; leaves them as they are on a loop that is not shuffled.
    pub(crate) fn in_seeded_order<T>(&self, items: &mut [T]) {
        reorder(&self.group_shuffle, items);
    }

    fn pop_ready(&self) -> Option<Ready> {
        self.ready.borrow_mut().pop_front()
    }

    /// Moves the wake-ups that other threads sent into the ready queue.
    #[inline]
    fn take_injected(&self) {
        if let Some(injected) = self.wake.injected.take() {
            self.ready.borrow_mut().extend(injected);
        }
    }

    /// Wakes the tasks whose timers are due.
    #[inline]
    fn fire_timers(&self) {
        if self.timers.borrow().len() == 0 {
            return; // no clock reading on the turns without timers
        }
        self.fire_due_timers();
    }

    /// [`fire_timers`](Self::fire_timers) when some timer is set.
    #[inline(never)]
    fn fire_due_timers(&self) {
        let due = self.timers.borrow_mut().take_due(self.now());
        for waker in due {
            waker.wake();
        }
    }

    /// Polls the OS for I/O events, waiting for them (or for the next timer) only when no task
    /// is ready.
    #[inline]
    fn wait_for_events(&self) {
        // The common turn, inlined: tasks are ready, the clock is real and no socket waits, so
        // there is nothing to poll (what the end of `poll_events` decides too).
        if self.virtual_now.get().is_none()
            && !self.reactor.is_waiting()
            && !self.ready.borrow().is_empty()
        {
            return;
        }
        self.poll_events();
    }

    /// [`wait_for_events`](Self::wait_for_events) on the other turns.
    #[inline(never)]
    fn poll_events(&self) {
        let idle = self.ready.borrow().is_empty();
        if let Some(virtual_now) = self.virtual_now.get() {
            let next = self.timers.borrow().next_deadline();
            // Every task waits (or only woke itself, which waits for nothing a timer is for).
            let waiting = idle || self.turn.only_woke_themselves();
            match (waiting, next) {
                (true, Some(deadline)) => {
                    // Sockets that are ready now come first; only when none is, every task
                    // waits on a timer (or on a socket that is not ready) and the clock jumps.
                    if self.reactor.is_waiting() {
                        let before = self.ready.borrow().len();
                        self.reactor.wait(Some(Duration::ZERO));
                        self.take_injected();
                        if self.ready.borrow().len() > before {
                            return;
                        }
                    }
                    self.virtual_now.set(Some(deadline.max(virtual_now)));
                    self.turn.progressed();
                    self.fire_timers();
                    return;
                }
                (false, Some(_)) => self.turn.stuck(),
                (_, None) => self.turn.progressed(),
            }
        }
        let timeout = if self.virtual_now.get().is_some() {
            // Virtual deadlines mean nothing to the OS: wait for I/O or another thread only.
            if idle {
                None
            } else {
                Some(Duration::ZERO)
            }
        } else if idle {
            self.timers
                .borrow()
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(self.now()))
        } else {
            Some(Duration::ZERO)
        };
        // Busy and no socket to look at: skip the system call.
        if timeout == Some(Duration::ZERO) && !self.reactor.is_waiting() {
            return;
        }
        if timeout.is_none() && idle && self.deadlock_checked() && self.wait_or_name_deadlock() {
            return;
        }
        // A wake-up from another thread that lands after `take_injected` calls `notify`, which
        // makes this wait return at once; no wake-up is lost.
        self.reactor.wait(timeout);
        self.take_injected();
        self.fire_timers();
    }

    /// Whether the loop looks for deadlocks: made with `fail_on_deadlock`, or in debug mode.
    fn deadlock_checked(&self) -> bool {
        (self.on_deadlock.get().is_some() || crate::debug::debug_on()) && !deadlock::turned_off()
    }

    /// The loop is about to wait for ever (no task ready, no timer). When something the loop
    /// knows of may still wake a task (work on another thread, say), it waits
    /// [`deadlock::GRACE`] at most and looks again at the next turn. When nothing may, it waits
    /// [`deadlock::GRACE`] for a wake-up, and names the deadlock if none came (see
    /// `deadlock.rs`). Whether the turn is over.
    #[cold]
    #[inline(never)]
    fn wait_or_name_deadlock(&self) -> bool {
        // Other threads first: a wake-up one of them gives between the two looks lands in the
        // queue looked at after them.
        let nothing_can_wake = || {
            !deadlock::in_flight(&self.in_flight)
                && !tokio_driver_may_wake()
                && self.wake.injected.is_empty()
                && self.ready.borrow().is_empty()
                && self.timers.borrow().len() == 0
                && !self.reactor.is_waiting()
        };
        // A socket waited on can wake a task, and only this thread changes that: the usual
        // wait, with no look every second.
        if self.deadlock_reported.get() || self.reactor.is_waiting() {
            return false;
        }
        let suspected = nothing_can_wake();
        let until = Instant::now() + deadlock::GRACE;
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            self.reactor.wait(Some(left));
            self.take_injected();
            self.fire_timers();
            if !self.ready.borrow().is_empty() || (suspected && !nothing_can_wake()) {
                return true;
            }
        }
        // What another thread does (a `to_thread` call, tokio's driver setting a timer) need
        // not wake this loop: look again.
        if !suspected || !nothing_can_wake() {
            return true;
        }
        let action = match self.on_deadlock.get() {
            Some(OnDeadlock::Fail) if !self.wake.woken_from_unknown_thread() => OnDeadlock::Fail,
            _ => OnDeadlock::Warn,
        };
        let report = deadlock::report(self.block_on_site.get());
        match action {
            OnDeadlock::Fail => panic!("{report}"),
            OnDeadlock::Warn => {
                self.deadlock_reported.set(true);
                eprintln!("jobloop: {report}");
                false
            }
        }
    }
}

/// Puts `items` in the order that `shuffle` draws, and keeps its state for the next draw;
/// leaves them as they are when it is `None` (a loop that is not shuffled).
fn reorder<T>(shuffle: &Cell<Option<crate::shuffle::Shuffle>>, items: &mut [T]) {
    if let Some(mut order) = shuffle.get() {
        order.reorder(items);
        shuffle.set(Some(order));
    }
}

/// Whether tokio's driver, which runs tokio-based types on the loop (feature `tokio`), may
/// still wake a task (see `tokio_context`).
fn tokio_driver_may_wake() -> bool {
    #[cfg(feature = "tokio")]
    return tokio_context::may_wake();
    #[cfg(not(feature = "tokio"))]
    false
}

#[cfg(test)]
mod tests {
    //! The loop's scheduling paths, small enough for miri: they drive async-task's unsafe
    //! internals through spawning, groups, panics, cancellation and the virtual clock. (The loop
    //! has no `unsafe` of its own: jobloop's few blocks are listed at the top of `lib.rs`; the
    //! reactor's tests take mio's through the OS poller.)
    //!
    //! `.ci/run` runs them under Tree Borrows
    //! (`MIRIFLAGS=-Zmiri-tree-borrows cargo +nightly miri test -p jobloop-runtime --lib --features process`).
    //! Under the default Stacked Borrows, any task spawned with async-task's `spawn_local`
    //! that keeps a borrow of its own state across an `.await` is reported: `Checked::poll`
    //! reads its thread id through a shared reference to the whole wrapper, future included
    //! (smol-rs/async-task#102, open). The last test here is that case.

    use std::cell::Cell;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::rc::Rc;
    use std::time::Duration;

    use crate::{sleep, spawn, yield_now, EventLoop, TaskGroup};

    #[test]
    fn spawned_tasks_run_in_order_and_give_their_outputs() {
        let out = EventLoop::new().block_on(async {
            let handles: Vec<_> = (0..4).map(|i| spawn(async move { i * 2 })).collect();
            let mut out = Vec::new();
            for handle in handles {
                out.push(handle.await);
            }
            out
        });
        assert_eq!(out, [0, 2, 4, 6]);
    }

    #[test]
    fn a_group_resumes_its_tasks_panic_and_cancels_the_others() {
        let dropped = Rc::new(Cell::new(0));
        let event_loop = EventLoop::new().with_virtual_time();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            event_loop.block_on(async {
                let mut group = TaskGroup::new();
                for i in 0..3 {
                    let dropped = dropped.clone();
                    group.spawn(async move {
                        struct Count(Rc<Cell<u32>>);
                        impl Drop for Count {
                            fn drop(&mut self) {
                                self.0.set(self.0.get() + 1);
                            }
                        }
                        let _count = Count(dropped);
                        if i == 1 {
                            yield_now().await;
                            panic!("task 1 fails");
                        }
                        sleep(Duration::from_secs(60)).await;
                    });
                }
                group.await;
            })
        }));
        assert!(outcome.is_err());
        event_loop.block_on(yield_now()); // the cancelled tasks are dropped
        assert_eq!(dropped.get(), 3);
        assert!(event_loop.is_idle());
    }

    #[test]
    fn a_detached_task_left_waiting_is_dropped_with_the_loop() {
        let dropped = Rc::new(Cell::new(false));
        let event_loop = EventLoop::new();
        let flag = dropped.clone();
        event_loop.block_on(async move {
            drop(spawn(async move {
                struct Flag(Rc<Cell<bool>>);
                impl Drop for Flag {
                    fn drop(&mut self) {
                        self.0.set(true);
                    }
                }
                let _flag = Flag(flag);
                std::future::pending::<()>().await;
            }));
            yield_now().await;
        });
        assert!(!dropped.get());
        drop(event_loop);
        assert!(dropped.get());
    }

    #[test]
    fn the_virtual_clock_jumps_without_the_os() {
        let event_loop = EventLoop::new().with_virtual_time();
        let order = event_loop.block_on(async {
            let order = Rc::new(std::cell::RefCell::new(Vec::new()));
            let mut group = TaskGroup::new();
            for ms in [30u64, 10, 20] {
                let order = order.clone();
                group.spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    order.borrow_mut().push(ms);
                });
            }
            group.await;
            Rc::try_unwrap(order)
                .map(|cell| cell.into_inner())
                .unwrap_or_default()
        });
        assert_eq!(order, [10, 20, 30]);
    }

    /// A task that borrows its own state across an `.await` (what every `read(&mut buf)`
    /// does). Stacked Borrows rejects this inside async-task's `spawn_local` wrapper
    /// (smol-rs/async-task#102); Tree Borrows, under which CI runs miri, accepts it.
    #[test]
    fn a_task_may_borrow_its_own_state_across_an_await() {
        let out = EventLoop::new().block_on(async {
            let task = spawn(async {
                let mut state = [0u8; 2];
                let borrowed = &mut state;
                yield_now().await;
                borrowed[1] = 7;
                state
            });
            yield_now().await;
            task.await
        });
        assert_eq!(out, [0, 7]);
    }

    /// Two tasks that keep waking each other never wait on a timer, so the virtual clock cannot
    /// move: the loop stops with a message instead of hanging (after 200 ms in this build).
    #[test]
    fn tasks_that_keep_waking_each_other_stop_a_virtual_clock_loop_with_a_message() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        use std::task::Poll;

        let outcome = catch_unwind(AssertUnwindSafe(|| {
            EventLoop::new().with_virtual_time().block_on(async {
                let (a, b) = (Rc::new(Cell::new(None)), Rc::new(Cell::new(None)));
                let flag = Arc::new(AtomicBool::new(false));
                // Each wakes the other and waits to be woken back: ping-pong forever.
                let player =
                    |mine: Rc<Cell<Option<std::task::Waker>>>,
                     theirs: Rc<Cell<Option<std::task::Waker>>>| {
                        let flag = flag.clone();
                        spawn(std::future::poll_fn(move |cx| {
                            mine.set(Some(cx.waker().clone()));
                            if let Some(waker) = theirs.take() {
                                waker.wake();
                            }
                            if flag.load(Ordering::Relaxed) {
                                Poll::Ready(())
                            } else {
                                Poll::Pending
                            }
                        }))
                    };
                let first = player(a.clone(), b.clone());
                let second = player(b, a);
                sleep(Duration::from_secs(1)).await;
                first.await;
                second.await;
            })
        }));
        let payload = outcome.expect_err("the loop stops");
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        assert!(message.contains("virtual clock cannot move"), "{message}");
    }
}
