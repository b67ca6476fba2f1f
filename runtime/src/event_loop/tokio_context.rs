//! tokio-based crates on the embedded loop (feature `tokio`), as the `async-compat` crate does
//! it: a tokio runtime on a thread of its own drives tokio's I/O driver and timers, and the loop
//! enters that runtime's context for as long as `block_on` runs. A `tokio::time::sleep`,
//! `tokio::net::TcpStream` or reqwest request polled by a loop task registers with that driver;
//! when it is ready, the driver's thread wakes the task through its waker (a cross-thread wake,
//! which the loop takes between turns). The tasks themselves still run on the loop's thread.
//!
//! The runtime is made on first use and lives for the rest of the process. A loop started
//! inside a tokio context (a test under `#[tokio::test]`, say) keeps that context instead.
//!
//! The driver can wake a loop's task at any time, so the deadlock check (`deadlock.rs`) asks
//! [`may_wake`] whether it still holds anything: a tokio task, work in its blocking pool, a
//! timer, a socket. On Linux it can tell; elsewhere the driver counts as a thread jobloop does
//! not know of.
//!
//! The cost: a wake-up from tokio's driver crosses threads (a few microseconds more than the
//! loop's own reactor, see `benches/`). A program that uses no tokio type pays for the thread
//! alone: in a process with two threads glibc's `malloc` takes its arena's lock, about 20
//! instructions more per allocation and free (BENCHMARKS.md counts the loop's scenarios with
//! and without the feature).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// The tokio runtime that drives tokio's I/O and timers for the loops of this process: made on
/// first use, `None` when it could not be made.
static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();

/// The name of the driver runtime's thread.
pub(super) const DRIVER_THREAD: &str = "jobloop-tokio-driver";

/// The name of the threads of the driver runtime's blocking pool (`spawn_blocking`, which
/// `tokio::fs`, `tokio::io::stdin` and name lookups run on).
pub(super) const BLOCKING_THREAD: &str = "jobloop-tokio-blocking";

/// The threads of the blocking pool alive now: busy, or idle for less than
/// [`BLOCKING_KEEP_ALIVE`].
static BLOCKING_THREADS: AtomicUsize = AtomicUsize::new(0);

/// How long a thread of the blocking pool waits for more work before it ends (tokio's default
/// is 10 s): while one is alive, the deadlock check counts the pool as busy.
const BLOCKING_KEEP_ALIVE: Duration = Duration::from_secs(1);

/// The tokio runtime that drives tokio's I/O and timers for the loops of this process.
fn runtime() -> Option<&'static tokio::runtime::Runtime> {
    RUNTIME
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name(BLOCKING_THREAD)
                .thread_keep_alive(BLOCKING_KEEP_ALIVE)
                .on_thread_start(|| {
                    BLOCKING_THREADS.fetch_add(1, Ordering::AcqRel);
                })
                .on_thread_stop(|| {
                    BLOCKING_THREADS.fetch_sub(1, Ordering::AcqRel);
                })
                .build()
                .ok()?;
            // A current-thread runtime's drivers run only inside its own `block_on`: the thread
            // blocks there on a future that never ends. (It waits for this initialization to
            // finish before it gets the runtime.)
            std::thread::Builder::new()
                .name(DRIVER_THREAD.into())
                .spawn(|| {
                    #[cfg(target_os = "linux")]
                    driver::record_this_thread();
                    if let Some(runtime) = self::runtime() {
                        runtime.block_on(std::future::pending::<()>());
                    }
                })
                .ok()?;
            Some(runtime)
        })
        .as_ref()
}

/// Whether this process can ask the driver what it holds (see [`driver`]: Linux, a known
/// architecture, `/proc` readable). Then the threads of the driver runtime count as jobloop's
/// own (`wake.rs`); otherwise as threads jobloop does not know of, as a std thread does.
pub(super) fn driver_checked() -> bool {
    #[cfg(target_os = "linux")]
    return driver::readable();
    #[cfg(not(target_os = "linux"))]
    false
}

/// Whether the driver runtime may still wake a task of a loop: it runs a tokio task, its blocking
/// pool has work, or it waits with a timer set or a socket registered (a `tokio::time::sleep`, a
/// reqwest request), or this cannot be known now. It is asked for the whole process (one driver
/// serves every loop, unlike `InFlight`, which each loop counts for itself): another loop's tokio
/// sleep makes it `true` too. `false` when the runtime was never made, and when it cannot be asked
/// at all ([`driver_checked`]).
pub(super) fn may_wake() -> bool {
    let Some(runtime) = RUNTIME.get().and_then(Option::as_ref) else {
        return false;
    };
    if !driver_checked() {
        return false;
    }
    let metrics = runtime.metrics();
    if BLOCKING_THREADS.load(Ordering::Acquire) > 0
        || metrics.num_alive_tasks() > 0
        || metrics.global_queue_depth() > 0
    {
        return true;
    }
    #[cfg(target_os = "linux")]
    return !driver::waits_for_ever_on_nothing();
    #[cfg(not(target_os = "linux"))]
    true
}

