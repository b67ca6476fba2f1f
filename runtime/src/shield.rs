//! Shielded futures: cleanup that cancellation does not cut short (asyncio's `shield`, trio's
//! `CancelScope(shield=True)`).
//!
//! # What a shield does
//!
//! [`shield(future)`](shield) is a future that polls `future` and gives its output. If it is
//! dropped after its first poll and before `future` finished (its task was cancelled: a race's
//! loser, a `try` group's other tasks, a [`timeout`](crate::timeout), a cancelled
//! [`JoinHandle`](crate::JoinHandle)), `future` is not dropped with it: it moves into a task of
//! its own on the current runtime, which runs it to completion and drops its output (a panic in
//! it is reported by the panic hook, as any task's). A shield never polled is dropped as any
//! future is: nothing of `future` ran yet.
//!
//! # Who waits for it
//!
//! A group keeps its promise that cancellation has finished when the group returns: a group that
//! cancels its tasks because it ended early (a race's winner, `try`'s first `Err`, a panic, a
//! settling group's timeout; on every runtime) waits, before its `.await` returns, for the
//! shielded futures that its tasks' drops left running, and so does every enclosing group that
//! was cancelling when they were dropped. Other cancellations wait for nothing, and the shielded
//! future runs on alone: dropping a group without awaiting it, a [`timeout`](crate::timeout)
//! around a future, [`JoinHandle::cancel`](crate::JoinHandle::cancel), a task cancelled alone by
//! its `task_timeout` or by [`TaskSet::cancel_task`](crate::TaskSet::cancel_task), the plain list form `tasks![a, b]` failing with a panic (its tasks are
//! dropped as the panic unwinds), and a `send` task whose poll was running on another thread at
//! the moment its group cancelled it (dropped when that poll returns).
//!
//! Unlike asyncio, whose `TaskGroup` does not wait for shielded work, a group does: a shielded
//! future that waits for something its caller gives only after the group returns makes the
//! group wait for ever.
//!
//! The task it moves into starts on the runtime of the thread where the shield is dropped, with
//! the context variables of the task it leaves (feature `context`). Where no runtime runs (a
//! runtime dropping its own tasks as it shuts down), the future is dropped with the shield.
//!
//! How: a group drops the futures of the tasks it cancels inside a *frame* on its thread (see
//! `task/cancel.rs`; a `scoped` group around the drop of its boxes). A shield dropped unfinished
//! while frames are open joins each of them: the frame counts it in a [`ShieldWait`], which the
//! group keeps when the frame closes, and the group's wait for its cancelled tasks' futures then
//! also waits until that count is 0. Until the program makes its first shield, a frame costs
//! one load of a flag per cancellation.
//!
//! # Threads
//!
//! [`shield`] moves the future into a task that stays on the thread where the shield is
//! dropped, as [`spawn`](crate::spawn) does: the future need not be `Send`. In a `Send` task
//! on a runtime with worker threads (tokio's multi-thread runtime, `tasks![send; ...]`), use
//! [`shield_send`], whose task may run on any thread; `shield` says so at its first poll there.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

use crate::context;
#[cfg(feature = "tokio")]
use crate::context::Current;
use crate::context_var::Context as TaskContext;

/// Set by the first shield made: from then on, dropped members open frames.
static IN_USE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The frames open on this thread, innermost last: each with its owner's tag (an address)
    /// and the wait of the shields dropped inside it, once one was.
    static FRAMES: RefCell<Vec<(usize, Option<Arc<ShieldWait>>)>> = const { RefCell::new(Vec::new()) };
}

/// Protects `future` from cancellation: if the task awaiting it is cancelled after it started,
/// `future` still runs to completion, on a task of its own on this thread, and the groups that
/// cancelled that task wait for it before they return (see the module's doc). Its output is then
/// dropped. asyncio's `await asyncio.shield(commit())`.
///
/// ```
/// use jobloop_runtime::group::{Group, Race};
/// use jobloop_runtime::{shield, sleep, EventLoop};
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// async fn job(id: u64, committed: Rc<Cell<bool>>) -> u64 {
///     if id == 0 {
///         // A commit that must not be cut short, although this task loses the race.
///         shield(async move {
///             sleep(Duration::from_millis(50)).await;
///             committed.set(true);
///         })
///         .await;
///     }
///     sleep(Duration::from_millis(5)).await;
///     id
/// }
///
/// let committed = Rc::new(Cell::new(false));
/// let winner = EventLoop::new().block_on(async {
///     let jobs = (0..2).map(|id| job(id, committed.clone()));
///     Group::new(Race::default(), 2, jobs).await
/// });
/// assert_eq!(winner, (1, 1));
/// assert!(committed.get()); // the race returned after the loser's commit
/// ```
///
/// # Panics
///
/// At its first poll, on a thread where no task can stay (a worker thread of tokio's multi-thread
/// runtime): use [`shield_send`] there.
#[track_caller]
pub fn shield<F>(future: F) -> Shield<F>
where
    F: Future + 'static,
{
    Shield::new(future, go_on_here::<F>, false)
}

