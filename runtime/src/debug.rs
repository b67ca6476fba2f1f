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
//! (`fetch(u)[3]`), a spawned task by where `spawn` was called (`src/main.rs:12:5`).
//!
//! `JOBLOOP_TRACE=trace.json` records a slice per poll of every task and writes, when the
//! program ends (also after Ctrl-C), a Chrome trace-event file: one track per task, named as
//! above, that ui.perfetto.dev and chrome://tracing open. `JOBLOOP_TRACE=timeline.svg` writes
//! the same as a standalone SVG picture, which a browser shows.
//!
//! When neither is on, a spawned task costs one load of an atomic flag when it starts, and a
//! group's task the same plus one branch per poll.
//!
//! With the feature `tracing`, every task's polls run inside a `tracing` span named `task`,
//! with the fields `task` (its name in its group, when it has one) and `spawned_at` (file:line),
//! so `tracing-subscriber` and the tools built on `tracing` see jobloop's tasks.
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

fn state() -> u8 {
    let state = STATE.load(Ordering::Relaxed);
    if state & CHECKED != 0 {
        return state;
    }
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

/// Whether debug mode or the trace is on (or the feature `tracing`): the tasks started now
/// are watched.
pub(crate) fn watching() -> bool {
    cfg!(feature = "tracing") || state() & (DEBUG | TRACE) != 0
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
    /// The span its polls run in (feature `tracing`).
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

/// A task's name, made only when it is shown.
pub(crate) enum Name {
    /// Started with `spawn`: named by where.
    Spawned,
    /// A group's task: its expression and index, as the group names it in `TaskError`s, when
    /// the group knows them.
    Member(Option<String>),
}

impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Name::Spawned => write!(f, "task spawned at {}", self.location),
            Name::Member(Some(name)) => {
                write!(f, "task `{name}` (started at {})", self.location)
            }
            Name::Member(None) => write!(f, "a group's task started at {}", self.location),
        }
    }
}

impl Info {
    /// The name on the task's track: its name and file:line, the file without its folders.
    fn label(&self) -> String {
        let file = self.location.file();
        let file = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let place = format!("{file}:{}", self.location.line());
        match &self.name {
            Name::Spawned => format!("spawn ({place})"),
            Name::Member(Some(name)) => format!("{name} ({place})"),
            Name::Member(None) => format!("task {} ({place})", self.id),
        }
    }
}

/// The registry: the tasks watched and alive, the polls running now, the trace.
#[derive(Default)]
struct Registry {
    /// Spawned tasks alive: (id, description).
    spawned: Vec<(u64, String)>,
    /// Polls running: (id, description, start, reported).
    polling: Vec<(u64, String, Instant, bool)>,
    /// Trace: task names by id, and slices (id, start, duration).
    names: Vec<(u64, String)>,
    slices: Vec<(u64, Instant, Duration)>,
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
                if matches!(info.name, Name::Spawned) && debug_on() {
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
        Watched::at(future, name, Location::caller())
    }

