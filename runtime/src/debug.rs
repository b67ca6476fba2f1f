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
//! `JOBLOOP_TRACE=trace.json` records a slice per poll of every task and writes, when the
//! program ends (also after Ctrl-C), a Chrome trace-event file that ui.perfetto.dev and
//! chrome://tracing open: one track per task, named as above, with a slice per poll and one per
//! wait between polls (`sleep`, `I/O read`, `I/O write`, `group`: what the task waited on); each
//! group is a process of its own holding a `group` track, whose one slice encloses the
//! lifetimes of its tasks, and the tracks of those tasks. `JOBLOOP_TRACE=timeline.svg` writes
//! the same as a standalone SVG picture, which a browser shows.
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
use std::io::Write as _;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// 0: not read from the environment yet; bit 1: checked; bit 2: debug; bit 4: trace.
static STATE: AtomicU8 = AtomicU8::new(0);
const CHECKED: u8 = 1;
const DEBUG: u8 = 2;
const TRACE: u8 = 4;

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
    if std::env::var_os("JOBLOOP_TRACE").is_some_and(|value| !value.is_empty()) {
        state |= TRACE;
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
    group: Option<GroupTrace>,
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

/// The registry: the tasks watched and alive, the polls running now, the trace.
#[derive(Default)]
struct Registry {
    /// Spawned tasks alive: (id, description).
    spawned: Vec<(u64, String)>,
    /// Polls running: (id, description, start, reported).
    polling: Vec<(u64, String, Instant, bool)>,
    /// Trace: task names by id (with their group's id), and slices (id, start, duration).
    names: Vec<(u64, String, Option<u64>)>,
    slices: Vec<(u64, Instant, Duration)>,
    /// Trace: the waits tasks began (task id, what on, when).
    waits: Vec<(u64, &'static str, Instant)>,
    /// Trace: groups (id, label, start, end once its last task is gone).
    groups: Vec<(u64, String, Instant, Option<Instant>)>,
}

/// A group in the trace: made when the group starts (only while the trace is on), shared by
/// its tasks; when the last of them is gone, the group's slice ends.
#[derive(Clone)]
pub(crate) struct GroupTrace(std::sync::Arc<GroupRecord>);

struct GroupRecord {
    id: u64,
}

impl GroupTrace {
    /// The trace's record of a group labelled `label()` that starts now at `location`; `None`
    /// when the trace is off (then `label` is not called).
    pub(crate) fn start(
        label: impl FnOnce() -> String,
        location: &'static Location<'static>,
    ) -> Option<GroupTrace> {
        if !trace_on() {
            return None;
        }
        let id = next_id();
        let label = format!("{} ({})", label(), short_place(location));
        let _ = epoch();
        registry().groups.push((id, label, Instant::now(), None));
        Some(GroupTrace(std::sync::Arc::new(GroupRecord { id })))
    }

    fn id(&self) -> u64 {
        self.0.id
    }
}

impl Drop for GroupRecord {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut registry = registry();
        if let Some(group) = registry.groups.iter_mut().rev().find(|g| g.0 == self.id) {
            group.3 = Some(now);
        }
    }
}

thread_local! {
    /// The id of the watched task being polled on this thread (0: none), for [`waiting`].
    static POLLING: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
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
    let task = POLLING.with(std::cell::Cell::get);
    if task != 0 {
        registry().waits.push((task, what, Instant::now()));
    }
}

fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// When the trace began (the first task watched).
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
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
            let info = Info {
                id: next_id(),
                name,
                location,
                group: group.cloned(),
                #[cfg(feature = "tracing")]
                span,
            };
            let (debug, trace) = (debug_on(), trace_on());
            if debug && info.is_spawned() {
                registry().spawned.push((info.id, info.to_string()));
            }
            if trace {
                let _ = epoch();
                let group = info.group.as_ref().map(GroupTrace::id);
                registry().names.push((info.id, info.label(), group));
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
        let (debug, trace) = (debug_on(), trace_on());
        if !debug && !trace {
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
}

impl Drop for PollDone<'_> {
    fn drop(&mut self) {
        POLLING.with(|polling| polling.set(self.outer));
        let took = self.start.elapsed();
        let mut registry = registry();
        if self.debug {
            registry.polling.retain(|(id, ..)| *id != self.info.id);
        }
        if trace_on() {
            registry.slices.push((self.info.id, self.start, took));
        }
        drop(registry);
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

/// `main`'s body, which reports when it returns: the spawned tasks still running (debug
/// mode), and the trace file (`JOBLOOP_TRACE`).
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
    write_trace();
}

/// Writes the trace to `JOBLOOP_TRACE`'s file, once: an SVG picture when the name ends in
/// `.svg`, a Chrome trace-event file otherwise.
pub(crate) fn write_trace() {
    static WRITTEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !trace_on() || WRITTEN.swap(true, Ordering::Relaxed) {
        return;
    }
    let Some(path) = std::env::var_os("JOBLOOP_TRACE") else {
        return;
    };
    let path = std::path::PathBuf::from(path);
    let registry = registry();
    let (tracks, groups) = tracks(&registry, epoch());
    drop(registry);
    let svg = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("svg"));
    let text = if svg {
        to_svg(&tracks, &groups)
    } else {
        to_json(&tracks, &groups)
    };
    let written = std::fs::File::create(&path).and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "jobloop: could not write the trace to {}: {error}",
            path.display()
        );
    }
}

