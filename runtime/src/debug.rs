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
//! - every live task is kept in a tree, under the task that started or awaits it, with its state
//!   and what it waits on: [`task_tree`] (and, under `#[job_main]`, SIGQUIT) shows it;
//! - a deadlock is named (see `deadlock.rs`): the message, with the tree, is printed once.
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
//! a panic or (with the feature `signal`) Ctrl-C. `JOBLOOP_TRACE=timeline.svg` draws the same
//! as a standalone SVG picture, which a browser shows, from the first 2 000 tasks (it says what
//! it left out). See `trace`.
//!
//! When neither is on, a task (spawned, or a group's) costs one load of an atomic flag when it
//! starts: whether to watch it is chosen then, and an unwatched task runs its future unwrapped
//! (a `scoped` group's in a `Watched` without its record, which keeps its context variables).
//! A wait (a sleep, an I/O wait, a group's) costs one more load each time it returns `Pending`.
//! Tasks of a `scoped` group are polled inside the task that awaits it, and watched as any
//! group's: a poll nested in another is reported for the inner task (its time is not the outer
//! one's), and the watchdog names the innermost poll that is stuck.
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
//!
//! This file holds the switches (the environment, [`enable`], the threshold) and the ids and
//! places of watched tasks. Beneath it, one idea per file: `watched` (what debug mode knows of a
//! task, and the wrapper that times its polls), `tree` (the task tree), `watchdog` (the thread
//! that reports stuck polls), `left_running` (the report when `main` returns), and the trace:
//! `trace` (the recorder), `chrome_json` and `svg` (its two formats, each written as the
//! program runs).

use std::panic::Location;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

mod chrome_json;
mod left_running;
mod svg;
mod trace;
mod tree;
mod watchdog;
mod watched;

#[cfg(feature = "signal")]
pub(crate) use left_running::main_returned;
pub use left_running::{watch_main, WatchMain};
pub(crate) use trace::GroupTrace;
pub use tree::{task_tree, TaskTree};
pub(crate) use watched::{sleeping, waiting, waits_recorded, Name, Watched};

use watchdog::start_watchdog;

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
        crate::wait_site::record();
    }
    state
}

/// Whether the tasks started now are watched: debug mode or the trace is on (or, with the feature
/// `tracing`, a subscriber that may take the tasks' spans), or the feature `context` is.
#[inline]
pub(crate) fn watching() -> bool {
    // With the feature `context`, every task keeps its context in the wrapper.
    cfg!(feature = "context") || observing()
}

/// Whether debug mode or the trace is on, or a `tracing` subscriber may take the tasks' spans:
/// the tasks started now are timed and named.
#[inline]
pub(crate) fn observing() -> bool {
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

#[inline]
pub(crate) fn debug_on() -> bool {
    state() & DEBUG != 0
}

#[inline]
fn trace_on() -> bool {
    state() & TRACE != 0
}

/// Reads the switches now, at start-up (what `#[job_main]` does first).
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
#[cfg(feature = "signal")]
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
        crate::wait_site::record();
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

/// A new id for a watched task (ids start at 1; 0 is "none").
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// `file:line` of `location`, the file without its folders.
pub(crate) fn short_place(location: &Location<'_>) -> String {
    let file = location.file();
    let file = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("{file}:{}", location.line())
}
