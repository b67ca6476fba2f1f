//! Helpers shared by the integration tests.
// Each test binary uses part of it.
#![allow(dead_code)]

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// Counts how many of its tokens were dropped: proves that tasks' futures were dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A token that counts once when dropped.
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    /// How many tokens were dropped.
    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// See [`DropCounter`].
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Awaits a future, turning its panic into `Err` with the payload.
pub struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> CatchPanic<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> Self {
        CatchPanic(Box::pin(future))
    }
}

impl<F: Future> Future for CatchPanic<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// Runs `f` on a thread of its own and returns what it returns, or resumes its panic; fails the
/// test when it has not finished after `limit` (it would wait forever).
pub fn within<T: Send + 'static>(
    limit: std::time::Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match receiver.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("still waiting after {limit:?}: it would wait forever"),
    }
}

/// A path in the temporary directory that no other call of this test binary gives:
/// `jobloop-NAME-PID-N`.
pub fn temp_path(name: &str) -> std::path::PathBuf {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    std::env::temp_dir().join(format!("jobloop-{name}-{}-{n}", std::process::id()))
}

/// Waits (on the runtime's timer) until `done` holds, for at most 5 s; whether it did.
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while !done() {
        if start.elapsed() > std::time::Duration::from_secs(5) {
            return false;
        }
        jobloop::sleep(std::time::Duration::from_millis(2)).await;
    }
    true
}

/// Whether process `pid` runs: it is there and not a zombie (a killed grandchild waits as one
/// for whoever inherited it to reap it). Linux only (`/proc`).
pub fn runs(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state is the first field after the name, which is in parentheses.
    let state = stat
        .rsplit(')')
        .next()
        .and_then(|rest| rest.split_whitespace().next());
    state != Some("Z")
}

/// The message of a panic's payload (empty when it is not a string).
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
    }
}

/// A task that ticks every 10 ms on the thread that starts it, to see whether a busy task
/// beside it lets it run: its deadlines are fixed from its start (it does not drift when a
/// tick comes late), so while it is not starved it ticks about once per 10 ms, and the ticks
/// it missed while starved are skipped, not caught up. Cancelled when dropped.
pub struct Ticker {
    ticks: std::rc::Rc<std::cell::Cell<u32>>,
    start: std::time::Instant,
    task: Option<jobloop::JoinHandle<()>>,
}

impl Ticker {
    pub fn start() -> Ticker {
        let ticks = std::rc::Rc::new(std::cell::Cell::new(0));
        let start = std::time::Instant::now();
        let task = jobloop::spawn({
            let ticks = ticks.clone();
            async move {
                const PERIOD: std::time::Duration = std::time::Duration::from_millis(10);
                let mut next = start + PERIOD;
                loop {
                    jobloop::sleep_until(next).await;
                    ticks.set(ticks.get() + 1);
                    let now = std::time::Instant::now();
                    while next <= now {
                        next += PERIOD;
                    }
                }
            }
        });
        Ticker {
            ticks,
            start,
            task: Some(task),
        }
    }

    /// The share of the ticks due since the start that came, in per cent.
    pub fn kept_percent(&self) -> u64 {
        let due = self.start.elapsed().as_millis() as u64 / 10;
        u64::from(self.ticks.get()) * 100 / due.max(1)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            drop(task.cancel());
        }
    }
}
