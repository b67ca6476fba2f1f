//! Ctrl-C and SIGTERM. [`run_main`] (what `#[job_main]` runs) cancels the main future on the
//! first signal, so that every group is dropped and every task's destructor runs, then exits
//! with 130 (SIGINT) or 143 (SIGTERM), as `asyncio.run` does after a `KeyboardInterrupt`; a
//! second signal during that cleanup exits at once, as does a signal after the main future
//! returned, while the runtime drops the tasks left. [`ctrl_c`] and [`terminate`] let
//! a program take a signal itself, as asyncio's `loop.add_signal_handler` does: from the call of
//! one until its future ends or is dropped, its signal ends that wait instead.
//!
//! The signals are caught by signal-hook on a thread of their own (started at the first use),
//! which wakes the runtime: nothing runs inside the signal handler but signal-hook's own
//! async-signal-safe code. On Windows only Ctrl-C is caught (as SIGINT).

use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use signal_hook::consts::SIGINT;
#[cfg(not(windows))]
use signal_hook::consts::{SIGQUIT, SIGTERM};

use crate::Runtime;

/// What the signal thread shares with the program.
struct Signals {
    /// The tasks waiting in [`ctrl_c`] (SIGINT).
    int: Listeners,
    /// The tasks waiting in [`terminate`] (SIGTERM).
    #[cfg(not(windows))]
    term: Listeners,
    /// Whether [`run_main`] runs: then the first other signal cancels its future.
    main_armed: AtomicBool,
    /// The signal that interrupted the main future, 0 before one did, [`MAIN_RETURNED`] once it
    /// returned.
    interrupted: AtomicI32,
    main: AtomicWaker,
}

/// The tasks waiting for one signal, and the signals that went to them.
///
/// A signal that comes while tasks wait goes to all of them (each one's wait ends); if every one
/// of them is dropped before it looks (a race another task won in that very turn, a timeout), the
/// signal does what it does when no task waits ([`unheard`]): it is not lost (two or more such
/// signals act as two: a cancel, then an exit at once).
struct Listeners {
    /// SIGINT or SIGTERM.
    signal: i32,
    deliveries: Mutex<Deliveries>,
    event: event_listener::Event,
    /// The signal was ignored when the process started (the parent's choice): one that no task
    /// waits for is ignored too, never cancelling the main future.
    ignored_at_start: AtomicBool,
}

/// Who waits for a signal, and what came to them (under [`Listeners`]' lock: signals are rare).
struct Deliveries {
    /// How many tasks wait: while one does, the signal goes to them, not to the main future.
    waiting: usize,
    /// How many times the signal went to waiting tasks.
    count: usize,
    /// How many of the tasks that waited when it last came still wait.
    owed: usize,
    /// How many signals came since a task's wait last ended on one.
    unseen: usize,
}

