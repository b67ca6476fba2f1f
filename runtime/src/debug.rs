//! Debug mode (asyncio's `PYTHONASYNCIODEBUG=1`) and the timeline trace: what ran when, and
//! which task blocked its thread.
//!
//! Debug mode is on with the environment variable `JOBLOOP_DEBUG=1`, or with
//! `#[job_main(debug)]` / `#[job_test(debug)]` (which call [`enable`]). Then, on every runtime:
//!
//! - a poll of a task that holds its thread longer than the threshold (100 ms by default, as
//!   asyncio's `slow_callback_duration`; `JOBLOOP_DEBUG_SLOW_MS` or [`set_slow_poll_threshold`]
//!   changes it) is reported on stderr when it returns, with the task's name, where it was
//!   started, and how long it took: every other task of that thread waited meanwhile;
//! - a poll still running after 1 s is reported while it is still stuck, by a watchdog thread;
//! - when `main` returns, the tasks started with [`spawn`](crate::spawn) that are still
//!   running, and which are about to be destroyed unfinished, are listed (asyncio's "Task was
//!   destroyed but it is pending!").
//!
//! Tasks are named as jobloop knows them: a group's task by its expression and index
//! (`fetch(u)[3]`), a spawned task by the name given to [`spawn_named`](crate::spawn_named)
//! or else by where `spawn` was called (`src/main.rs:12:5`).
//!
//! `JOBLOOP_TRACE=trace.json` records a slice per poll of every task and writes it as it goes
//! to a Chrome trace-event file that ui.perfetto.dev and chrome://tracing open: one track per
//! task, named as above, with a slice per poll and one per wait between polls (`sleep`,
//! `I/O read`, `I/O write`, `group`: what the task waited on); each group is a process of its
//! own holding a `group` track, whose one slice encloses the lifetimes of its tasks, and the
//! tracks of those tasks. The file is made at start-up (a path that cannot be written is an
//! error then), written through a small buffer (a long-running server's trace grows on disk,
//! not in memory), and complete whenever a runtime's `block_on` ends: after a return, an `Err`,
//! a panic or Ctrl-C. `JOBLOOP_TRACE=timeline.svg` draws the same as a standalone SVG picture,
//! which a browser shows, from the first 2 000 tasks (it says what it left out). See `trace`.
//!
//! When neither is on, a task (spawned, or a group's) costs one load of an atomic flag when it
//! starts: whether to watch it is chosen then, and an unwatched task runs its future unwrapped.
//! A wait (a sleep, an I/O wait, a group's) costs one more load each time it returns `Pending`.
//! Tasks of a `scoped` group are polled inside the task that awaits it, so their waits are that
//! task's.
//!
//! With the feature `tracing`, every task's polls run inside a `tracing` span named `task`,
//! with the fields `task` (its name in its group, when it has one) and `spawned_at` (file:line),
//! so `tracing-subscriber` and the tools built on `tracing` see jobloop's tasks. That is for the
//! tasks started while a subscriber that may take `INFO` spans is set (tracing's
//! `LevelFilter::current()`): without one, a task costs what it costs without the feature. Set
//! the subscriber first thing in `main`, before the tasks start.
//!
//! ```
//! use std::time::Duration;
//! jobloop_runtime::debug::set_slow_poll_threshold(Duration::from_millis(50));
//! ```

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

mod chrome_json;
mod svg;
mod trace;

pub(crate) use trace::GroupTrace;
use trace::TaskTrace;

/// 0: not read from the environment yet; bit 1: checked; bit 2: debug; bit 4: trace.
static STATE: AtomicU8 = AtomicU8::new(0);
const CHECKED: u8 = 1;
const DEBUG: u8 = 2;
const TRACE: u8 = 4;

/// Why the trace's file could not be made, when it could not.
static TRACE_ERROR: OnceLock<String> = OnceLock::new();
/// `start_up` reads the switches (and reports an error itself).
static STARTING_UP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The slow-poll threshold, in microseconds.
static THRESHOLD_MICROS: AtomicU64 = AtomicU64::new(100_000);
/// How long a poll runs before the watchdog reports it, still stuck.
const STUCK: Duration = Duration::from_secs(1);

/// The state, read from the environment the first time. One load after that (it is asked on
/// every spawn and every pending poll of a sleep or a group).
#[inline]
fn state() -> u8 {
    let state = STATE.load(Ordering::Relaxed);
    if state & CHECKED != 0 {
        return state;
    }
    read_environment()
}

