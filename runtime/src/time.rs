//! Time, on whatever runtime is current: [`sleep`], [`sleep_until`], [`timeout`],
//! [`yield_now`] and [`now`]. On the embedded loop a sleep registers with the loop's timer queue
//! (`event_loop/timers.rs`); on another runtime it uses that runtime's timer.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::context::{self, Current};

/// A delay on the timer of a runtime other than the embedded loop: what
/// [`Runtime::sleep_until`](crate::Runtime::sleep_until) returns.
pub type Delay = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Waits until `duration` has passed (asyncio's `asyncio.sleep`). Other tasks run meanwhile.
///
/// The deadline is taken when `sleep` is called. On the embedded loop a sleep fires as soon as
/// its deadline has passed and the loop gets to it (no rounding to milliseconds). A duration too
/// long for the clock to count (`Duration::MAX`) sleeps forever: the sleep never completes, on
/// any runtime, and a virtual clock does not jump to it (so `timeout(Duration::MAX, work)` never
/// times out).
///
/// # Panics
///
/// The returned future panics when polled outside a jobloop runtime.
///
/// ```
/// use jobloop_runtime::{sleep, EventLoop};
/// use std::time::{Duration, Instant};
///
/// EventLoop::new().block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(30)).await;
///     assert!(start.elapsed() >= Duration::from_millis(30));
/// });
/// ```
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    // The runtime's clock, which a virtual clock moves on its own.
    Sleep {
        deadline: now().checked_add(duration),
        timer: Timer::Unset,
        at: Location::caller(),
    }
}

/// Waits until `deadline`. See [`sleep`].
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Some(deadline),
        timer: Timer::Unset,
        at: Location::caller(),
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[must_use = "a Sleep does nothing unless it is `.await`ed"]
pub struct Sleep {
    /// `None` for a sleep that never ends.
    deadline: Option<Instant>,
    timer: Timer,
    /// Where it was made, for debug mode's task tree.
    at: &'static Location<'static>,
}

/// The timer of a [`Sleep`], once it has one: one field for the loop's and another runtime's,
/// so that a sleep (and the task that awaits it) stays small.
enum Timer {
    /// None yet, or the loop's fired.
    Unset,
    /// `(timer id, loop id)`: registered with an event loop's timer queue.
    Loop(u64, usize),
    /// The runtime's own timer, under a runtime other than the embedded loop.
    Foreign(Delay),
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Sleep {
    /// The instant this sleep ends; `None` for a sleep that never ends (its duration was too
    /// long for the clock to count).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let poll = this.poll_timer(cx);
        if poll.is_pending() {
            crate::debug::sleeping(this.at, this.deadline); // for the trace and the tree
        }
        poll
    }
}

impl Sleep {
    #[track_caller]
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let this = self;
        if let Timer::Foreign(timer) = &mut this.timer {
            return timer.as_mut().poll(cx);
        }
        let Some(deadline) = this.deadline else {
            // Forever: no timer to set, nothing will ever wake this.
            return Poll::Pending;
        };
        let core = match context::expect_current("`jobloop::sleep`") {
            Current::Loop(core) => core,
            other => return this.poll_foreign(cx, &other, deadline),
        };
        // Wakers this poll replaces are dropped after the timer queue is released: dropping a
        // waker can run a task's destructor, which may touch the queue.
        let replaced;
        // One reading of the clock per poll (a tenth of the time of a million sleeps).
        let due = core.now() >= deadline;
        if due {
            // Due at once: one unit of the task's budget, so that a task whose timers are always
            // due yields now and then.
            std::task::ready!(crate::budget::poll_spend(cx));
        }
        let mut timers = core.timers.borrow_mut();
        if due {
            replaced = match std::mem::replace(&mut this.timer, Timer::Unset) {
                Timer::Loop(id, owner) if owner == core.id() => timers.remove(deadline, id),
                _ => None,
            };
            drop(timers);
            drop(replaced);
            return Poll::Ready(());
        }
        replaced = match this.timer {
            Timer::Loop(id, owner) if owner == core.id() => timers.update(deadline, id, cx.waker()),
            // Not registered yet (or moved to another loop): register with this one.
            _ => {
                let id = timers.insert(deadline, cx.waker().clone());
                this.timer = Timer::Loop(id, core.id());
                None
            }
        };
        drop(timers);
        drop(replaced);
        Poll::Pending
    }
}

impl Sleep {
    /// The first poll of a sleep under a runtime other than the loop. A deadline that has
    /// passed already is due at once, as on the loop: ready after a unit of the task's budget
    /// (see `crate::budget`), without a timer of the runtime. (smol's timer would be ready at
    /// once without ever yielding, so a task whose sleeps are always due starved its thread;
    /// tokio's would wait for its timer's next tick, so that the same `timeout(ZERO, ..)` ended
    /// differently there.) Otherwise the runtime's timer, made now.
    #[inline(never)]
    fn poll_foreign(
        &mut self,
        cx: &mut Context<'_>,
        current: &Current,
        deadline: Instant,
    ) -> Poll<()> {
        if now_on(current) >= deadline {
            std::task::ready!(crate::budget::poll_spend(cx));
            return Poll::Ready(());
        }
        // Polled on a loop before (moved to this runtime, so that loop is not current here): its
        // entry there stays until its deadline and then wakes nobody useful, as that of a sleep
        // dropped away from its loop.
        let mut timer = runtime_timer(current, deadline);
        let poll = timer.as_mut().poll(cx);
        self.timer = Timer::Foreign(timer);
        poll
    }
}