impl Listeners {
    const fn new(signal: i32) -> Listeners {
        Listeners {
            signal,
            deliveries: Mutex::new(Deliveries {
                waiting: 0,
                count: 0,
                owed: 0,
                unseen: 0,
            }),
            event: event_listener::Event::new(),
            ignored_at_start: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Deliveries> {
        self.deliveries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands the signal to the waiting tasks, if any wait: whether it did.
    fn deliver(&self) -> bool {
        {
            let mut deliveries = self.lock();
            if deliveries.waiting == 0 {
                return false;
            }
            deliveries.count += 1;
            deliveries.owed = deliveries.waiting;
            deliveries.unseen += 1;
        }
        self.event.notify(usize::MAX);
        true
    }

    /// Counts a wait for the next signal that comes to these listeners, from now on: a signal
    /// that comes before the wait is first polled ends it too (as asyncio's
    /// `add_signal_handler` catches from its call on).
    fn register(&'static self) -> Waiting {
        let mut deliveries = self.lock();
        deliveries.waiting += 1;
        Waiting {
            listeners: self,
            since: deliveries.count,
            done: false,
        }
    }
}

/// One task's wait for a signal, from its call until it ends on a signal or is dropped.
struct Waiting {
    listeners: &'static Listeners,
    /// The deliveries' count when the wait began: a signal after that ends it.
    since: usize,
    /// The wait is over and counted out: on a signal, or dropped.
    done: bool,
}

impl Waiting {
    /// Waits until a signal came to this wait.
    async fn wait(mut self) {
        // The signal comes from the signal thread: the loop counts it as a way to wake.
        let _in_flight = crate::deadlock::InFlight::new();
        let listeners = self.listeners;
        loop {
            // Listening, then checked again: a signal in between is not missed. A listener
            // dropped with this future (a timeout, a cancelled task) leaves the list at once.
            let listener = listeners.event.listen();
            {
                let mut deliveries = listeners.lock();
                if deliveries.count != self.since {
                    // Counted out under the same lock that saw the signal: one that comes
                    // after this finds one task fewer waiting.
                    self.leave(&mut deliveries);
                    deliveries.unseen = 0;
                    return;
                }
            }
            listener.await;
        }
    }

    /// Counts this wait out: whether a signal came to it while it waited.
    fn leave(&mut self, deliveries: &mut Deliveries) -> bool {
        self.done = true;
        deliveries.waiting -= 1;
        let came = deliveries.count != self.since;
        if came {
            deliveries.owed = deliveries.owed.saturating_sub(1);
        }
        came
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let unheard_signals = {
            let mut deliveries = self.listeners.lock();
            if self.leave(&mut deliveries) && deliveries.owed == 0 {
                // Every task the last one came to is gone, and none saw it.
                std::mem::take(&mut deliveries.unseen)
            } else {
                0
            }
        };
        // Two at the most: the first cancels main, the second exits at once.
        for _ in 0..unheard_signals.min(2) {
            unheard(self.listeners.signal);
        }
    }
}

static SIGNALS: Signals = Signals {
    int: Listeners::new(SIGINT),
    #[cfg(not(windows))]
    term: Listeners::new(SIGTERM),
    main_armed: AtomicBool::new(false),
    interrupted: AtomicI32::new(0),
    main: AtomicWaker::new(),
};

/// Starts catching the signals, once; the error of that first start is kept.
fn install() -> io::Result<&'static Signals> {
    static INSTALLED: OnceLock<Result<(), (io::ErrorKind, String)>> = OnceLock::new();
    match INSTALLED.get_or_init(|| catch().map_err(|error| (error.kind(), error.to_string()))) {
        Ok(()) => Ok(&SIGNALS),
        Err((kind, message)) => Err(io::Error::new(*kind, message.clone())),
    }
}

#[cfg(not(windows))]
fn catch() -> io::Result<()> {
    // As CPython: a signal the parent set to "ignored" (`cmd &` in a script, `trap '' INT`)
    // stays ignored; only those at their default are caught.
    let mut caught = Vec::with_capacity(2);
    for (signal, listeners) in [(SIGINT, &SIGNALS.int), (SIGTERM, &SIGNALS.term)] {
        let ignored = ignored_at_start(signal);
        listeners.ignored_at_start.store(ignored, Ordering::Release);
        if !ignored {
            caught.push(signal);
        }
    }
    let mut signals = signal_hook::iterator::Signals::new(caught)?;
    let _ = HANDLE.set(signals.handle());
    std::thread::Builder::new()
        .name("jobloop-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                received(signal);
            }
        })?;
    Ok(())
}

/// The signal thread's handle, to catch SIGINT or SIGTERM later when it was ignored at start.
#[cfg(not(windows))]
static HANDLE: OnceLock<signal_hook::iterator::Handle> = OnceLock::new();

/// Whether `signal`'s disposition is "ignored" now (inherited from the parent: nothing in the
/// process has set it before jobloop looks).
#[cfg(not(windows))]
fn ignored_at_start(signal: i32) -> bool {
    // SAFETY: with a null new action, `sigaction` only writes the current action of `signal`
    // into `current`, a plain C struct owned by this frame, for which all zero bytes are a valid
    // value; `signal` is SIGINT, SIGTERM or SIGQUIT, valid signal numbers. Neither std nor signal-hook
    // reads a signal's disposition without changing it.
    #[allow(unsafe_code)]
    let (result, current) = unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        let result = libc::sigaction(signal, std::ptr::null(), &mut current);
        (result, current)
    };
    result == 0 && current.sa_sigaction == libc::SIG_IGN
}

/// [`ctrl_c`] or [`terminate`] asks for `signal` explicitly (as asyncio's
/// `add_signal_handler`): caught from now on even where the parent had it ignored.
#[cfg(not(windows))]
fn catch_asked(signal: i32, listeners: &Listeners) -> io::Result<()> {
    if !listeners.ignored_at_start.load(Ordering::Acquire) {
        return Ok(());
    }
    catch_later(signal)
}

