//! A queue's connections to its server: one shared by the commands of every handle of a
//! process (redis-rs pipelines them on it), and one per `get` that waits, since a blocking read
//! holds its connection until it returns. A lost connection is made again by the next command,
//! which [`Connections::query`] sends again after a back-off.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{
    AsyncConnectionConfig, Client, ErrorKind, FromRedisValue, RedisError, RedisResult,
    ServerErrorKind,
};

use super::Error;
use crate::event_loop::in_tokio;

/// How long a blocking read waits on the server at most, before `get` looks again for jobs to
/// take over and for a shutdown.
pub(super) const MAX_BLOCK: Duration = Duration::from_secs(1);

/// The first pause before a lost connection is made again; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// How long a command may wait for its reply before its connection counts as lost.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// What a connection is for.
#[derive(Clone, Copy, Debug)]
pub(super) enum Use {
    /// Commands that reply at once: shared.
    Commands,
    /// A blocking read (`XREADGROUP ... BLOCK`): one connection per read going on.
    Blocking,
}

/// A command or a pipeline (a transaction, say), to send as it is.
#[derive(Clone, Copy)]
pub(super) enum Request<'a> {
    Command(&'a redis::Cmd),
    Pipeline(&'a redis::Pipeline),
}

impl<'a> From<&'a redis::Cmd> for Request<'a> {
    fn from(command: &'a redis::Cmd) -> Self {
        Request::Command(command)
    }
}

impl<'a> From<&'a redis::Pipeline> for Request<'a> {
    fn from(pipeline: &'a redis::Pipeline) -> Self {
        Request::Pipeline(pipeline)
    }
}

impl Request<'_> {
    async fn send<R: FromRedisValue>(
        self,
        connection: &mut MultiplexedConnection,
    ) -> RedisResult<R> {
        match self {
            Request::Command(command) => command.query_async(connection).await,
            Request::Pipeline(pipeline) => pipeline.query_async(connection).await,
        }
    }
}

/// The connections of a queue's handles in this process.
pub(super) struct Connections {
    client: Client,
    /// The URL given to `connect`, without its password: for error messages.
    url: String,
    /// The shared connection, with its generation: a user that lost it forgets it only if it
    /// was not made again meanwhile.
    commands: Mutex<(u64, Option<MultiplexedConnection>)>,
    blocking: Mutex<Vec<MultiplexedConnection>>,
}

impl Connections {
    /// Connects to the server at `url`, once: [`Error::Unreachable`] when it cannot be
    /// reached, [`Error::Command`] when it refuses the connection (a wrong password, say).
    pub(super) async fn open(url: &str) -> Result<Connections, Error> {
        let shown = without_password(url);
        let client = Client::open(url).map_err(|source| Error::InvalidUrl {
            url: shown.clone(),
            source,
        })?;
        let connections = Connections {
            client,
            url: shown,
            commands: Mutex::new((0, None)),
            blocking: Mutex::new(Vec::new()),
        };
        match in_tokio(connections.connect(Use::Commands)).await {
            Ok(connection) => lock(&connections.commands).1 = Some(connection),
            Err(source) if lost(&source) => return Err(connections.unreachable(source)),
            Err(source) => {
                return Err(Error::Command {
                    command: "connect",
                    source,
                })
            }
        }
        Ok(connections)
    }

    /// Sends `request` and reads its reply as `R`. A lost connection (see [`lost`]) is made
    /// again and the request sent again, with a back-off, for `reconnect_for`; a request the
    /// server refused is [`Error::Command`] with `command` in it.
    pub(super) async fn query<R: FromRedisValue>(
        &self,
        purpose: Use,
        command: &'static str,
        request: Request<'_>,
        reconnect_for: Duration,
    ) -> Result<R, Error> {
        let since = Instant::now();
        let mut pause = FIRST_PAUSE;
        loop {
            let reply = in_tokio(async {
                let (generation, mut connection) = match self.take(purpose) {
                    Some(taken) => taken,
                    None => self.connect_to_use(purpose).await?,
                };
                let reply = request.send(&mut connection).await;
                match &reply {
                    Err(error) if lost(error) => self.forget(purpose, generation),
                    _ => self.give_back(purpose, connection),
                }
                reply
            })
            .await;
            match reply {
                Ok(reply) => return Ok(reply),
                Err(source) if !lost(&source) => return Err(Error::Command { command, source }),
                Err(source) if since.elapsed() >= reconnect_for => {
                    return Err(self.unreachable(source))
                }
                Err(_) => {
                    crate::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
            }
        }
    }

    async fn connect(&self, purpose: Use) -> RedisResult<MultiplexedConnection> {
        let reply_timeout = match purpose {
            Use::Commands => REPLY_TIMEOUT,
            Use::Blocking => MAX_BLOCK + REPLY_TIMEOUT,
        };
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(reply_timeout));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// A connection for `purpose`, with the generation of the shared one.
    fn take(&self, purpose: Use) -> Option<(u64, MultiplexedConnection)> {
        match purpose {
            Use::Commands => {
                let (generation, connection) = &*lock(&self.commands);
                connection
                    .clone()
                    .map(|connection| (*generation, connection))
            }
            Use::Blocking => lock(&self.blocking).pop().map(|connection| (0, connection)),
        }
    }

    /// A new connection for `purpose`; a shared one replaces the one lost, unless another
    /// user replaced it first (then that one is used).
    async fn connect_to_use(&self, purpose: Use) -> RedisResult<(u64, MultiplexedConnection)> {
        let connection = self.connect(purpose).await?;
        Ok(match purpose {
            Use::Commands => {
                let (generation, shared) = &mut *lock(&self.commands);
                if shared.is_none() {
                    *generation += 1;
                    *shared = Some(connection);
                }
                (*generation, shared.clone().expect("set above"))
            }
            Use::Blocking => (0, connection),
        })
    }

    fn give_back(&self, purpose: Use, connection: MultiplexedConnection) {
        // The shared connection stays where it is: `take` gave a clone of it.
        if let Use::Blocking = purpose {
            lock(&self.blocking).push(connection);
        }
    }

    /// Drops the shared connection after it was lost, unless it was made again meanwhile (a
    /// blocking one is dropped by its user).
    fn forget(&self, purpose: Use, generation: u64) {
        if let Use::Commands = purpose {
            let (current, shared) = &mut *lock(&self.commands);
            if *current == generation {
                *shared = None;
            }
        }
    }

    fn unreachable(&self, source: RedisError) -> Error {
        Error::Unreachable {
            url: self.url.clone(),
            source,
        }
    }
}

/// Whether `error` says the connection is lost, or the server not ready yet (restarting, loading
/// its data, a replica not yet promoted), rather than that it refused the command: then the
/// command is worth sending again. A reply later than [`REPLY_TIMEOUT`] counts as lost.
fn lost(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || matches!(
            error.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ReadOnly
            )
        )
}

/// `url` with its password, if any, replaced by `***`.
pub(super) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or("");
            let hidden = if user_info.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// Locks `mutex`; a panic while it was held left nothing half-done in it.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn a_password_is_left_out_of_the_url_shown() {
        assert_eq!(
            without_password("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            without_password("redis://:secret@host/"),
            "redis://:***@host/"
        );
        assert_eq!(
            without_password("redis://me:secret@host:1/2"),
            "redis://me:***@host:1/2"
        );
        assert_eq!(without_password("redis://me@host"), "redis://me@host");
    }
}
