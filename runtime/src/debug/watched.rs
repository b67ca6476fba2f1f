//! Watched tasks: what debug mode knows of a task ([`Info`], its [`Name`]), the registry of the
//! spawned tasks alive and the polls running now, and [`Watched`], the wrapper that times each
//! poll of a task, reports a slow one, and records its slice and waits in the trace.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use super::trace::{GroupTrace, TaskTrace};
use super::tree::{self, Node, SleepWait};
use super::{debug_on, observing, threshold, trace_on};
use crate::context_var::Context as TaskContext;
use crate::wait_site::{polling_task, set_polling_task};

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
    /// The waker it is polled with in debug mode, made at its first poll.
    ready_mark: OnceLock<Arc<ReadyMark>>,
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

/// The waker a task watched in debug mode is polled with: tells the tree that the task is
/// ready, then wakes it.
struct ReadyMark {
    id: u64,
    waker: std::sync::Mutex<Waker>,
}

impl Wake for ReadyMark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        tree::woken(self.id);
        let waker = self
            .waker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        waker.wake();
    }
}

impl Info {
    /// The waker to poll the task with, waking `waker`: the same for every poll (so that
    /// `will_wake` holds across them), made at the first.
    fn ready_mark(&self, waker: &Waker) -> Waker {
        let mark = self.ready_mark.get_or_init(|| {
            Arc::new(ReadyMark {
                id: self.id,
                waker: std::sync::Mutex::new(waker.clone()),
            })
        });
        let mut inner = mark.waker.lock().unwrap_or_else(PoisonError::into_inner);
        if !inner.will_wake(waker) {
            inner.clone_from(waker);
        }
        drop(inner);
        Waker::from(mark.clone())
    }

    /// The task's node in the tree: a child of the task being polled on this thread.
    fn node(&self, group: Option<u64>) -> Node {
        let thread = std::thread::current();
        Node {
            parent: polling_task(),
            thread: thread.id(),
            thread_handle: thread,
            name: match &self.name {
                Name::Member(Some(name)) => name.clone(),
                _ => self.to_string(),
            },
            group,
            running: false,
            ready: false,
            woken_while_running: false,
            since: Instant::now(),
            waits: Vec::new(),
            sleep: None,
        }
    }

    /// Whether it was started with `spawn` or `spawn_named` (then it is listed when `main`
    /// returns before it finished).
    fn is_spawned(&self) -> bool {
        matches!(self.name, Name::Spawned | Name::Named(_))
    }

    /// The name on the task's track: its name and file:line, the file without its folders.
    fn label(&self) -> String {
        let place = super::short_place(self.location);
        match &self.name {
            Name::Spawned => format!("spawn ({place})"),
            Name::Named(name) => format!("{name} ({place})"),
            Name::Member(Some(name)) => format!("{name} ({place})"),
            Name::Member(None) => format!("task {} ({place})", self.id),
        }
    }
}

/// The registry of debug mode: the spawned tasks alive, the polls running now.
#[derive(Default)]
pub(super) struct Registry {
    /// Spawned tasks alive: (id, description).
    pub(super) spawned: Vec<(u64, String)>,
    /// Polls running: (id, description, start, reported, the task whose poll this one is
    /// nested in or 0: a `scoped` group's task is polled inside the task that awaits it).
    pub(super) polling: Vec<(u64, String, Instant, bool, u64)>,
}

thread_local! {
    /// The sleep the task being polled on this thread began in this poll (debug mode's tree).
    static SLEEP: std::cell::Cell<Option<SleepWait>> = const { std::cell::Cell::new(None) };
    /// What the task being polled on this thread began to wait on in this poll (the trace).
    static WAITS: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
    /// How long the polls of tasks nested in the poll going on took (a `scoped` group's tasks,
    /// polled inside the task that awaits the group): a slow poll is reported for the task that
    /// was slow, not again for the task around it.
    static NESTED: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::ZERO) };
}

/// Records, in the trace and the task tree, that the task being polled now suspends on `what`
/// (`sleep`, `I/O read`, ...): the trace shows a wait from the end of this poll to the start of
/// the task's next one. One load of a flag when neither debug mode nor the trace is on.
#[inline]
pub(crate) fn waiting(what: &'static str) {
    if observing_polls() {
        record_wait(what);
    }
}

/// How many waits the task being polled now has recorded in this poll (0 when neither debug
/// mode nor the trace is on): compared before and after a future's poll, whether that future
/// said what it waits on.
#[inline]
pub(crate) fn waits_recorded() -> usize {
    if !observing_polls() || polling_task() == 0 {
        return 0;
    }
    WAITS.try_with(|waits| waits.borrow().len()).unwrap_or(0)
}

/// [`waiting`] on a sleep made at `at`, which ends at `deadline`: the tree says where, and how
/// long is left.
#[inline]
pub(crate) fn sleeping(at: &'static Location<'static>, deadline: Option<Instant>) {
    if observing_polls() {
        record_wait("sleep");
        if debug_on() && polling_task() != 0 {
            let _ = SLEEP.try_with(|sleep| sleep.set(Some((at, deadline))));
        }
    }
}

/// Whether debug mode or the trace is on.
#[inline]
fn observing_polls() -> bool {
    trace_on() || debug_on()
}

fn record_wait(what: &'static str) {
    if polling_task() == 0 {
        return;
    }
    let _ = WAITS.try_with(|waits| {
        let mut waits = waits.borrow_mut();
        if !waits.contains(&what) {
            waits.push(what);
        }
    });
}

