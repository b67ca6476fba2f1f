//! The timeline trace (`JOBLOOP_TRACE`): the polls of every watched task, its waits between
//! them, and the groups, recorded as they happen into the trace's sink: a Chrome trace-event
//! file written as the program runs (`chrome_json.rs`), or an SVG picture drawn at checkpoints
//! from bounded records (`svg.rs`).
//!
//! The file is made when the trace is switched on (at the first use of debug mode's switches,
//! which `#[job_main]` makes at start-up): a path that cannot be written is an error then, not
//! after the program's work. What was recorded is written at each checkpoint: when a runtime's
//! `block_on` ends (by a return, an `Err`, a panic unwinding through it, or, with the feature
//! `signal`, a cancellation on Ctrl-C or SIGTERM) and before a second signal exits at once; the Chrome file is also written
//! (and complete) each time its buffer fills.
//!
//! A wait begun during a poll lasts from the end of that poll to the start of the task's next
//! one: the time the task was suspended on it (waits begun in the same poll share it). So a
//! task's waits are written with its next poll; a task that is never polled again (cancelled,
//! or still waiting at the end) has no last wait.

use std::cell::{Cell, RefCell};
use std::io;
use std::panic::Location;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use super::chrome_json::JsonFile;
use super::svg::Picture;

/// Where the trace goes.
enum Sink {
    Json(JsonFile),
    Svg(Picture),
}

/// The events of the trace, to whichever sink it has (times in µs since it began).
impl Sink {
    fn task(&mut self, id: u64, label: &str, group: Option<u64>) {
        match self {
            Sink::Json(file) => file.task(id, label, group),
            Sink::Svg(picture) => picture.task(id, label, group),
        }
    }

    fn poll(&mut self, id: u64, group: Option<u64>, start: f64, took: f64) {
        match self {
            Sink::Json(file) => file.poll(id, group, start, took),
            Sink::Svg(picture) => picture.poll(id, start, took),
        }
    }

    fn wait(&mut self, id: u64, group: Option<u64>, start: f64, took: f64, what: &str) {
        match self {
            Sink::Json(file) => file.wait(id, group, start, took, what),
            Sink::Svg(picture) => picture.wait(id, start, took, what),
        }
    }

    fn group_started(&mut self, id: u64, label: &str, start: f64) {
        match self {
            Sink::Json(file) => file.group_started(id, label, start),
            Sink::Svg(picture) => picture.group_started(id, label, start),
        }
    }

    fn group_ended(&mut self, id: u64, end: f64) {
        match self {
            Sink::Json(file) => file.group_ended(id, end),
            Sink::Svg(picture) => picture.group_ended(id, end),
        }
    }

    fn checkpoint(&mut self) -> io::Result<()> {
        match self {
            Sink::Json(file) => file.checkpoint(),
            Sink::Svg(picture) => picture.checkpoint(),
        }
    }
}

static SINK: Mutex<Option<Sink>> = Mutex::new(None);

fn sink() -> MutexGuard<'static, Option<Sink>> {
    SINK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// When the trace began: its file was made.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Microseconds from the trace's beginning to `at`.
fn micros(at: Instant) -> f64 {
    at.saturating_duration_since(epoch()).as_secs_f64() * 1e6
}

/// Makes the trace's file at `path`: an SVG picture when the name ends in `.svg`, a Chrome
/// trace-event file otherwise.
pub(super) fn open(path: PathBuf) -> io::Result<()> {
    let _ = epoch();
    let svg = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("svg"));
    let made = if svg {
        Sink::Svg(Picture::create(path)?)
    } else {
        Sink::Json(JsonFile::create(&path, epoch())?)
    };
    *sink() = Some(made);
    Ok(())
}

/// Makes the file complete with what was recorded so far (see the module).
pub(crate) fn checkpoint() {
    let mut sink = sink();
    checkpoint_locked(&mut sink);
}

/// [`checkpoint`] unless another thread is writing the trace now: before an exit from the
/// signal thread, which must not wait for a thread that the exit stops.
#[cfg(feature = "signal")]
pub(crate) fn try_checkpoint() {
    if let Ok(mut sink) = SINK.try_lock() {
        checkpoint_locked(&mut sink);
    }
}

