//! When `main` returns: debug mode lists the spawned tasks still running, about to be destroyed
//! unfinished (asyncio's "Task was destroyed but it is pending!").

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use super::watched::registry;
use super::{debug_on, observing};

/// `main`'s body returned: debug mode lists the spawned tasks still running.
pub(crate) fn main_returned() {
    // Once per process: `run_main` and `watch_main` may both see `main` return.
    static REPORTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !observing() || REPORTED.swap(true, Ordering::Relaxed) {
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
/// body in; `#[job_main]` always does the same).
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