pub(super) fn registry() -> MutexGuard<'static, Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

pin_project_lite::pin_project! {
    /// A task's future, timed on each poll when debug mode or the trace is on, and polled in
    /// its own context (feature `context`: see `context_var.rs`).
    pub(crate) struct Watched<F> {
        #[pin]
        future: F,
        info: Option<Box<Info>>,
        context: TaskContext,
    }

    impl<F> PinnedDrop for Watched<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            // The future's destructors run in the task's context, put back after them (the
            // field after the future's).
            this.context.enter_for_drop();
            if let Some(info) = this.info {
                dropped(info);
            }
        }
    }
}

/// An observed task's future is dropped: out of the tree and the registry, in debug mode.
#[cold]
#[inline(never)]
fn dropped(info: &Info) {
    if debug_on() {
        tree::dropped(info.id);
        if info.is_spawned() {
            registry().spawned.retain(|(id, _)| *id != info.id);
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

    /// `future`, not watched (debug mode and the trace are off), polled in its own context.
    pub(crate) fn unwatched(future: F) -> Watched<F> {
        Watched {
            future,
            info: None,
            context: TaskContext::capture(),
        }
    }

    /// [`new`](Watched::new), placed at `location`, a task of `group` in the trace.
    pub(crate) fn at(
        future: F,
        name: impl FnOnce() -> Name,
        location: &'static Location<'static>,
        group: Option<&GroupTrace>,
    ) -> Watched<F> {
        let info = observing().then(|| {
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
            let id = super::next_id();
            let info = Info {
                id,
                name,
                location,
                _group: group.cloned(),
                trace: trace_on().then(|| TaskTrace::new(id, group)),
                ready_mark: OnceLock::new(),
                #[cfg(feature = "tracing")]
                span,
            };
            if debug_on() {
                tree::started(info.id, info.node(group.map(GroupTrace::id)));
                if info.is_spawned() {
                    registry().spawned.push((info.id, info.to_string()));
                }
            }
            Box::new(info)
        });
        Watched {
            future,
            info,
            context: TaskContext::capture(),
        }
    }
}

impl<F: Future> Future for Watched<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _context = this.context.enter();
        match this.info.as_deref() {
            // Not observed (a `scoped` group's task with debug mode and the trace off): the
            // future alone, inlined where the group polls it.
            None => this.future.poll(cx),
            Some(info) => poll_observed(this.future, info, cx),
        }
    }
}

/// A poll of an observed task: inside its span (feature `tracing`), timed, and in debug mode
/// registered as running (the watchdog, the tree) until it returns.
#[inline(never)]
fn poll_observed<F: Future>(
    future: Pin<&mut F>,
    info: &Info,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    #[cfg(feature = "tracing")]
    let _span = info.span.enter();
    let debug = debug_on();
    if !debug && info.trace.is_none() {
        return future.poll(cx); // only the span (feature `tracing`)
    }
    let start = Instant::now();
    if debug {
        registry()
            .polling
            .push((info.id, info.to_string(), start, false, polling_task()));
        tree::running(info.id, start);
    }
    // Unregistered however the poll ends, a panic included.
    let _done = PollDone {
        info,
        start,
        debug,
        outer: set_polling_task(info.id),
        outer_sleep: SLEEP.try_with(|sleep| sleep.take()).ok().flatten(),
        outer_waits: WAITS.try_with(|waits| waits.take()).unwrap_or_default(),
        outer_nested: NESTED.try_with(|nested| nested.take()).unwrap_or_default(),
    };
    let poll = if debug {
        // Through a waker that tells the tree when the task is woken (it is ready then).
        let waker = info.ready_mark(cx.waker());
        future.poll(&mut Context::from_waker(&waker))
    } else {
        future.poll(cx)
    };
    if debug && matches!(poll, Poll::Ready(_)) && info.is_spawned() {
        registry().spawned.retain(|(id, _)| *id != info.id);
    }
    poll
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
    /// The sleep that task began before this poll, given back to it after.
    outer_sleep: Option<SleepWait>,
    /// The time of the polls nested in that task's poll before this one, given back to it
    /// after, with this one's.
    outer_nested: Duration,
}

impl Drop for PollDone<'_> {
    fn drop(&mut self) {
        set_polling_task(self.outer);
        let waits = WAITS
            .try_with(|waits| waits.replace(std::mem::take(&mut self.outer_waits)))
            .unwrap_or_default();
        let took = self.start.elapsed();
        // Given back to the poll around this one, with this one's time; none is left once the
        // outermost poll ends.
        let for_outer = match self.outer {
            0 => Duration::ZERO,
            _ => self.outer_nested + took,
        };
        let nested = NESTED
            .try_with(|nested| nested.replace(for_outer))
            .unwrap_or_default();
        // This task's own time, without that of the polls nested in it.
        let own = took.saturating_sub(nested);
        if self.debug {
            registry().polling.retain(|(id, ..)| *id != self.info.id);
            let sleep = SLEEP
                .try_with(|sleep| sleep.replace(self.outer_sleep.take()))
                .ok()
                .flatten();
            tree::waiting(self.info.id, &waits, sleep);
        }
        if let Some(trace) = &self.info.trace {
            trace.polled(|| self.info.label(), self.start, took, waits);
        }
        if self.debug && own >= threshold() {
            eprintln!(
                "jobloop debug: {} held its thread for {own:.3?} in one poll (threshold \
                 {:?}): the other tasks of that thread waited meanwhile; move blocking work to \
                 `jobloop::to_thread`",
                self.info,
                threshold()
            );
        }
    }
}