fn checkpoint_locked(sink: &mut Option<Sink>) {
    let Some(written) = sink.as_mut().map(Sink::checkpoint) else {
        return;
    };
    if let Err(error) = written {
        eprintln!("jobloop: could not write the trace (JOBLOOP_TRACE): {error}");
        // Once: a file that failed stays failed.
        *sink = None;
    }
}

/// What the trace knows of a watched task.
pub(crate) struct TaskTrace {
    id: u64,
    group: Option<u64>,
    /// Whether its track was named (at its first poll: a task never polled has none).
    named: Cell<bool>,
    /// The waits begun in its last poll, and when that poll ended.
    waits: RefCell<Option<(Instant, Vec<&'static str>)>>,
}

impl TaskTrace {
    pub(crate) fn new(id: u64, group: Option<&GroupTrace>) -> TaskTrace {
        TaskTrace {
            id,
            group: group.filter(|group| group.0.traced).map(GroupTrace::id),
            named: Cell::new(false),
            waits: RefCell::new(None),
        }
    }

    /// A poll of this task ended: its track's name the first time (`label`), the wait since
    /// its last poll, the poll, and the waits begun in it.
    pub(crate) fn polled(
        &self,
        label: impl FnOnce() -> String,
        start: Instant,
        took: Duration,
        waits: Vec<&'static str>,
    ) {
        let (id, group) = (self.id, self.group);
        let label = (!self.named.replace(true)).then(label);
        let waited = std::mem::replace(
            &mut *self.waits.borrow_mut(),
            (!waits.is_empty()).then(|| (start + took, waits)),
        );
        let mut sink = sink();
        let Some(sink) = sink.as_mut() else {
            return;
        };
        if let Some(label) = &label {
            sink.task(id, label, group);
        }
        if let Some((since, what)) = &waited {
            let took = start.saturating_duration_since(*since).as_secs_f64() * 1e6;
            sink.wait(id, group, micros(*since), took, &what.join(" + "));
        }
        sink.poll(id, group, micros(start), took.as_secs_f64() * 1e6);
    }
}

/// A group in the trace and in debug mode's task tree: made when the group starts (only while
/// one of them is on), shared by its tasks; when the last of them is gone, the group's slice
/// ends and it leaves the tree.
#[derive(Clone)]
pub(crate) struct GroupTrace(std::sync::Arc<GroupRecord>);

struct GroupRecord {
    id: u64,
    /// Whether the trace records it (else only the tree).
    traced: bool,
    /// Whether the tree has it.
    in_tree: bool,
}

impl GroupTrace {
    /// The trace's record of a group labelled `label()` that starts now at `location`; `None`
    /// when the trace is off (then `label` is not called).
    pub(crate) fn start(
        label: impl FnOnce() -> String,
        location: &'static Location<'static>,
    ) -> Option<GroupTrace> {
        let (traced, in_tree) = (super::trace_on(), super::debug_on());
        if !traced && !in_tree {
            return None;
        }
        let id = super::next_id();
        let label = label();
        if in_tree {
            super::tree::group_started(id, label.clone(), location);
        }
        if traced {
            let label = format!("{label} ({})", super::short_place(location));
            let start = micros(Instant::now());
            if let Some(sink) = sink().as_mut() {
                sink.group_started(id, &label, start);
            }
        }
        Some(GroupTrace(std::sync::Arc::new(GroupRecord {
            id,
            traced,
            in_tree,
        })))
    }

    pub(super) fn id(&self) -> u64 {
        self.0.id
    }

    /// The task being polled now awaits the group: the tree draws the group under it.
    pub(crate) fn awaited(&self) {
        if self.0.in_tree {
            super::tree::group_awaited(self.0.id);
        }
    }
}

impl Drop for GroupRecord {
    fn drop(&mut self) {
        if self.in_tree {
            super::tree::group_ended(self.id);
        }
        if !self.traced {
            return;
        }
        let end = micros(Instant::now());
        if let Some(sink) = sink().as_mut() {
            sink.group_ended(self.id, end);
        }
    }
}