#[cold]
fn read_environment() -> u8 {
    let mut state = CHECKED;
    if std::env::var_os("JOBLOOP_DEBUG").is_some_and(|value| value != "0" && !value.is_empty()) {
        state |= DEBUG;
    }
    if let Some(path) = std::env::var_os("JOBLOOP_TRACE").filter(|value| !value.is_empty()) {
        // Made now, at start-up: a path that cannot be written is known before the work.
        let path = std::path::PathBuf::from(path);
        // Once, though two threads may read the switches for the first time at once.
        static OPENED: OnceLock<Result<(), String>> = OnceLock::new();
        match OPENED.get_or_init(|| trace::open(path.clone()).map_err(|error| error.to_string())) {
            Ok(()) => state |= TRACE,
            Err(error) => {
                let message = TRACE_ERROR.get_or_init(|| {
                    format!(
                        "JOBLOOP_TRACE={}: the trace cannot be written there ({error}): give a \
                     path in a folder that exists and can be written, or unset JOBLOOP_TRACE",
                        path.display()
                    )
                });
                // Said here when the program did not start through `run_main`, which
                // panics with it.
                if !STARTING_UP.load(Ordering::Relaxed) {
                    eprintln!("jobloop: {message}");
                }
            }
        }
    }
    if let Some(ms) = std::env::var("JOBLOOP_DEBUG_SLOW_MS")
        .ok()
        .and_then(|ms| ms.parse::<u64>().ok())
    {
        THRESHOLD_MICROS.store(ms.saturating_mul(1000), Ordering::Relaxed);
    }
    let state = STATE.fetch_or(state, Ordering::Relaxed) | state;
    if state & DEBUG != 0 {
        start_watchdog();
    }
    state
}

/// Whether debug mode or the trace is on (or, with the feature `tracing`, a subscriber that may
/// take the tasks' spans): the tasks started now are watched.
#[inline]
pub(crate) fn watching() -> bool {
    state() & (DEBUG | TRACE) != 0 || spans_wanted()
}

/// Whether a `tracing` subscriber may take the tasks' `INFO` spans: one load of tracing's
/// global level filter, which is `OFF` until a subscriber is set.
#[cfg(feature = "tracing")]
fn spans_wanted() -> bool {
    tracing::level_filters::LevelFilter::current() >= tracing::Level::INFO
}

#[cfg(not(feature = "tracing"))]
fn spans_wanted() -> bool {
    false
}

fn debug_on() -> bool {
    state() & DEBUG != 0
}

fn trace_on() -> bool {
    state() & TRACE != 0
}

/// Reads the switches now, at start-up (what `#[job_main]` does through
/// `signal::run_main`).
///
/// # Panics
///
/// When `JOBLOOP_TRACE` names a file that cannot be made: the message gives the path and the
/// OS's error, before the program has done any work.
#[track_caller]
pub(crate) fn start_up() {
    STARTING_UP.store(true, Ordering::Relaxed);
    state();
    if let Some(error) = TRACE_ERROR.get() {
        panic!("{error}");
    }
}

/// Makes the trace's file complete with what was recorded so far, when the trace is on: what
/// the end of a runtime's `block_on` does.
#[inline]
pub(crate) fn trace_checkpoint() {
    if state() & TRACE != 0 {
        trace::checkpoint();
    }
}

/// [`trace_checkpoint`] from the signal thread, before it exits the process.
pub(crate) fn trace_checkpoint_before_exit() {
    if state() & TRACE != 0 {
        trace::try_checkpoint();
    }
}

/// Turns debug mode on for the rest of the process (what `#[job_main(debug)]` and
/// `#[job_test(debug)]` call first). Tasks started before are not watched.
pub fn enable() {
    state();
    if STATE.fetch_or(DEBUG, Ordering::Relaxed) & DEBUG == 0 {
        start_watchdog();
    }
}

/// Whether debug mode is on (from `JOBLOOP_DEBUG` or [`enable`]).
pub fn is_enabled() -> bool {
    debug_on()
}

/// Sets how long one poll may hold its thread before debug mode reports it (default 100 ms).
pub fn set_slow_poll_threshold(threshold: Duration) {
    state();
    let micros = u64::try_from(threshold.as_micros()).unwrap_or(u64::MAX);
    THRESHOLD_MICROS.store(micros, Ordering::Relaxed);
}

fn threshold() -> Duration {
    Duration::from_micros(THRESHOLD_MICROS.load(Ordering::Relaxed))
}

