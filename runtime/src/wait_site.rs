//! Wait sites: what a task waits on among the things jobloop made, and where it began to wait
//! (`Queue::get at src/main.rs:12:9`), for the report of a deadlock (`deadlock.rs`) and debug
//! mode's task tree (`debug/tree.rs`). Also the id of the task being polled, which both read.
//!
//! A waiting operation of `jobloop::sync` (`Queue::get`, `Mutex::lock`, ...) or of a socket of
//! `jobloop::net` (`TcpStream::read`, ...) wraps its future in `Sited`, made where the user
//! called it (`#[track_caller]`). When that future returns `Pending` it opens a site in a
//! process-wide list; when it finishes or is dropped, it closes it. So the list holds the waits
//! begun and not ended, each with the thread it began on (a loop reports the waits of its own
//! thread). A wait that was woken and not polled again is still listed.
//!
//! Recording is off until a loop that reports deadlocks is made
//! ([`EventLoop::fail_on_deadlock`](crate::EventLoop::fail_on_deadlock), which `#[job_test]`
//! calls, or debug mode): until then a `Sited` costs one load of a flag per `Pending`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Instant;

thread_local! {
    /// The id of the task debug mode watches that is being polled on this thread (0: none, as
    /// in the future given to a runtime's `block_on`): the task a wait begins in.
    static POLLING: Cell<u64> = const { Cell::new(0) };
}

/// The id of the watched task being polled on this thread (0: none).
pub(crate) fn polling_task() -> u64 {
    POLLING.try_with(Cell::get).unwrap_or(0)
}

/// Task `id` is polled on this thread from now on; gives the one polled before (see
/// `debug/watched.rs`, which puts it back when the poll ends).
pub(crate) fn set_polling_task(id: u64) -> u64 {
    POLLING.try_with(|polling| polling.replace(id)).unwrap_or(0)
}

/// Whether sites are recorded: set for good by the first loop that reports deadlocks.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// The waits going on, by id: in the order they began.
static OPEN: Mutex<BTreeMap<u64, Open>> = Mutex::new(BTreeMap::new());

/// A wait going on.
struct Open {
    /// The watched task it began in (0: none, or not in debug mode).
    task: u64,
    site: Site,
    thread: ThreadId,
}

/// What a task waits on, where it began to wait, and since when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Site {
    what: &'static str,
    at: &'static Location<'static>,
    since: Instant,
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let waited = self.since.elapsed().as_secs_f64();
        write!(f, "{} at {}, waiting for {waited:.1} s", self.what, self.at)
    }
}

/// Turns recording on, for the rest of the process.
pub(crate) fn record() {
    RECORDING.store(true, Ordering::Relaxed);
}

impl Site {
    /// What is waited on: `Queue::get`, ...
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    /// Where the wait began.
    pub(crate) fn at(&self) -> &'static Location<'static> {
        self.at
    }

    /// How long it has lasted.
    pub(crate) fn waited(&self) -> std::time::Duration {
        self.since.elapsed()
    }
}

/// Every wait going on, with the task and the thread it began in, oldest first.
pub(crate) fn all() -> Vec<(u64, ThreadId, Site)> {
    let open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    (open.values())
        .map(|open| (open.task, open.thread, open.site))
        .collect()
}

/// The waits going on that began on this thread, oldest first.
pub(crate) fn on_this_thread() -> Vec<Site> {
    let thread = thread::current().id();
    let open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    (open.values())
        .filter(|open| open.thread == thread)
        .map(|open| open.site)
        .collect()
}

/// The identities of sites, never reused (0 is none).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn open(what: &'static str, at: &'static Location<'static>) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let site = Site {
        what,
        at,
        since: Instant::now(),
    };
    let thread = thread::current().id();
    let task = polling_task();
    let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    open.insert(id, Open { task, site, thread });
    id
}

fn close(id: u64) {
    OPEN.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
}

/// The site of a wait on `what`, made where the caller was called, for a future of a type of
/// its own (`Event::wait`'s, `to_thread`'s): the future calls [`pending`](SiteSlot::pending)
/// when its poll returns `Pending` and [`done`](SiteSlot::done) when the wait ends; dropped
/// with the future, it closes the site too.
pub(crate) struct SiteSlot {
    what: &'static str,
    at: &'static Location<'static>,
    /// The open site, 0 when none.
    id: u64,
}

impl SiteSlot {
    #[track_caller]
    pub(crate) fn here(what: &'static str) -> SiteSlot {
        SiteSlot {
            what,
            at: Location::caller(),
            id: 0,
        }
    }

    /// The wait goes on: its site opens, when sites are recorded (one load of a flag when not).
    #[inline]
    pub(crate) fn pending(&mut self) {
        if self.id == 0 && RECORDING.load(Ordering::Relaxed) {
            self.id = open(self.what, self.at);
        }
    }

    /// The wait ended.
    #[inline]
    pub(crate) fn done(&mut self) {
        if self.id != 0 {
            close(self.id);
            self.id = 0;
        }
    }
}

impl Drop for SiteSlot {
    fn drop(&mut self) {
        self.done();
    }
}

/// `future`, a wait on `what`, sited where the caller was called.
#[cfg(any(
    feature = "sync",
    feature = "net",
    feature = "process",
    feature = "redis",
    feature = "signal"
))]
#[track_caller]
pub(crate) fn sited<F: std::future::Future>(what: &'static str, future: F) -> Sited<F> {
    sited_at(what, Location::caller(), future)
}

/// `future`, a wait on `what`, sited at `at`.
#[cfg(any(
    feature = "sync",
    feature = "net",
    feature = "process",
    feature = "redis",
    feature = "signal"
))]
pub(crate) fn sited_at<F: std::future::Future>(
    what: &'static str,
    at: &'static Location<'static>,
    future: F,
) -> Sited<F> {
    Sited {
        future,
        site: SiteSlot { what, at, id: 0 },
    }
}

#[cfg(any(
    feature = "sync",
    feature = "net",
    feature = "process",
    feature = "redis",
    feature = "signal"
))]
pin_project_lite::pin_project! {
    /// A wait on something jobloop made, listed as a site while it is going on (see the
    /// module's doc).
    pub(crate) struct Sited<F> {
        #[pin]
        future: F,
        site: SiteSlot,
    }
}

#[cfg(any(
    feature = "sync",
    feature = "net",
    feature = "process",
    feature = "redis",
    feature = "signal"
))]
impl<F: std::future::Future> std::future::Future for Sited<F> {
    type Output = F::Output;

    #[inline]
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let poll = this.future.poll(cx);
        if poll.is_pending() {
            this.site.pending();
        } else {
            this.site.done();
        }
        poll
    }
}