/// One task's track: its id, label, group, its polls and its waits between them, in
/// microseconds since the trace began: (start, duration), and what a wait was on.
struct Track {
    id: u64,
    label: String,
    group: Option<u64>,
    polls: Vec<(f64, f64)>,
    waits: Vec<(f64, f64, String)>,
}

/// A group's slice: from its start until the last of its tasks was gone (or the trace's end).
struct GroupSlice {
    id: u64,
    label: String,
    start: f64,
    end: f64,
}

/// The tracks of the tasks that ran, and the groups they belong to, in the order they began.
fn tracks(registry: &Registry, epoch: Instant) -> (Vec<Track>, Vec<GroupSlice>) {
    let micros = |at: &Instant| at.saturating_duration_since(epoch).as_secs_f64() * 1e6;
    let mut tracks: Vec<Track> = registry
        .names
        .iter()
        .map(|(id, label, group)| Track {
            id: *id,
            label: label.clone(),
            group: *group,
            polls: Vec::new(),
            waits: Vec::new(),
        })
        .collect();
    // Ids count up as tasks start; threads may have registered them out of order.
    tracks.sort_by_key(|track| track.id);
    for (id, start, took) in &registry.slices {
        if let Ok(i) = tracks.binary_search_by_key(id, |track| track.id) {
            tracks[i]
                .polls
                .push((micros(start), took.as_secs_f64() * 1e6));
        }
    }
    for track in &mut tracks {
        track.polls.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    // A wait begun during a poll lasts from the end of that poll to the start of the task's
    // next one: the time the task was suspended on it. Waits begun in the same poll share it.
    for (id, what, at) in &registry.waits {
        let Ok(i) = tracks.binary_search_by_key(id, |track| track.id) else {
            continue;
        };
        let track = &mut tracks[i];
        let at = micros(at);
        let Some(poll) = track.polls.iter().rposition(|poll| poll.0 <= at) else {
            continue;
        };
        let Some(next) = track.polls.get(poll + 1) else {
            continue; // never polled again: cancelled, or still waiting at the end
        };
        let (start, end) = (track.polls[poll].0 + track.polls[poll].1, next.0);
        match track.waits.iter_mut().find(|wait| wait.0 == start) {
            Some(wait) if wait.2.split(" + ").any(|known| known == *what) => {}
            Some(wait) => {
                wait.2.push_str(" + ");
                wait.2.push_str(what);
            }
            None => track.waits.push((start, end - start, what.to_string())),
        }
    }
    tracks.retain(|track| !track.polls.is_empty());
    let end = tracks
        .iter()
        .flat_map(|track| track.polls.iter().map(|(start, took)| start + took))
        .fold(0.0_f64, f64::max);
    let groups = registry
        .groups
        .iter()
        .filter(|group| tracks.iter().any(|track| track.group == Some(group.0)))
        .map(|(id, label, start, stop)| GroupSlice {
            id: *id,
            label: label.clone(),
            start: micros(start),
            // Still alive when the trace was written (Ctrl-C): up to the last poll recorded.
            end: stop.as_ref().map_or(end, micros).max(micros(start)),
        })
        .collect();
    (tracks, groups)
}

/// The process of a group's tracks in the trace: the group's id plus one (process 1 holds the
/// tasks of no group; ids start at 1).
fn group_pid(group: u64) -> u64 {
    group + 1
}

/// Chrome's trace-event format: a named thread (track) per task, a complete event per poll and
/// per wait; a process per group, with a `group` track whose one slice encloses its tasks.
fn to_json(tracks: &[Track], groups: &[GroupSlice]) -> String {
    let mut events = vec![
        "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":\"jobloop\"}}"
            .to_string(),
    ];
    for group in groups {
        let pid = group_pid(group.id);
        events.push(format!(
            "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{pid},\"args\":{{\"name\":{}}}}}",
            json_string(&format!("group {}", group.label))
        ));
        events.push(format!(
            "{{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":{pid},\"args\":{{\"sort_index\":{pid}}}}}"
        ));
        events.push(format!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{},\"args\":{{\"name\":\"group\"}}}}",
            group.id
        ));
        events.push(format!(
            "{{\"ph\":\"X\",\"name\":{},\"cat\":\"group\",\"pid\":{pid},\"tid\":{},\"ts\":{:.3},\"dur\":{:.3}}}",
            json_string(&group.label),
            group.id,
            group.start,
            group.end - group.start
        ));
    }
    for track in tracks {
        let pid = track.group.map_or(1, group_pid);
        events.push(format!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{},\"args\":{{\"name\":{}}}}}",
            track.id,
            json_string(&track.label)
        ));
        events.push(format!(
            "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{pid},\"tid\":{0},\"args\":{{\"sort_index\":{0}}}}}",
            track.id
        ));
        for (start, took) in &track.polls {
            events.push(format!(
                "{{\"ph\":\"X\",\"name\":\"poll\",\"cat\":\"poll\",\"pid\":{pid},\"tid\":{},\"ts\":{start:.3},\"dur\":{took:.3}}}",
                track.id
            ));
        }
        for (start, took, what) in &track.waits {
            events.push(format!(
                "{{\"ph\":\"X\",\"name\":{},\"cat\":\"wait\",\"pid\":{pid},\"tid\":{},\"ts\":{start:.3},\"dur\":{took:.3}}}",
                json_string(what),
                track.id
            ));
        }
    }
    format!(
        "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\"}}\n",
        events.join(",\n")
    )
}

