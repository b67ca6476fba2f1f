//! The loop's wait when jobloop is built without I/O (neither the feature `net` nor `process`):
//! no OS poller, no socket to watch; the loop parks its thread until the next timer, and a
//! wake-up from another thread unparks it (the wake queue's `notify` always unparks the loop's
//! thread). `thread::park` keeps a token, so an unpark that comes
//! before the park is not lost: the park returns at once.
//!
//! It has the reactor's interface, so that the heartbeat reads the same with and without I/O.

use std::io;
use std::task::Waker;
use std::thread;
use std::time::Duration;

/// The loop's wait without a reactor.
pub(crate) struct Reactor;

/// What interrupts the wait from another thread, beside the unpark: nothing more here.
pub(crate) struct OsWaker;

impl OsWaker {
    pub(crate) fn wake(&self) -> io::Result<()> {
        Ok(())
    }
}

impl Reactor {
    pub(crate) fn new() -> io::Result<(Reactor, OsWaker)> {
        Ok((Reactor, OsWaker))
    }

    /// No source is ever registered.
    pub(crate) fn has_sources(&self) -> bool {
        false
    }

    /// No task ever waits for I/O.
    pub(crate) fn is_waiting(&self) -> bool {
        false
    }

    /// Parks the loop's thread for at most `timeout` (for ever when `None`): until the next
    /// timer or a wake-up from another thread. Linux delays the end of a park by its timer
    /// slack alone (50 µs by default).
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        match timeout {
            Some(timeout) if timeout.is_zero() => {}
            Some(timeout) => thread::park_timeout(timeout),
            None => thread::park(),
        }
    }

    /// No task waits on a source.
    pub(crate) fn take_all_wakers(&self) -> Vec<Waker> {
        Vec::new()
    }
}