/// What the driver's thread waits for, read from `/proc` (Linux only).
///
/// With no timer set, tokio's driver waits in `epoll_wait` with no timeout (`-1`), and the
/// only registrations of its epoll instance are its own: its waker (token 0) and its signal
/// receiver (token 1, when tokio's `signal` feature is on). Any other registration is a
/// tokio socket or pipe (its token is the address of tokio's state for it). The thread's
/// system call and its arguments are in `/proc/self/task/TID/syscall`; the registrations of an
/// epoll descriptor are the `tfd:` lines of `/proc/self/fdinfo/FD`, with the token as `data:`.
/// A thread may read both for a thread of its own process.
///
/// Where `/proc` cannot be read, or the architecture's system call numbers are not known here,
/// the driver is not asked at all ([`driver_checked`](super::driver_checked)). An answer that
/// cannot be read now (the thread between two waits, another version of tokio's driver) is "may
/// wake": the loop looks again a second later.
///
/// What this does not see: tokio's signal receiver (token 1) is there whether or not a task
/// listens, so a task whose only wait is a `tokio::signal` is taken for a deadlock; and a long
/// tokio timer dropped before its end leaves the driver waiting until that end, which only
/// delays the naming of a deadlock.
#[cfg(target_os = "linux")]
mod driver {
    use std::path::PathBuf;
    use std::sync::OnceLock;

    /// `/proc/self/task/TID/syscall` of the driver's thread, once it has started.
    static SYSCALL: OnceLock<PathBuf> = OnceLock::new();

    /// Called by the driver's thread when it starts.
    pub(super) fn record_this_thread() {
        // `/proc/thread-self` links to `PID/task/TID`.
        if let Ok(task) = std::fs::read_link("/proc/thread-self") {
            if let Some(tid) = task.file_name() {
                let _ = SYSCALL.set(PathBuf::from("/proc/self/task").join(tid).join("syscall"));
            }
        }
    }

    /// `epoll_wait` and `epoll_pwait`, whose fourth argument is the timeout in milliseconds.
    #[cfg(target_arch = "x86_64")]
    const EPOLL_WAIT: &[u64] = &[232, 281];
    #[cfg(any(
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64"
    ))]
    const EPOLL_WAIT: &[u64] = &[22];
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64",
        target_arch = "loongarch64"
    )))]
    const EPOLL_WAIT: &[u64] = &[];
    /// `epoll_pwait2`, whose fourth argument points to the timeout (null: none).
    const EPOLL_PWAIT2: u64 = 441;

    /// Whether the driver can be asked: its system call numbers are known on this
    /// architecture, and its thread's `syscall` file reads (learnt once the thread started).
    pub(super) fn readable() -> bool {
        static READABLE: OnceLock<bool> = OnceLock::new();
        if let Some(readable) = READABLE.get() {
            return *readable;
        }
        let Some(path) = SYSCALL.get() else {
            return false;
        };
        *READABLE.get_or_init(|| !EPOLL_WAIT.is_empty() && std::fs::read(path).is_ok())
    }

    /// Whether the driver's thread waits in `epoll_wait` with no timeout, on an epoll
    /// instance that holds none but tokio's own registrations.
    pub(super) fn waits_for_ever_on_nothing() -> bool {
        let Some(path) = SYSCALL.get() else {
            return false;
        };
        let Ok(line) = std::fs::read_to_string(path) else {
            return false;
        };
        // `NR ARG1 .. ARG6 SP PC`, the arguments in hexadecimal; "running" or `-1 SP PC`
        // when the thread is not in a system call.
        let numbers: Vec<u64> = line
            .split_whitespace()
            .map_while(|field| match field.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => field.parse().ok(),
            })
            .collect();
        let [number, epoll, _, _, timeout, ..] = numbers[..] else {
            return false;
        };
        let for_ever = if EPOLL_WAIT.contains(&number) {
            // An `int`: the register's upper half is not part of it.
            timeout as u32 as i32 == -1
        } else {
            number == EPOLL_PWAIT2 && timeout == 0
        };
        if !for_ever {
            return false;
        }
        let Ok(info) = std::fs::read_to_string(format!("/proc/self/fdinfo/{epoll}")) else {
            return false;
        };
        // `tfd:  9 events:  2d data:  0  pos:0 ino:.. sdev:..`
        info.lines()
            .filter(|line| line.starts_with("tfd:"))
            .all(|line| {
                let token = line
                    .split_whitespace()
                    .skip_while(|field| *field != "data:")
                    .nth(1);
                matches!(token, Some("0" | "1"))
            })
    }
}

/// Enters the driver runtime's context on this thread, unless a tokio context is current
/// already; `None` then (or when the runtime could not be made: tokio types then panic with
/// tokio's own message, followed by jobloop's hint).
pub(super) fn enter() -> Option<tokio::runtime::EnterGuard<'static>> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return None;
    }
    Some(runtime()?.enter())
}

/// Runs `future` in the driver runtime's context, entered for each poll (unless a tokio context
/// is current already), on whatever runtime polls it: what a tokio-based client needs that
/// jobloop runs itself (`jobloop::redis`), on the loop, on tokio and on smol alike.
#[cfg(feature = "redis")]
pub(crate) async fn in_tokio<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let _context = enter();
        future.as_mut().poll(cx)
    })
    .await
}