impl Drop for Sleep {
    #[inline]
    fn drop(&mut self) {
        // A sleep that fired (or never registered) has nothing to undo.
        if let (Timer::Loop(id, owner), Some(deadline)) = (&self.timer, self.deadline) {
            leave_timer_queue(*id, *owner, deadline);
        }
    }
}

/// A sleep dropped before it fired (cancelled) leaves its loop's queue. If its loop is not
/// running here, the entry stays until its deadline and then wakes nobody useful.
#[inline(never)]
fn leave_timer_queue(id: u64, owner: usize, deadline: Instant) {
    let waker = context::with_loop(|core| {
        if owner == core.id() {
            core.timers.borrow_mut().remove(deadline, id)
        } else {
            None
        }
    });
    // Dropped after the queue is released: dropping a waker can run a task's destructor.
    drop(waker);
}

/// Lets the other ready tasks run before this one continues (asyncio's `await asyncio.sleep(0)`).
///
/// ```
/// use jobloop_runtime::{spawn, yield_now, EventLoop};
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// EventLoop::new().block_on(async {
///     let ran = Rc::new(Cell::new(false));
///     let flag = ran.clone();
///     let task = spawn(async move { flag.set(true) });
///     yield_now().await; // the spawned task runs here
///     assert!(ran.get());
///     task.await;
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "a YieldNow does nothing unless it is `.await`ed"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The current runtime's clock: [`Instant::now`], except under a virtual clock
/// (`#[job_test(virtual_time)]`), where it is the virtual time. Outside a runtime, the real time.
///
/// ```
/// use jobloop_runtime::{now, sleep, EventLoop};
/// use std::time::Duration;
///
/// EventLoop::new().block_on(async {
///     let start = now();
///     sleep(Duration::from_millis(5)).await;
///     assert!(now() - start >= Duration::from_millis(5));
/// });
/// ```
pub fn now() -> Instant {
    // The loop's clock read in place (no clone of the loop's handle).
    if let Some(now) = context::with_loop(|core| core.now()) {
        return now;
    }
    now_elsewhere()
}

/// [`now`] off the embedded loop.
#[inline(never)]
fn now_elsewhere() -> Instant {
    context::with_current_or_none(|current| current.map_or_else(Instant::now, now_on))
}

/// The clock of `current`.
fn now_on(current: &Current) -> Instant {
    match current {
        Current::Loop(core) => core.now(),
        #[cfg(feature = "tokio")]
        Current::Tokio(_) => tokio::time::Instant::now().into_std(),
        #[cfg(feature = "smol")]
        Current::Smol(_) => Instant::now(),
        Current::Runtime(runtime) => runtime.now(),
    }
}

/// The timer of a runtime other than the embedded loop, for `deadline`.
fn runtime_timer(current: &Current, deadline: Instant) -> Delay {
    match current {
        #[cfg(feature = "tokio")]
        Current::Tokio(_) => Box::pin(tokio::time::sleep_until(deadline.into())),
        #[cfg(feature = "smol")]
        Current::Smol(_) => Box::pin(async move {
            async_io::Timer::at(deadline).await;
        }),
        Current::Runtime(runtime) => runtime.sleep_until(deadline),
        // The loop's sleeps use its timer queue, not a boxed timer; this one would do too.
        Current::Loop(_) => Box::pin(sleep_until(deadline)),
    }
}

/// Runs `future`, giving up when `duration` has passed: `Err(Elapsed)`, and `future` is dropped
/// (asyncio's `wait_for`).
///
/// Each poll polls `future` before it looks at the deadline: a future that completes in its
/// first poll, without waiting, gives its output even under a timeout of zero, as under
/// asyncio's `timeout(0)`. The same rule holds on every runtime, and for the `timeout = D`
/// option of `tasks![]`.
///
/// ```
/// use jobloop_runtime::{sleep, timeout, EventLoop};
/// use std::time::Duration;
///
/// EventLoop::new().block_on(async {
///     let fast = timeout(Duration::from_millis(50), async { 1 }).await;
///     assert_eq!(fast, Ok(1));
///     let slow = timeout(Duration::from_millis(5), sleep(Duration::from_secs(10))).await;
///     assert!(slow.is_err());
/// });
/// ```
#[track_caller]
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep(duration),
    }
}

pin_project_lite::pin_project! {
    /// The future returned by [`timeout`].
    #[must_use = "a Timeout does nothing unless it is `.await`ed"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, crate::Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let recorded = crate::debug::waits_recorded();
        if let Poll::Ready(output) = this.future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match this.sleep.poll_timer(cx) {
            Poll::Ready(()) => Poll::Ready(Err(crate::Elapsed::new())),
            Poll::Pending => {
                // Named as what it is, a deadline, not as a sleep of the task; beside the
                // future's own wait, or said to be beside one outside jobloop (a tokio socket).
                if crate::debug::waits_recorded() > recorded {
                    crate::debug::waiting("timeout");
                } else {
                    crate::debug::waiting("timeout (and something outside jobloop)");
                }
                Poll::Pending
            }
        }
    }
}
