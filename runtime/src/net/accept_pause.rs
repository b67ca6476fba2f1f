//! The pause of a listener that ran out of resources, shared by every accepting type.
//!
//! When `accept` fails because the process or the system is out of a resource (`EMFILE`: too
//! many open files; `ENFILE`, `ENOBUFS`, `ENOMEM`), the connection stays queued and retrying at
//! once would fail the same way, in a loop that spins. So the listener pauses: the next
//! `accept` starts no earlier than an instant kept on the listener, 1 ms after the first such
//! error, doubling with each one in a row up to 1 s, and forgotten at the first success.
//!
//! The pause is an instant, not a sleep that each `accept` starts: an `accept` cancelled
//! mid-pause (by a `timeout` shorter than the pause, or a `race` with a shutdown signal) leaves
//! the instant as it was, and the next call waits only for what is left of it. A sleep
//! restarted by every call would never end under a timeout shorter than it.

use std::cell::Cell;
use std::future::Future;
use std::io;
use std::time::{Duration, Instant};

const FIRST_PAUSE: Duration = Duration::from_millis(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// A listener's pause after running out of resources (see the module).
#[derive(Debug, Default)]
pub(crate) struct AcceptPause(Cell<Option<Pause>>);

#[derive(Debug, Clone, Copy)]
struct Pause {
    /// The next `accept` starts no earlier than this.
    until: Instant,
    /// How long the last pause was: the next one is twice that.
    length: Duration,
}

impl AcceptPause {
    /// Runs `accept` once the pause is over (at once when there is none), and records its
    /// outcome: an error for want of resources lengthens the pause, a success ends it.
    pub(crate) async fn accept<T>(
        &self,
        accept: impl Future<Output = io::Result<T>>,
    ) -> io::Result<T> {
        if let Some(pause) = self.0.get() {
            if crate::now() < pause.until {
                crate::sleep_until(pause.until).await;
            }
        }
        let accepted = accept.await;
        match &accepted {
            Ok(_) => self.0.set(None),
            Err(error) if out_of_resources(error) => {
                let length = self
                    .0
                    .get()
                    .map_or(FIRST_PAUSE, |pause| pause.length * 2)
                    .min(LONGEST_PAUSE);
                self.0.set(Some(Pause {
                    until: crate::now() + length,
                    length,
                }));
            }
            Err(_) => {}
        }
        accepted
    }
}

/// Whether `error` says the process or the system is out of a resource.
fn out_of_resources(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        // EMFILE, ENFILE, ENOBUFS, ENOMEM, by their numbers on Linux and the BSDs alike
        // where they agree; `raw_os_error` is what accept(2) returned.
        const LINUX: [i32; 4] = [24, 23, 105, 12];
        const BSD: [i32; 4] = [24, 23, 55, 12];
        let codes = if cfg!(any(target_os = "linux", target_os = "android")) {
            LINUX
        } else {
            BSD
        };
        matches!(error.raw_os_error(), Some(code) if codes.contains(&code))
    }
    #[cfg(not(unix))]
    {
        // WSAEMFILE, WSAENOBUFS.
        matches!(error.raw_os_error(), Some(10024 | 10055))
    }
}