/// The colour of a wait in the picture: orange for a timer, blue for a socket or pipe, grey
/// for a group.
fn wait_colour(what: &str) -> &'static str {
    if what.starts_with("sleep") {
        "#e8a33d"
    } else if what.starts_with("I/O") {
        "#4f86e8"
    } else {
        "#a3a9b8"
    }
}

/// A standalone SVG picture: a row per group (a shaded band over its start and end) followed by
/// the rows of its tasks; a row per task: a thin line from its first poll to its last, a block
/// per poll (at least a pixel wide), a thinner bar per wait; and a time axis.
fn to_svg(tracks: &[Track], groups: &[GroupSlice]) -> String {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 280.0;
    const PLOT: f64 = 640.0;
    const TOP: f64 = 48.0;
    enum Row<'a> {
        Group(&'a GroupSlice),
        Task(&'a Track),
    }
    // A group's row, then its tasks' rows; tasks of no group where they began. Ids count up
    // from one counter, so a group's key sorts it before its tasks, whenever they began.
    let mut rows: Vec<((u64, u8, u64), Row<'_>)> = groups
        .iter()
        .map(|group| ((group.id, 0, 0), Row::Group(group)))
        .chain(tracks.iter().map(|track| {
            let key = match track.group {
                Some(group) => (group, 1, track.id),
                None => (track.id, 0, 0),
            };
            (key, Row::Task(track))
        }))
        .collect();
    rows.sort_by_key(|(key, _)| *key);
    let end = tracks
        .iter()
        .flat_map(|track| track.polls.iter().map(|(start, took)| start + took))
        .chain(groups.iter().map(|group| group.end))
        .fold(1.0_f64, f64::max);
    let x = |micros: f64| LABEL + micros / end * PLOT;
    let height = TOP + ROW * rows.len() as f64 + 40.0;
    let width = LABEL + PLOT + 50.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-weight=\"bold\">jobloop timeline: a row per task, under its group</text>\n\
         <rect x=\"10\" y=\"27\" width=\"12\" height=\"10\" fill=\"#2a7\"/><text x=\"26\" y=\"36\">poll (running)</text>\n\
         <rect x=\"140\" y=\"29\" width=\"12\" height=\"6\" fill=\"#e8a33d\"/><text x=\"156\" y=\"36\">sleep</text>\n\
         <rect x=\"210\" y=\"29\" width=\"12\" height=\"6\" fill=\"#4f86e8\"/><text x=\"226\" y=\"36\">I/O (socket, pipe)</text>\n\
         <rect x=\"380\" y=\"29\" width=\"12\" height=\"6\" fill=\"#a3a9b8\"/><text x=\"396\" y=\"36\">awaiting a group</text>\n\
         <rect x=\"530\" y=\"27\" width=\"12\" height=\"10\" fill=\"#dde6f3\" stroke=\"#8aa\"/><text x=\"546\" y=\"36\">a group, from start to its last task's end</text>\n"
    );
    for (row, (_, item)) in rows.iter().enumerate() {
        let y = TOP + ROW * row as f64;
        match item {
            Row::Group(group) => {
                let label = shortened(&format!("group {}", group.label), 36);
                svg.push_str(&format!(
                    "<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\">{}</text>\n",
                    y + ROW * 0.65,
                    xml_escape(&label)
                ));
                svg.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#dde6f3\" stroke=\"#8aa\"><title>{}: {:.3} ms to {:.3} ms</title></rect>\n",
                    x(group.start),
                    y + 4.0,
                    ((group.end - group.start) / end * PLOT).max(1.5),
                    ROW - 8.0,
                    xml_escape(&group.label),
                    group.start / 1e3,
                    group.end / 1e3
                ));
            }
            Row::Task(track) => {
                let indent = if track.group.is_some() { "  " } else { "" };
                let label = shortened(&format!("{indent}{}", track.label), 38);
                svg.push_str(&format!(
                    "<text x=\"10\" y=\"{:.1}\" xml:space=\"preserve\">{}</text>\n",
                    y + ROW * 0.65,
                    xml_escape(&label)
                ));
                let first = track.polls.first().map_or(0.0, |poll| poll.0);
                let last = track.polls.last().map_or(0.0, |poll| poll.0 + poll.1);
                svg.push_str(&format!(
                    "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ab\" stroke-width=\"1\"/>\n",
                    x(first),
                    x(last),
                    y + ROW / 2.0,
                    y + ROW / 2.0
                ));
                for (start, took, what) in &track.waits {
                    svg.push_str(&format!(
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"6\" fill=\"{}\"><title>{} from {:.3} ms, {:.3} ms</title></rect>\n",
                        x(*start),
                        y + ROW / 2.0 - 3.0,
                        (took / end * PLOT).max(1.0),
                        wait_colour(what),
                        xml_escape(what),
                        start / 1e3,
                        took / 1e3
                    ));
                }
                for (start, took) in &track.polls {
                    svg.push_str(&format!(
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2a7\"><title>poll at {:.3} ms, {:.3} ms</title></rect>\n",
                        x(*start),
                        y + 4.0,
                        (took / end * PLOT).max(1.5),
                        ROW - 8.0,
                        start / 1e3,
                        took / 1e3
                    ));
                }
            }
        }
    }
    let axis = TOP + ROW * rows.len() as f64 + 8.0;
    svg.push_str(&format!(
        "<line x1=\"{LABEL}\" x2=\"{:.1}\" y1=\"{axis:.1}\" y2=\"{axis:.1}\" stroke=\"black\"/>\n",
        LABEL + PLOT
    ));
    for tick in 0..=4 {
        let micros = end * f64::from(tick) / 4.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.0} ms</text>\n",
            x(micros),
            axis + 18.0,
            micros / 1e3
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// `text`, cut to `most` characters with an ellipsis when it is longer.
fn shortened(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(most - 1).collect();
    cut.push('…');
    cut
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
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

#[cfg(test)]
mod tests {
    //! The trace's layout, from a registry filled by hand.

    use std::time::{Duration, Instant};

    use super::{to_svg, tracks, Registry};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A task `id` named `label`, in `group`, polled at `polls` (ms after `epoch`, 1 ms each).
    fn task(registry: &mut Registry, epoch: Instant, id: u64, group: Option<u64>, polls: &[u64]) {
        registry.names.push((id, format!("task{id}"), group));
        for at in polls {
            registry.slices.push((id, epoch + ms(*at), ms(1)));
        }
    }

    #[test]
    fn each_group_row_is_followed_by_its_own_tasks_whenever_they_began() {
        let epoch = Instant::now();
        let mut registry = Registry::default();
        registry
            .groups
            .push((1, "one".into(), epoch, Some(epoch + ms(50))));
        task(&mut registry, epoch, 2, Some(1), &[0, 10]);
        task(&mut registry, epoch, 3, None, &[1]);
        registry
            .groups
            .push((4, "four".into(), epoch + ms(2), Some(epoch + ms(40))));
        task(&mut registry, epoch, 5, Some(1), &[20, 30]); // a late task of group 1 (a refill)
        task(&mut registry, epoch, 6, Some(4), &[3]);
        let (tracks, groups) = tracks(&registry, epoch);
        let svg = to_svg(&tracks, &groups);
        let at = |text: &str| {
            svg.find(&format!(">{text}<"))
                .unwrap_or_else(|| panic!("{text}"))
        };
        let rows = [
            at("group one"),
            at("  task2"),
            at("  task5"),
            at("task3"),
            at("group four"),
            at("  task6"),
        ];
        assert!(
            rows.windows(2).all(|w| w[0] < w[1]),
            "rows out of order: {rows:?}"
        );
    }

    #[test]
    fn a_group_still_alive_when_the_trace_is_written_never_ends_before_it_starts() {
        let epoch = Instant::now();
        let mut registry = Registry::default();
        task(&mut registry, epoch, 1, None, &[0]);
        // Started after the last poll, still running at Ctrl-C: no end recorded.
        registry
            .groups
            .push((2, "late".into(), epoch + ms(30), None));
        task(&mut registry, epoch, 3, Some(2), &[5]);
        let (_, groups) = tracks(&registry, epoch);
        assert_eq!(groups.len(), 1);
        assert!(
            groups[0].end >= groups[0].start,
            "{} {}",
            groups[0].start,
            groups[0].end
        );
    }
}
