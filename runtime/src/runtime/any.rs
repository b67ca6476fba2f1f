//! [`AnyRuntime`]: a runtime picked when the program starts.

use std::future::Future;
use std::io;
use std::time::Instant;

use super::{BlockingWork, Delay, LocalTask, Runtime, SendTask};
use crate::EventLoop;

/// One of the runtimes this build of jobloop supports, picked at run time: lets one program run
/// on each of them unchanged.
///
/// In a program: `#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]`,
/// then `JOBLOOP_RUNTIME=tokio-multi-thread cargo run --features tokio`. By hand:
///
/// ```
/// use jobloop_runtime::runtime::AnyRuntime;
/// use jobloop_runtime::{sleep, Runtime};
/// use std::time::Duration;
///
/// let out = AnyRuntime::named("event-loop").run(async {
///     sleep(Duration::from_millis(1)).await;
///     3
/// });
/// assert_eq!(out, 3);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyRuntime {
    /// The embedded [`EventLoop`].
    EventLoop(EventLoop),
    /// A [`Tokio`](super::Tokio) runtime.
    #[cfg(feature = "tokio")]
    Tokio(super::Tokio),
    /// A [`Smol`](super::Smol) runtime.
    #[cfg(feature = "smol")]
    Smol(super::Smol),
}

/// The names [`AnyRuntime::named`] accepts.
const NAMES: &str = "`event-loop`, `tokio` (`tokio-current-thread`), `tokio-multi-thread`, \
                     `tokio-multi-thread:N`, `smol`";

impl AnyRuntime {
    /// The runtime named by the environment variable `JOBLOOP_RUNTIME`, or the embedded
    /// [`EventLoop`] when it is not set. See [`AnyRuntime::named`] for the names.
    ///
    /// # Panics
    ///
    /// When the name is unknown, or names a runtime whose cargo feature is not enabled.
    #[track_caller]
    pub fn from_env() -> AnyRuntime {
        match std::env::var("JOBLOOP_RUNTIME") {
            Ok(name) if !name.is_empty() => AnyRuntime::named(&name),
            _ => AnyRuntime::EventLoop(EventLoop::new()),
        }
    }

    /// The runtime called `name`: `event-loop`, `tokio` or `tokio-current-thread`,
    /// `tokio-multi-thread` (one worker per core) or `tokio-multi-thread:N`, `smol`.
    ///
    /// # Panics
    ///
    /// When the name is unknown, or names a runtime whose cargo feature is not enabled.
    #[track_caller]
    pub fn named(name: &str) -> AnyRuntime {
        let (base, workers) = match name.split_once(':') {
            Some((base, n)) => (base, Some(n)),
            None => (name, None),
        };
        match (base, workers) {
            ("event-loop", None) => AnyRuntime::EventLoop(EventLoop::new()),
            #[cfg(feature = "tokio")]
            ("tokio" | "tokio-current-thread", None) => {
                AnyRuntime::Tokio(super::Tokio::current_thread())
            }
            #[cfg(feature = "tokio")]
            ("tokio-multi-thread", workers) => {
                let workers = match workers {
                    None => std::thread::available_parallelism().map_or(2, usize::from),
                    Some(n) => match n.parse() {
                        Ok(n) if n > 0 => n,
                        _ => panic!("JOBLOOP_RUNTIME: `{n}` is not a worker count (write e.g. `tokio-multi-thread:4`)"),
                    },
                };
                AnyRuntime::Tokio(super::Tokio::multi_thread(workers))
            }
            #[cfg(feature = "smol")]
            ("smol", None) => AnyRuntime::Smol(super::Smol::new()),
            #[cfg(not(feature = "tokio"))]
            ("tokio" | "tokio-current-thread" | "tokio-multi-thread", _) => {
                panic!("runtime `{name}` needs jobloop's cargo feature `tokio`")
            }
            #[cfg(not(feature = "smol"))]
            ("smol", None) => panic!("runtime `{name}` needs jobloop's cargo feature `smol`"),
            _ => panic!("unknown jobloop runtime `{name}`; valid names: {NAMES}"),
        }
    }
}

/// Calls `$method` on whichever runtime `$self` holds.
macro_rules! delegate {
    ($self:expr, $runtime:ident => $call:expr) => {
        match $self {
            AnyRuntime::EventLoop($runtime) => $call,
            #[cfg(feature = "tokio")]
            AnyRuntime::Tokio($runtime) => $call,
            #[cfg(feature = "smol")]
            AnyRuntime::Smol($runtime) => $call,
        }
    };
}

impl Runtime for AnyRuntime {
    #[track_caller]
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        delegate!(self, runtime => runtime.block_on(future))
    }

    fn spawn_send(&self, task: SendTask) {
        delegate!(self, runtime => runtime.spawn_send(task))
    }

    fn spawn_local(&self, task: LocalTask) {
        delegate!(self, runtime => runtime.spawn_local(task))
    }

    fn sleep_until(&self, deadline: Instant) -> Delay {
        delegate!(self, runtime => runtime.sleep_until(deadline))
    }

    fn now(&self) -> Instant {
        delegate!(self, runtime => runtime.now())
    }

    fn spawn_blocking(&self, work: BlockingWork) -> io::Result<()> {
        delegate!(self, runtime => runtime.spawn_blocking(work))
    }

    #[track_caller]
    fn with_virtual_time(self) -> Self {
        match self {
            AnyRuntime::EventLoop(runtime) => AnyRuntime::EventLoop(runtime.with_virtual_time()),
            #[cfg(feature = "tokio")]
            AnyRuntime::Tokio(runtime) => AnyRuntime::Tokio(runtime.with_virtual_time()),
            #[cfg(feature = "smol")]
            AnyRuntime::Smol(runtime) => AnyRuntime::Smol(runtime.with_virtual_time()),
        }
    }

    /// Runs on the runtime held, as that runtime's own `run` does.
    #[track_caller]
    fn run<F: Future>(self, future: F) -> F::Output {
        delegate!(self, runtime => runtime.run(future))
    }
}
