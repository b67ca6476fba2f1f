//! Deadlocks named instead of hangs: what the embedded loop does when every task waits and
//! nothing it knows of can wake any of them.
//!
//! # When the loop suspects a deadlock
//!
//! In a turn with no task ready, the loop would wait for ever (not until a timer, not for a
//! socket) when all of these hold:
//!
//! - no timer is set (no `sleep`, `timeout` or deadline of a group);
//! - no task waits for a socket or a pipe;
//! - nothing that the loop's tasks started on another thread is in flight ([`InFlight`]): no
//!   `to_thread` work, no `Child::wait`, no `ctrl_c` or `terminate` listener, no
//!   [`Handle`](crate::Handle) alive through which another thread may spawn (`#[job_main]`'s
//!   own watch for Ctrl-C and SIGTERM is not counted: a signal cancels the program, it does not
//!   wake a task to go on). Each loop counts its own: what its tasks started, and what they
//!   await (`to_thread` work or a task of another runtime, wherever it was started: see
//!   [`Awaiting`]). Another loop's work (another test's, in a test binary that runs tests side
//!   by side) does not delay the naming of a deadlock here. What was started where no loop
//!   runs counts for every loop;
//! - tokio's driver, which runs tokio-based types on the loop (feature `tokio`) on a thread of
//!   its own, holds no tokio task, work of its blocking pool, timer or socket (on Linux the loop
//!   can ask it, see `event_loop/tokio_context.rs`; one driver serves every loop of the
//!   process, so this one is process-wide: another loop's tokio sleep delays the naming);
//! - no wake-up ever came to this loop from a thread that is not jobloop's own: an async-io
//!   timer, a std thread holding a waker or a `jobloop::sync` value, tokio's driver where it
//!   cannot be asked (off Linux, say). Such a thread may wake a task at any time, and the loop
//!   cannot see what it waits for.
//!
//! Then the loop waits one second more ([`GRACE`]): a wake-up from a thread it does not know of
//! (the first one, say) ends the suspicion. If none comes, the program cannot go on.
//!
//! # What it does then
//!
//! - A loop made with [`EventLoop::fail_on_deadlock`](crate::EventLoop::fail_on_deadlock), as
//!   `#[job_test]` makes its loop, panics with a message that says "deadlock" and lists each
//!   wait going on and where it began (`Queue::get at tests/queue.rs:12:9`, see
//!   `wait_site.rs`): the test fails instead of hanging.
//! - Such a loop that did see a wake-up from an unknown thread, and any other loop in debug
//!   mode (`JOBLOOP_DEBUG=1`: `#[job_main]`'s, say), print the same message to stderr once and
//!   go on waiting: a thread jobloop does not know of may still wake a task. This is why
//!   `#[job_main]` warns rather than stops. (A `fail_on_deadlock` loop fails in debug mode
//!   too.)
//!
//! What the check cannot see: a std thread that holds a `jobloop::sync` value (a `Queue`, an
//! `Event`) or a `TaskSetSpawner` and has not yet woken any task of the loop; the same held by
//! the work or the tasks of another loop of the process (its `to_thread` closure that puts into
//! this loop's queue, say: counted for that loop, not this one); where tokio's driver cannot be
//! asked, a tokio-based future whose first wake-up comes more than a second after every task
//! began to wait; and a task whose only wait is a `tokio::signal` listener. Such a program is
//! taken for deadlocked by `fail_on_deadlock`; set `JOBLOOP_DEADLOCK=off` to turn the check off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::wait_site;

/// How long a loop that suspects a deadlock waits for a wake-up before it names it.
pub(crate) const GRACE: Duration = Duration::from_secs(1);

/// What jobloop runs on other threads that may wake a task, started where no loop runs (a
/// loop counts what its own tasks start in [`LoopInFlight`]): every loop looks at it.
static UNOWNED: AtomicUsize = AtomicUsize::new(0);

/// What jobloop runs on other threads for the tasks of one loop: each loop has one, so that a
/// deadlock on one loop is named while another loop of the process (another test of the same
/// test binary) has work in flight.
pub(crate) type LoopInFlight = Arc<AtomicUsize>;

/// Counts something in flight on another thread that may wake a task (see the module's doc)
/// while it lives: for the loop running on this thread when it is made, or for every loop when
/// none runs here.
#[derive(Debug)]
pub(crate) struct InFlight(Option<LoopInFlight>);

impl InFlight {
    pub(crate) fn new() -> InFlight {
        InFlight::counting(crate::context::with_loop(|core| core.in_flight().clone()))
    }