/// What debug mode knows of a task.
pub(crate) struct Info {
    id: u64,
    name: Name,
    location: &'static Location<'static>,
    /// Its group in the trace, kept alive while the task is: the group's slice ends when the
    /// last of its tasks is gone.
    _group: Option<GroupTrace>,
    /// Its track in the trace, when the trace is on.
    trace: Option<TaskTrace>,
    /// The span its polls run in (feature `tracing`).
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// A task's name, made only when it is shown.
pub(crate) enum Name {
    /// Started with `spawn`: named by where.
    Spawned,
    /// Started with `spawn_named`.
    Named(String),
    /// A group's task: its expression and index, as the group names it in `TaskError`s, when
    /// the group knows them.
    Member(Option<String>),
}

impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Name::Spawned => write!(f, "task spawned at {}", self.location),
            Name::Named(name) => write!(f, "task `{name}` (spawned at {})", self.location),
            Name::Member(Some(name)) => {
                write!(f, "task `{name}` (started at {})", self.location)
            }
            Name::Member(None) => write!(f, "a group's task started at {}", self.location),
        }
    }
}

impl Info {
    /// Whether it was started with `spawn` or `spawn_named` (then it is listed when `main`
    /// returns before it finished).
    fn is_spawned(&self) -> bool {
        matches!(self.name, Name::Spawned | Name::Named(_))
    }

    /// The name on the task's track: its name and file:line, the file without its folders.
    fn label(&self) -> String {
        let place = short_place(self.location);
        match &self.name {
            Name::Spawned => format!("spawn ({place})"),
            Name::Named(name) => format!("{name} ({place})"),
            Name::Member(Some(name)) => format!("{name} ({place})"),
            Name::Member(None) => format!("task {} ({place})", self.id),
        }
    }
}

/// `file:line` of `location`, the file without its folders.
fn short_place(location: &Location<'_>) -> String {
    let file = location.file();
    let file = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("{file}:{}", location.line())
}

/// The registry of debug mode: the spawned tasks alive, the polls running now.
#[derive(Default)]
struct Registry {
    /// Spawned tasks alive: (id, description).
    spawned: Vec<(u64, String)>,
    /// Polls running: (id, description, start, reported).
    polling: Vec<(u64, String, Instant, bool)>,
}

thread_local! {
    /// The id of the watched task being polled on this thread (0: none), for [`waiting`].
    static POLLING: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// What the task being polled on this thread began to wait on in this poll (the trace).
    static WAITS: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Records, in the trace, that the task being polled now suspends on `what` (`sleep`,
/// `I/O read`, ...): the trace shows a wait from the end of this poll to the start of the
/// task's next one. One load of a flag when the trace is off.
#[inline]
pub(crate) fn waiting(what: &'static str) {
    if trace_on() {
        record_wait(what);
    }
}

fn record_wait(what: &'static str) {
    if POLLING.with(std::cell::Cell::get) == 0 {
        return;
    }
    let _ = WAITS.try_with(|waits| {
        let mut waits = waits.borrow_mut();
        if !waits.contains(&what) {
            waits.push(what);
        }
    });
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pin_project_lite::pin_project! {
    /// A task's future, timed on each poll when debug mode or the trace is on.
    pub(crate) struct Watched<F> {
        #[pin]
        future: F,
        info: Option<Box<Info>>,
    }

    impl<F> PinnedDrop for Watched<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(info) = this.project().info {
                if info.is_spawned() && debug_on() {
                    registry().spawned.retain(|(id, _)| *id != info.id);
                }
            }
        }
    }
}

impl<F> Watched<F> {
    /// `future`, watched when debug mode or the trace is on (then named by `name`, placed
    /// where the caller was called).
    #[track_caller]
    pub(crate) fn new(future: F, name: impl FnOnce() -> Name) -> Watched<F> {
        Watched::at(future, name, Location::caller(), None)
    }

    /// [`new`](Watched::new), placed at `location`, a task of `group` in the trace.
    pub(crate) fn at(
        future: F,
        name: impl FnOnce() -> Name,
        location: &'static Location<'static>,
        group: Option<&GroupTrace>,
    ) -> Watched<F> {
        let info = watching().then(|| {
            let name = name();
            #[cfg(feature = "tracing")]
            let span = match &name {
                Name::Spawned => tracing::info_span!("task", spawned_at = %location),
                Name::Named(task) => {
                    tracing::info_span!("task", task = %task, spawned_at = %location)
                }
                Name::Member(Some(task)) => {
                    tracing::info_span!("task", task = %task, spawned_at = %location)
                }
                Name::Member(None) => tracing::info_span!("task", spawned_at = %location),
            };
            let id = next_id();
            let info = Info {
                id,
                name,
                location,
                _group: group.cloned(),
                trace: trace_on().then(|| TaskTrace::new(id, group)),
                #[cfg(feature = "tracing")]
                span,
            };
            if debug_on() && info.is_spawned() {
                registry().spawned.push((info.id, info.to_string()));
            }
            Box::new(info)
        });
        Watched { future, info }
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let Some(info) = this.info.as_deref() else {
            return this.future.poll(cx);
        };
        #[cfg(feature = "tracing")]
        let _span = info.span.enter();
        let debug = debug_on();
        if !debug && info.trace.is_none() {
            return this.future.poll(cx); // only the span (feature `tracing`)
        }
        let start = Instant::now();
        if debug {
            registry()
                .polling
                .push((info.id, info.to_string(), start, false));
        }
        // Unregistered however the poll ends, a panic included.
        let _done = PollDone {
            info,
            start,
            debug,
            outer: POLLING.with(|polling| polling.replace(info.id)),
            outer_waits: WAITS.try_with(|waits| waits.take()).unwrap_or_default(),
        };
        let poll = this.future.poll(cx);
        if debug && matches!(poll, Poll::Ready(_)) && info.is_spawned() {
            registry().spawned.retain(|(id, _)| *id != info.id);
        }
        poll
    }
}

/// Ends a poll's watch: reports it when it was slow, records its slice.
struct PollDone<'a> {
    info: &'a Info,
    start: Instant,
    debug: bool,
    /// The task polled around this one on this thread (0: none), polled again after it.
    outer: u64,
    /// The waits that task began before this poll, given back to it after.
    outer_waits: Vec<&'static str>,
}