/// Catches `signal` from now on, on the signal thread (started by [`install`]).
#[cfg(not(windows))]
fn catch_later(signal: i32) -> io::Result<()> {
    match HANDLE.get() {
        Some(handle) => handle.add_signal(signal),
        None => Ok(()),
    }
}

#[cfg(windows)]
fn catch_asked(_: i32, _: &Listeners) -> io::Result<()> {
    Ok(())
}

/// Under `#[job_main]`, SIGQUIT (Ctrl-\\, `kill -QUIT`) prints the task tree to stderr and the
/// program goes on, as the JVM prints its threads; unless the parent set it to ignored.
#[cfg(not(windows))]
fn catch_sigquit() -> io::Result<()> {
    if ignored_at_start(SIGQUIT) {
        return Ok(());
    }
    catch_later(SIGQUIT)
}

#[cfg(windows)]
fn catch_sigquit() -> io::Result<()> {
    Ok(())
}

#[cfg(windows)]
fn catch() -> io::Result<()> {
    use std::sync::Arc;
    // signal-hook has no signal iterator on Windows: a flag, looked at every 20 ms.
    let flag = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(SIGINT, flag.clone())?;
    std::thread::Builder::new()
        .name("jobloop-signals".into())
        .spawn(move || loop {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if flag.swap(false, Ordering::AcqRel) {
                received(SIGINT);
            }
        })?;
    Ok(())
}

impl Signals {
    /// The tasks that may wait for `signal`.
    fn listeners(&self, signal: i32) -> Option<&Listeners> {
        #[cfg(not(windows))]
        if signal == SIGTERM {
            return Some(&self.term);
        }
        (signal == SIGINT).then_some(&self.int)
    }
}

/// [`Signals::interrupted`] once the main future returned: a signal from then on, while the
/// runtime drops the tasks left, has no main future to cancel and exits at once.
const MAIN_RETURNED: i32 = -1;

/// A signal arrived (on the signal thread).
fn received(signal: i32) {
    #[cfg(not(windows))]
    if signal == SIGQUIT {
        if crate::debug::is_enabled() {
            eprintln!("jobloop: SIGQUIT: {}", crate::debug::task_tree());
        } else {
            // The tree is debug mode's: on from now on, for the tasks started from now on.
            crate::debug::enable();
            eprintln!(
                "jobloop: SIGQUIT: the task tree is kept in debug mode, which was off: it is on \
                 now (its slow-poll reports too), and the tasks started from now on are in the \
                 tree; send SIGQUIT again to see it (JOBLOOP_DEBUG=1 keeps every task from the \
                 start)"
            );
        }
        return;
    }
    // After main returned, a task left that waits for the signal is being dropped, never to
    // look: the signal goes straight to the exit.
    let main_returned = SIGNALS.interrupted.load(Ordering::Acquire) == MAIN_RETURNED;
    if let (Some(listeners), false) = (SIGNALS.listeners(signal), main_returned) {
        if listeners.deliver() {
            return;
        }
    }
    unheard(signal);
}

/// A signal that no task took: no task waited for it, or every one it came to was dropped
/// before it looked. It cancels the main future of [`run_main`] (or, during that cancel, exits
/// at once); without one, it does what the signal does by default.
fn unheard(signal: i32) {
    let signals = &SIGNALS;
    if let Some(listeners) = signals.listeners(signal) {
        if listeners.ignored_at_start.load(Ordering::Acquire) {
            // Caught only for `ctrl_c` or `terminate`, which nobody awaits now: ignored, as
            // the parent wanted.
            return;
        }
    }
    if signals.main_armed.load(Ordering::Acquire) {
        if signals
            .interrupted
            .compare_exchange(0, signal, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            signals.main.wake();
            return;
        }
        eprintln!(
            "jobloop: {}: exiting now, before the cleanup ended",
            name(signal)
        );
        crate::debug::trace_checkpoint_before_exit();
        std::process::exit(exit_code(signal));
    }
    // Nobody takes it: what the signal does by default.
    default_action(signal);
}

#[cfg(not(windows))]
fn default_action(signal: i32) {
    if signal_hook::low_level::emulate_default_handler(signal).is_err() {
        std::process::exit(exit_code(signal));
    }
}

#[cfg(windows)]
fn default_action(signal: i32) {
    std::process::exit(exit_code(signal));
}

