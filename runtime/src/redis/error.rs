//! What a call of [`Queue`](super::Queue) can fail with.

use std::fmt;

/// Why a call of [`Queue`](super::Queue) failed.
///
/// A job whose value does not read as `T` is not an error of `get`: it is parked (see
/// [`Queue::parked`](super::Queue::parked)) and `get` goes on with the next one.
#[non_exhaustive]
pub enum Error {
    /// The URL given to `connect` is not a Redis URL.
    InvalidUrl {
        /// The URL, its password left out.
        url: String,
        /// What redis-rs found wrong in it.
        source: redis::RedisError,
    },
    /// The server could not be reached at `url`: when connecting, or for longer than the
    /// handle's reconnect time ([`Queue::set_reconnect_for`](super::Queue::set_reconnect_for))
    /// mid-run. Is `redis-server` running there?
    Unreachable {
        /// The URL given to `connect`, its password left out.
        url: String,
        /// The last error of redis-rs.
        source: redis::RedisError,
    },
    /// The server answered a command with an error: the key holds something that is not this
    /// queue's (another program uses the name?), a password is wrong, or the server is too old
    /// (streams need Redis 5, `XAUTOCLAIM` Redis 6.2).
    Command {
        /// The command, `XADD` say.
        command: &'static str,
        /// The server's error, as redis-rs read it.
        source: redis::RedisError,
    },
    /// `put` could not write the item as JSON (a map whose keys are not strings, say).
    Serialize(serde_json::Error),
    /// The queue was shut down ([`Queue::shutdown`](super::Queue::shutdown)): `put` fails at
    /// once, `get` once every job is finished.
    ShutDown,
}

impl Error {
    /// Whether this is [`Error::ShutDown`]: the end of a worker's loop rather than a failure.
    pub fn is_shut_down(&self) -> bool {
        matches!(self, Error::ShutDown)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl { url, source } => write!(
                f,
                "{url:?} is not a Redis URL ({source}): write redis://HOST:PORT/DB, with \
                 USER:PASSWORD@ before the host when the server asks for one \
                 (rediss:// for TLS, redis+unix:///PATH for a Unix socket)"
            ),
            Error::Unreachable { url, source } => write!(
                f,
                "cannot reach the Redis server at {url} ({source}): is `redis-server` running \
                 there, and does the URL name its host and port?"
            ),
            Error::Command { command, source } => {
                write!(f, "the Redis server refused `{command}`: {source}")
            }
            Error::Serialize(error) => write!(f, "the item does not serialize to JSON: {error}"),
            Error::ShutDown => f.write_str(
                "the queue was shut down (the mark stays on the server until `Queue::delete`)",
            ),
        }
    }
}

/// The variant and the message: what `main` prints when it returns the error.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            Error::InvalidUrl { .. } => "InvalidUrl",
            Error::Unreachable { .. } => "Unreachable",
            Error::Command { .. } => "Command",
            Error::Serialize(_) => "Serialize",
            Error::ShutDown => "ShutDown",
        };
        write!(f, "{variant}: {self}")
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::InvalidUrl { source, .. }
            | Error::Unreachable { source, .. }
            | Error::Command { source, .. } => Some(source),
            Error::Serialize(error) => Some(error),
            Error::ShutDown => None,
        }
    }
}
