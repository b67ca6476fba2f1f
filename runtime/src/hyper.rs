//! hyper 1.x on jobloop (feature `hyper`): [`Executor`] and [`Timer`] give hyper a spawner and
//! timers on the current jobloop runtime, and the loop's streams
//! ([`TcpStream`](crate::net::TcpStream), `UnixStream`) implement `hyper::rt::Read`/`Write`, so
//! no adapter type stands between hyper and a socket.
//!
//! ```
//! use jobloop_runtime::hyper::{Executor, Timer};
//!
//! // A server connection with timeouts, an HTTP/2-capable client: both take these.
//! let _ = (Executor, Timer);
//! ```
//!
//! `examples/http/http_fetch.rs` runs a hyper server and 50 client requests on one loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// Spawns hyper's background futures (connection drivers, HTTP/2 streams) as detached tasks
/// on the current jobloop runtime, with [`spawn`](crate::spawn): on the embedded loop they need
/// not be `Send`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Executor;

impl<F> ::hyper::rt::Executor<F> for Executor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, future: F) {
        // Dropping the handle detaches the task: it runs until its future ends.
        drop(crate::spawn(future));
    }
}

/// hyper's timers (header read timeouts, keep-alive) as [`sleep`](crate::sleep) on the
/// current jobloop runtime, virtual clock included.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer;

impl ::hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(Mutex::new(crate::sleep(duration))))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(Mutex::new(crate::sleep_until(deadline))))
    }
}

/// A [`Sleep`](crate::time::Sleep) that is `Sync`, as hyper asks: the mutex is only ever
/// taken by the task polling it, so it is never contended.
struct HyperSleep(Mutex<crate::time::Sleep>);

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Pin::new(sleep).poll(cx)
    }
}

impl ::hyper::rt::Sleep for HyperSleep {}