/// The exit status a shell expects after `signal`: 128 + its number (130 for SIGINT).
fn exit_code(signal: i32) -> i32 {
    128 + signal
}

fn name(signal: i32) -> &'static str {
    #[cfg(not(windows))]
    if signal == SIGTERM {
        return "SIGTERM";
    }
    if signal == SIGINT {
        "Ctrl-C (SIGINT)"
    } else {
        "a signal"
    }
}

/// Waits for the next Ctrl-C (SIGINT). From the call on (not from the first poll: make it before
/// the program says it is ready) until the future ends or is dropped, Ctrl-C ends this wait instead
/// of cancelling the program's main future: a server can stop accepting and finish what it started;
/// the wait takes one Ctrl-C (call again to take the next); a Ctrl-C after every such task returned
/// cancels the main future as usual (see [`run_main`]), and so does one whose every waiting task
/// was dropped before it looked (a race's loser when another task won in that very turn, a
/// timeout): none is lost. asyncio's `loop.add_signal_handler(signal.SIGINT, ...)`: like it,
/// `ctrl_c` catches Ctrl-C even in a process whose parent set SIGINT to ignored, which [`run_main`]
/// does not (see there).
///
/// # Errors
///
/// When the signal cannot be caught (the first call starts a thread that catches it).
///
/// ```no_run
/// # jobloop_runtime::EventLoop::new().block_on(async {
/// jobloop_runtime::signal::ctrl_c().await.expect("Ctrl-C can be caught");
/// println!("Ctrl-C: finishing the requests in flight");
/// # });
/// ```
#[track_caller]
pub fn ctrl_c() -> impl Future<Output = io::Result<()>> {
    let waiting = install().and_then(|signals| {
        catch_asked(SIGINT, &signals.int)?;
        Ok(signals.int.register())
    });
    crate::wait_site::sited("signal::ctrl_c", async move {
        waiting?.wait().await;
        Ok(())
    })
}

/// Waits for the next SIGTERM, what `kill PID`, systemd, Docker and Kubernetes send to stop a
/// service. From the call on (not from the first poll: make it before the program says it is ready)
/// until the future ends or is dropped, SIGTERM ends this wait instead of cancelling the program's
/// main future, so a server can stop accepting, finish the requests in flight (within a grace of
/// its own, say) and exit 0; a SIGTERM after every such task returned cancels the main future as
/// usual (see [`run_main`]), and so does one whose every waiting task was dropped before it looked.
/// asyncio's `loop.add_signal_handler(signal.SIGTERM, ...)`: like it, `terminate` catches SIGTERM
/// even in a process whose parent set it to ignored. Ctrl-C is apart: see [`ctrl_c`]. Windows has
/// no SIGTERM: there the wait never ends.
///
/// # Errors
///
/// When the signal cannot be caught (the first call starts a thread that catches it).
///
/// ```no_run
/// # jobloop_runtime::EventLoop::new().block_on(async {
/// jobloop_runtime::signal::terminate().await.expect("SIGTERM can be caught");
/// println!("SIGTERM: finishing the requests in flight");
/// # });
/// ```
///
/// With `tasks![]`, serving until SIGTERM is a race whose loser, the server, is cancelled:
/// `tasks![race, scoped; serve(&listener), jobloop::signal::terminate()].await`, both
/// `io::Result<()>`.
#[track_caller]
pub fn terminate() -> impl Future<Output = io::Result<()>> {
    #[cfg(not(windows))]
    let waiting = install().and_then(|signals| {
        catch_asked(SIGTERM, &signals.term)?;
        Ok(signals.term.register())
    });
    // Windows sends no SIGTERM: the wait never ends, so a program that also waits for Ctrl-C
    // is the same on every system.
    #[cfg(windows)]
    let waiting = install().map(|_| ());
    crate::wait_site::sited("signal::terminate", async move {
        #[cfg(not(windows))]
        waiting?.wait().await;
        #[cfg(windows)]
        {
            waiting?;
            // A wait for a signal, as on unix: not taken for a deadlock.
            let _in_flight = crate::deadlock::InFlight::new();
            std::future::pending::<()>().await;
        }
        Ok(())
    })
}