    /// Counts for the loop whose count is `own`, or for every loop.
    fn counting(own: Option<LoopInFlight>) -> InFlight {
        let in_flight = InFlight(own);
        in_flight.count().fetch_add(1, Ordering::AcqRel);
        in_flight
    }

    /// The count this adds to.
    fn count(&self) -> &AtomicUsize {
        self.0.as_deref().unwrap_or(&UNOWNED)
    }

    /// The loop this counts for; `None` when it counts for every loop.
    pub(crate) fn loop_count(&self) -> Option<&LoopInFlight> {
        self.0.as_ref()
    }
}

/// What a future that waits for work on another thread (a `to_thread` job, a task that a
/// [`Handle`](crate::Handle) started on another runtime) counts while it waits, for the loop
/// that polls it: that loop's task is the one woken when the work ends, whichever loop started
/// the work (which counts it too, with an [`InFlight`] of its own). Until the work ends (or
/// the future is dropped): a future polled last by a loop counts for it, also once moved
/// where no loop runs.
#[derive(Debug, Default)]
pub(crate) struct Awaiting(Option<InFlight>);

impl Awaiting {
    /// The future returns `Pending`: counts it for the loop polling it now, unless it is
    /// counted there already, or the work runs on that very loop (`runs_on`: a task its own
    /// `Handle` started, which the loop sees as its task).
    pub(crate) fn pending(&mut self, runs_on: Option<&LoopInFlight>) {
        let counted = self.0.as_ref().and_then(|in_flight| in_flight.0.as_ref());
        let here = crate::context::with_loop(|core| {
            let here = core.in_flight();
            let known = |count: Option<&LoopInFlight>| count.is_some_and(|c| Arc::ptr_eq(c, here));
            (!known(counted) && !known(runs_on)).then(|| here.clone())
        });
        if let Some(here) = here.flatten() {
            self.0 = Some(InFlight::counting(Some(here)));
        }
    }

    /// The work ended: counts no more.
    pub(crate) fn done(&mut self) {
        self.0 = None;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.count().fetch_sub(1, Ordering::AcqRel);
    }
}

/// Whether something is in flight on another thread for the loop whose count is `own`.
pub(crate) fn in_flight(own: &AtomicUsize) -> bool {
    own.load(Ordering::Acquire) > 0 || UNOWNED.load(Ordering::Acquire) > 0
}

/// What a loop does when it finds its tasks deadlocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnDeadlock {
    /// Panics with the report: the test fails.
    Fail,
    /// Prints the report to stderr once, and goes on waiting.
    Warn,
}

/// Whether `JOBLOOP_DEADLOCK=off` turned the check off (read once).
pub(crate) fn turned_off() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| match std::env::var_os("JOBLOOP_DEADLOCK") {
        None => false,
        Some(value) if value == "off" => true,
        Some(value) => {
            eprintln!(
                "jobloop: JOBLOOP_DEADLOCK={value:?} is not understood: only `off` turns the \
                 deadlock check off; it stays on"
            );
            false
        }
    })
}

/// The message of a deadlock on this thread's loop: the waits going on, with their sites, and
/// where the loop's `block_on` was called (`site`).
pub(crate) fn report(site: Option<&std::panic::Location<'_>>) -> String {
    let sites = wait_site::on_this_thread();
    let mut message = String::from(
        "deadlock: every task of this event loop waits, and nothing jobloop knows of can wake \
         any of them (no timer, no socket or pipe waited on, no `to_thread` work, child \
         process or signal listener in flight for it, no `Handle` of it alive)",
    );
    if sites.is_empty() {
        message.push_str(
            "\nno task waits on a `jobloop::sync` value (the waits listed here): they wait on \
             each other's outputs, or on futures jobloop did not make",
        );
    } else {
        message.push_str("\nwaiting:");
        for site in sites {
            message.push_str(&format!("\n  {site}"));
        }
    }
    if crate::debug::debug_on() {
        message.push_str(&format!("\n{}", crate::debug::task_tree()));
    } else {
        message.push_str(
            "\n(debug mode, `JOBLOOP_DEBUG=1` or `#[job_test(debug)]`, adds every task with \
             where it waits, those on futures jobloop did not make too)",
        );
    }
    if let Some(site) = site {
        message.push_str(&format!("\n(the loop's `block_on` at {site})"));
    }
    message.push_str(
        "\n(if a thread jobloop does not know of was to wake one of them, set \
         JOBLOOP_DEADLOCK=off)",
    );
    message
}