impl Drop for PollDone<'_> {
    fn drop(&mut self) {
        POLLING.with(|polling| polling.set(self.outer));
        let waits = WAITS
            .try_with(|waits| waits.replace(std::mem::take(&mut self.outer_waits)))
            .unwrap_or_default();
        let took = self.start.elapsed();
        if self.debug {
            registry().polling.retain(|(id, ..)| *id != self.info.id);
        }
        if let Some(trace) = &self.info.trace {
            trace.polled(|| self.info.label(), self.start, took, waits);
        }
        if self.debug && took >= threshold() {
            eprintln!(
                "jobloop debug: {} held its thread for {took:.3?} in one poll (threshold \
                 {:?}): the other tasks of that thread waited meanwhile; move blocking work to \
                 `jobloop::to_thread`",
                self.info,
                threshold()
            );
        }
    }
}

/// The watchdog: every 100 ms, reports the polls that have run longer than [`STUCK`], once
/// each, while they still run.
fn start_watchdog() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("jobloop-debug-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(Duration::from_millis(100));
                let mut stuck = Vec::new();
                for (_, what, start, reported) in registry().polling.iter_mut() {
                    if !*reported && start.elapsed() >= STUCK {
                        *reported = true;
                        stuck.push((what.clone(), start.elapsed()));
                    }
                }
                for (what, running) in stuck {
                    eprintln!(
                        "jobloop debug: {what} has held its thread for {running:.1?} and is \
                         still running: it blocks every other task of that thread"
                    );
                }
            });
    });
}

/// `main`'s body returned: debug mode lists the spawned tasks still running.
pub(crate) fn main_returned() {
    // Once per process: `run_main` and `watch_main` may both see `main` return.
    static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !watching() || REPORTED.swap(true, Ordering::Relaxed) {
        return;
    }
    if debug_on() {
        let pending: Vec<String> = registry()
            .spawned
            .iter()
            .map(|(_, what)| what.clone())
            .collect();
        if !pending.is_empty() {
            eprintln!(
                "jobloop debug: main returned while {} spawned task{} still ran, never awaited \
                 to the end; {} destroyed unfinished (asyncio: \"Task was destroyed but it is \
                 pending!\"):",
                pending.len(),
                if pending.len() == 1 { "" } else { "s" },
                if pending.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
            );
            for what in pending {
                eprintln!("    {what}");
            }
        }
    }
    // The trace is written when the runtime's `block_on` returns, right after this.
}

/// `main`'s body in debug mode: when it returns, the spawned tasks still running are listed
/// and the trace is written (what `#[job_main(debug)]` and `#[job_test(debug)]` wrap their
/// body in; `#[job_main]` does the same through `signal::run_main`).
///
/// ```
/// use jobloop_runtime::{debug, EventLoop};
///
/// debug::enable();
/// EventLoop::new().block_on(debug::watch_main(async {
///     // jobloop debug: main returned while 1 spawned task still ran, ...
///     jobloop_runtime::spawn(std::future::pending::<()>());
/// }));
/// ```
pub fn watch_main<F: Future>(main: F) -> WatchMain<F> {
    WatchMain { main }
}

pin_project_lite::pin_project! {
    /// The future of [`watch_main`].
    #[must_use = "futures do nothing unless you `.await` them"]
    pub struct WatchMain<F> {
        #[pin]
        main: F,
    }
}

impl<F: Future> Future for WatchMain<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let output = std::task::ready!(self.project().main.poll(cx));
        main_returned();
        Poll::Ready(output)
    }
}