    /// [`new`](Watched::new), placed at `location`.
    pub(crate) fn at(
        future: F,
        name: impl FnOnce() -> Name,
        location: &'static Location<'static>,
    ) -> Watched<F> {
        let info = watching().then(|| {
            let name = name();
            #[cfg(feature = "tracing")]
            let span = match &name {
                Name::Spawned => tracing::info_span!("task", spawned_at = %location),
                Name::Member(Some(task)) => {
                    tracing::info_span!("task", task = %task, spawned_at = %location)
                }
                Name::Member(None) => tracing::info_span!("task", spawned_at = %location),
            };
            let info = Info {
                id: next_id(),
                name,
                location,
                #[cfg(feature = "tracing")]
                span,
            };
            let (debug, trace) = (debug_on(), trace_on());
            if debug && matches!(info.name, Name::Spawned) {
                registry().spawned.push((info.id, info.to_string()));
            }
            if trace {
                let _ = epoch();
                registry().names.push((info.id, info.label()));
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
        let _done = PollDone { info, start, debug };
        let poll = this.future.poll(cx);
        if debug && matches!(poll, Poll::Ready(_)) && matches!(info.name, Name::Spawned) {
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
}

impl Drop for PollDone<'_> {
    fn drop(&mut self) {
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
    let tracks = tracks(&registry, epoch());
    drop(registry);
    let svg = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("svg"));
    let text = if svg {
        to_svg(&tracks)
    } else {
        to_json(&tracks)
    };
    let written = std::fs::File::create(&path).and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(error) = written {
        eprintln!(
            "jobloop: could not write the trace to {}: {error}",
            path.display()
        );
    }
}

/// One task's track: its id, label, and its polls as (start, duration) in microseconds since
/// the trace began.
struct Track {
    id: u64,
    label: String,
    polls: Vec<(f64, f64)>,
}

fn tracks(registry: &Registry, epoch: Instant) -> Vec<Track> {
    let mut tracks: Vec<Track> = registry
        .names
        .iter()
        .map(|(id, label)| Track {
            id: *id,
            label: label.clone(),
            polls: Vec::new(),
        })
        .collect();
    // Ids count up as tasks start; threads may have registered them out of order.
    tracks.sort_by_key(|track| track.id);
    for (id, start, took) in &registry.slices {
        if let Ok(i) = tracks.binary_search_by_key(id, |track| track.id) {
            let start = start.saturating_duration_since(epoch).as_secs_f64() * 1e6;
            tracks[i].polls.push((start, took.as_secs_f64() * 1e6));
        }
    }
    tracks.retain(|track| !track.polls.is_empty());
    tracks
}

/// Chrome's trace-event format: a named thread (track) per task, a complete event per poll.
fn to_json(tracks: &[Track]) -> String {
    let mut events = Vec::new();
    for track in tracks {
        events.push(format!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":{},\"args\":{{\"name\":{}}}}}",
            track.id,
            json_string(&track.label)
        ));
        for (start, took) in &track.polls {
            events.push(format!(
                "{{\"ph\":\"X\",\"name\":\"poll\",\"cat\":\"poll\",\"pid\":1,\"tid\":{},\"ts\":{start:.3},\"dur\":{took:.3}}}",
                track.id
            ));
        }
    }
    format!(
        "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\"}}\n",
        events.join(",\n")
    )
}

/// A standalone SVG picture: a row per task, a thin line from its first poll to its last (the
/// time it was alive, mostly waiting), a block per poll (at least a pixel wide), and a time
/// axis.
fn to_svg(tracks: &[Track]) -> String {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 260.0;
    const PLOT: f64 = 640.0;
    const TOP: f64 = 30.0;
    let end = tracks
        .iter()
        .flat_map(|track| track.polls.iter().map(|(start, took)| start + took))
        .fold(1.0_f64, f64::max);
    let x = |micros: f64| LABEL + micros / end * PLOT;
    let height = TOP + ROW * tracks.len() as f64 + 40.0;
    let width = LABEL + PLOT + 50.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-weight=\"bold\">jobloop timeline: a row per task; a block per poll (running), a line while it waits</text>\n"
    );
    for (row, track) in tracks.iter().enumerate() {
        let y = TOP + ROW * row as f64;
        let label: String = track.label.chars().take(36).collect();
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{:.1}\">{}</text>\n",
            y + ROW * 0.65,
            xml_escape(&label)
        ));
        let first = track.polls.first().map_or(0.0, |poll| poll.0);
        let last = track.polls.last().map_or(0.0, |poll| poll.0 + poll.1);
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ab\" stroke-width=\"2\"/>\n",
            x(first),
            x(last),
            y + ROW / 2.0,
            y + ROW / 2.0
        ));
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
    let axis = TOP + ROW * tracks.len() as f64 + 8.0;
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