/// [`shield`] for a `Send` future, whose task may run on any thread of the runtime: what a task
/// of `tasks![send; ...]` or of [`spawn_send`](crate::spawn_send) uses on a runtime with worker
/// threads.
///
/// ```
/// use jobloop_runtime::{shield_send, EventLoop};
///
/// let out = EventLoop::new().block_on(async { shield_send(async { 1 + 2 }).await });
/// assert_eq!(out, 3);
/// ```
#[track_caller]
pub fn shield_send<F>(future: F) -> Shield<F>
where
    F: Future + Send + 'static,
{
    Shield::new(future, go_on_anywhere::<F>, true)
}

/// The future of [`shield`] and [`shield_send`]: `future`'s output, and `future` run to
/// completion if this is dropped before.
#[must_use = "a shield does nothing unless `.await`ed"]
pub struct Shield<F: Future> {
    /// `None` once it finished.
    future: Option<Pin<Box<F>>>,
    /// Whether it was polled: only a started future goes on when dropped.
    started: bool,
    /// Moves the unfinished future into a task of its own, with the waits of the frames open;
    /// drops it when no runtime runs here (it is being dropped itself).
    go_on: fn(Pin<Box<F>>, Waits),
    /// Whether it came from [`shield_send`].
    send: bool,
    /// Where it was made, for the message when it cannot stay on this thread.
    location: &'static std::panic::Location<'static>,
    /// The context variables of the task that first polled it (feature `context`), which its
    /// own task starts with if it goes on alone.
    context: TaskContext,
}

impl<F: Future> Shield<F> {
    /// The shield of `future`, which `go_on` moves into a task of its own if it is dropped
    /// unfinished (`send`: from [`shield_send`]); placed where the caller's caller was.
    #[track_caller]
    fn new(future: F, go_on: fn(Pin<Box<F>>, Waits), send: bool) -> Shield<F> {
        IN_USE.store(true, Ordering::Relaxed);
        Shield {
            future: Some(Box::pin(future)),
            started: false,
            go_on,
            send,
            location: std::panic::Location::caller(),
            context: TaskContext::default(),
        }
    }
}

impl<F: Future> Unpin for Shield<F> {}

impl<F: Future> Future for Shield<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if !self.started {
            self.started = true;
            if !self.send && !tasks_can_stay_here() {
                panic!(
                    "`jobloop::shield` at {} keeps its future on this thread when its task is \
                     cancelled, and this is a worker thread of tokio's multi-thread runtime, \
                     where tokio cannot keep a task: use `jobloop::shield_send` (its future must \
                     be `Send`)",
                    self.location
                );
            }
            self.context = TaskContext::capture();
        }
        // Out of the shield while it is polled: a future whose poll panics is dropped with the
        // panic, not handed to a task of its own to be polled again.
        let Some(mut future) = self.future.take() else {
            panic!("a shield was polled after it returned its output");
        };
        let poll = future.as_mut().poll(cx);
        if poll.is_pending() {
            self.future = Some(future);
        }
        poll
    }
}

impl<F: Future> Drop for Shield<F> {
    fn drop(&mut self) {
        let Some(future) = self.future.take() else {
            return;
        };
        if !self.started {
            return;
        }
        let waits = Waits::join_open_frames();
        // Its task starts in the context of the task it leaves (feature `context`).
        let _context = self.context.enter();
        (self.go_on)(future, waits);
    }
}

impl<F: Future> fmt::Debug for Shield<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("finished", &self.future.is_none())
            .field("started", &self.started)
            .finish()
    }
}

/// Whether a task that is not `Send` can start on this thread: not on a worker thread of
/// tokio's multi-thread runtime.
fn tasks_can_stay_here() -> bool {
    context::with_current_or_none(|current| match current {
        #[cfg(feature = "tokio")]
        Some(Current::Tokio(_)) => crate::runtime::tokio::can_spawn_local(),
        _ => true,
    })
}

/// Whether a runtime runs on this thread, so that a task can start here.
fn runtime_here() -> bool {
    context::with_current_or_none(|current| current.is_some())
}

/// [`Shield::go_on`] for [`shield`]: a task on this thread. A runtime that refuses it (a
/// runtime of one's own called from a worker thread) panics in its spawn: caught here, in a
/// destructor, and the future dropped (the panic hook has reported it).
fn go_on_here<F: Future + 'static>(future: Pin<Box<F>>, waits: Waits) {
    if !runtime_here() || !tasks_can_stay_here() {
        return drop(future);
    }
    // Detached: dropping the handle lets the task run on.
    let _ = catch_unwind(AssertUnwindSafe(move || {
        drop(crate::spawn(async move {
            let _waits = waits; // counted out when the future is done, or dropped
            drop(future.await);
        }));
    }));
}