/// Runs `main` on `runtime` as `#[job_main]` does: on the first Ctrl-C (SIGINT) or SIGTERM, `main`
/// is cancelled (dropped, with every group and task beneath it: their destructors run), then the
/// runtime is dropped (and the tasks left on it), one line goes to stderr, and the process exits
/// with 130 (SIGINT) or 143 (SIGTERM). A second signal during that cleanup exits at once, and so
/// does a signal after `main` returned, while the runtime drops the tasks left.
/// `#[job_main(signals = false)]` runs `main` without this, for programs that handle signals
/// themselves.
///
/// # Panics
///
/// Before `main` starts, when `JOBLOOP_TRACE` names a file that cannot be written.
///
/// When the signals cannot be caught, `main` runs without this, after a line on stderr. A
/// signal that the parent process set to "ignored" (a shell's `cmd &`, `trap '' INT`)
/// stays ignored, as in CPython, which installs its `KeyboardInterrupt` handler only when SIGINT
/// is at its default.
///
/// ```no_run
/// use jobloop_runtime::{signal, sleep, EventLoop};
/// use std::time::Duration;
///
/// // What `#[job_main] async fn main() { .. }` writes.
/// fn main() {
///     signal::run_main(EventLoop::new(), async {
///         sleep(Duration::from_secs(30)).await; // Ctrl-C: cancelled here, exit status 130
///     })
/// }
/// ```
#[track_caller]
pub fn run_main<R: Runtime, F: Future>(runtime: R, main: F) -> F::Output {
    crate::debug::start_up();
    let signals = match install() {
        Ok(signals) => signals,
        Err(error) => {
            eprintln!("jobloop: Ctrl-C and SIGTERM will not cancel the program: {error}");
            return runtime.run(main);
        }
    };
    // Nothing from an earlier `run_main` of this process.
    signals.interrupted.store(0, Ordering::Release);
    signals.main_armed.store(true, Ordering::Release);
    if crate::debug::debug_on() && signals.int.ignored_at_start.load(Ordering::Acquire) {
        // Said in debug mode only: a program started with `&` from a script is a common way
        // to be puzzled by a Ctrl-C (or `kill -INT`) that does nothing.
        eprintln!(
            "jobloop: SIGINT was set to ignored by the parent process (`cmd &` in a script, \
             `trap '' INT`): Ctrl-C will not cancel main, as in Python; \
             `jobloop::signal::ctrl_c()` still catches it"
        );
    }
    if let Err(error) = catch_sigquit() {
        eprintln!("jobloop: SIGQUIT will not print the task tree: {error}");
    }
    let outcome = runtime.run(Interruptible {
        main: Some(main),
        signals,
    });
    match outcome {
        Ok(output) => {
            signals.main_armed.store(false, Ordering::Release);
            // Ready for another `run_main` in this process.
            signals.interrupted.store(0, Ordering::Release);
            output
        }
        Err(signal) => {
            eprintln!(
                "jobloop: {}: cancelled the main task and every task beneath it",
                name(signal)
            );
            std::process::exit(exit_code(signal));
        }
    }
}

pin_project_lite::pin_project! {
    /// The main future, dropped when a signal comes.
    struct Interruptible<F> {
        #[pin]
        main: Option<F>,
        signals: &'static Signals,
    }
}

impl<F: Future> Future for Interruptible<F> {
    type Output = Result<F::Output, i32>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        this.signals.main.register(cx.waker());
        let signal = this.signals.interrupted.load(Ordering::Acquire);
        if signal > 0 {
            // Cancelled: every destructor beneath it runs now. One that panics is reported by
            // the panic hook and the exit goes on.
            // (The trace is made complete when the runtime's `block_on` returns.)
            let _ = catch_unwind(AssertUnwindSafe(|| this.main.set(None)));
            return Poll::Ready(Err(signal));
        }
        match this.main.as_pin_mut() {
            Some(main) => {
                let output = std::task::ready!(main.poll(cx));
                crate::debug::main_returned();
                // The runtime drops the tasks left next, which can take a while (a slow
                // destructor): a signal then exits at once, as a second one during a cancel
                // does.
                match this.signals.interrupted.compare_exchange(
                    0,
                    MAIN_RETURNED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    // One that came during this last poll (main's own destructors can take a
                    // while) ends the program as it would have a moment earlier.
                    Err(signal) if signal > 0 => Poll::Ready(Err(signal)),
                    _ => Poll::Ready(Ok(output)),
                }
            }
            None => Poll::Pending,
        }
    }
}