/// [`Shield::go_on`] for [`shield_send`]: a task on any thread of the runtime.
fn go_on_anywhere<F: Future + Send + 'static>(future: Pin<Box<F>>, waits: Waits) {
    if !runtime_here() {
        return drop(future);
    }
    let _ = catch_unwind(AssertUnwindSafe(move || {
        drop(crate::spawn_send(async move {
            let _waits = waits;
            drop(future.await);
        }));
    }));
}

/// How many shielded futures that left a frame still run, and the waker of the group that
/// waits for them. (Named in the link's trait, which the expansion reaches; not for users.)
#[doc(hidden)]
#[derive(Default)]
pub struct ShieldWait {
    running: AtomicUsize,
    waiter: AtomicWaker,
}

impl ShieldWait {
    /// `Ready` once every shielded future counted here is done; registers the waker when not.
    pub(crate) fn poll_done(&self, cx: &Context<'_>) -> Poll<()> {
        if self.running.load(Ordering::Acquire) == 0 {
            return Poll::Ready(());
        }
        self.waiter.register(cx.waker());
        // Again after registering: one that finished in between woke nobody.
        if self.running.load(Ordering::Acquire) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The waits a shielded future is counted in, one per frame open when it was dropped: counted
/// out, and their waiters woken, when the future is done (or dropped).
pub(crate) struct Waits(Vec<Arc<ShieldWait>>);

impl Waits {
    /// Counts a shielded future in every frame open on this thread.
    fn join_open_frames() -> Waits {
        let waits = FRAMES
            .try_with(|frames| {
                let mut frames = frames.borrow_mut();
                (frames.iter_mut())
                    .map(|(_, wait)| {
                        let wait = wait.get_or_insert_with(Arc::default);
                        wait.running.fetch_add(1, Ordering::Relaxed);
                        wait.clone()
                    })
                    .collect()
            })
            .unwrap_or_default();
        Waits(waits)
    }
}

impl Drop for Waits {
    fn drop(&mut self) {
        for wait in self.0.drain(..) {
            if wait.running.fetch_sub(1, Ordering::AcqRel) == 1 {
                wait.waiter.wake();
            }
        }
    }
}

/// Runs `drop`, the drop of cancelled futures, in a frame owned by `tag` (an address only its
/// owner has): gives the wait of the shielded futures dropped unfinished in it, if any was. Once
/// the program made a shield; before, `drop` alone (one load of a flag).
#[inline]
pub(crate) fn in_frame(tag: usize, drop: impl FnOnce()) -> Option<Arc<ShieldWait>> {
    if !IN_USE.load(Ordering::Relaxed) {
        drop();
        return None;
    }
    open_frame(tag);
    // Closed also when a destructor panics (the caller catches such panics, or resumes them).
    let frame = CloseFrame(tag);
    drop();
    std::mem::forget(frame);
    close_frame(tag)
}

/// Closes its frame when a destructor panics inside it.
struct CloseFrame(usize);

impl Drop for CloseFrame {
    fn drop(&mut self) {
        drop(close_frame(self.0));
    }
}

#[cold]
#[inline(never)]
fn open_frame(tag: usize) {
    let _ = FRAMES.try_with(|frames| frames.borrow_mut().push((tag, None)));
}

/// Closes the frame `tag` opened, if it is the innermost one open: the wait of the shielded
/// futures dropped unfinished inside it, if any was.
#[cold]
#[inline(never)]
fn close_frame(tag: usize) -> Option<Arc<ShieldWait>> {
    FRAMES
        .try_with(|frames| {
            let mut frames = frames.borrow_mut();
            match frames.last() {
                Some((owner, _)) if *owner == tag => frames.pop().and_then(|(_, wait)| wait),
                _ => None,
            }
        })
        .ok()
        .flatten()
}

/// The waits a group collected from its cancelled members' frames: its end waits for them.
#[derive(Default)]
pub(crate) struct Shielded(Vec<Arc<ShieldWait>>);

impl Shielded {
    pub(crate) fn push(&mut self, wait: Arc<ShieldWait>) {
        self.0.push(wait);
    }

    /// `Ready` once every shielded future counted is done; registers the waker when not.
    pub(crate) fn poll_done(&mut self, cx: &Context<'_>) -> Poll<()> {
        while let Some(wait) = self.0.last() {
            std::task::ready!(wait.poll_done(cx));
            self.0.pop();
        }
        Poll::Ready(())
    }
}
