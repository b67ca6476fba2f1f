//! A socket or pipe registered with the reactor of the runtime it was made on: the embedded
//! loop's own (`event_loop::reactor`), tokio's (its `AsyncFd`, feature `tokio`) or smol's
//! (async-io's `Async`, feature `smol`). Every socket type and a child's pipes sit on this one
//! type, so each works on each of these runtimes. The adapters' reactors are reached on unix
//! only (tokio's `AsyncFd` is unix-only); a runtime given through the `Runtime` trait has no
//! reactor jobloop can reach, and making a source there is an error that says so.

use std::io;
use std::task::{Context, Poll};

use mio::event::Source as MioSource;

use crate::context::{self, Current};
pub(crate) use crate::event_loop::reactor::Direction;
use crate::event_loop::reactor::LoopSource;

/// What a source must be to be registered with any of the reactors: a mio source (the loop's),
/// and on unix a file descriptor it owns (tokio's and smol's take one). Implemented for mio's
/// sockets and pipes only, which own their descriptor: the `SAFETY` of the tokio registration
/// below rests on that.
#[cfg(unix)]
pub(crate) trait Source: MioSource + std::os::fd::AsFd + std::os::fd::AsRawFd {}
#[cfg(not(unix))]
pub(crate) trait Source: MioSource {}

#[cfg(feature = "net")]
impl Source for mio::net::TcpListener {}
#[cfg(feature = "net")]
impl Source for mio::net::TcpStream {}
#[cfg(feature = "net")]
impl Source for mio::net::UdpSocket {}
#[cfg(all(unix, feature = "net"))]
impl Source for mio::net::UnixListener {}
#[cfg(all(unix, feature = "net"))]
impl Source for mio::net::UnixStream {}
#[cfg(all(unix, feature = "process"))]
impl Source for mio::unix::pipe::Sender {}
#[cfg(all(unix, feature = "process"))]
impl Source for mio::unix::pipe::Receiver {}

/// An I/O source (already in non-blocking mode) registered with the current runtime's reactor.
pub(crate) struct Registered<T: Source>(Backend<T>);

enum Backend<T: Source> {
    Loop(LoopSource<T>),
    #[cfg(all(unix, feature = "tokio"))]
    Tokio(tokio::io::unix::AsyncFd<T>),
    #[cfg(all(unix, feature = "smol"))]
    Smol(async_io::Async<T>),
}

/// The reactors jobloop registers sources with.
enum Reactor {
    Loop,
    #[cfg(all(unix, feature = "tokio"))]
    Tokio,
    #[cfg(all(unix, feature = "smol"))]
    Smol,
}

/// The reactor of the runtime running on this thread, when jobloop reaches it.
fn reactor() -> Option<Reactor> {
    match context::current()? {
        Current::Loop(_) => Some(Reactor::Loop),
        #[cfg(all(unix, feature = "tokio"))]
        Current::Tokio(_) if tokio::runtime::Handle::try_current().is_ok() => Some(Reactor::Tokio),
        #[cfg(all(unix, feature = "smol"))]
        Current::Smol(_) => Some(Reactor::Smol),
        _ => None,
    }
}

#[cfg(feature = "process")]
/// Whether a source made on this thread now can be registered (the current runtime has a
/// reactor jobloop reaches).
pub(crate) fn reactor_here() -> bool {
    reactor().is_some()
}

fn no_reactor() -> io::Error {
    io::Error::other(
        "jobloop's sockets and pipes need a runtime whose reactor jobloop drives: create them \
         inside `#[jobloop::job_main]`, `#[jobloop::job_test]` or `EventLoop::block_on`, or on \
         `runtime = jobloop::runtime::Tokio`/`Smol` (unix); under a runtime of your own, use \
         that runtime's I/O types",
    )
}

impl<T: Source> Registered<T> {
    /// Registers `io` with the reactor of the runtime running on this thread.
    ///
    /// # Errors
    ///
    /// The reactor's error, or an error of kind `Other` when this thread's runtime has no
    /// reactor jobloop reaches (none at all, or one given through the `Runtime` trait).
    pub(crate) fn new(io: T) -> io::Result<Registered<T>> {
        let backend = match reactor().ok_or_else(no_reactor)? {
            Reactor::Loop => Backend::Loop(LoopSource::new(io)?),
            #[cfg(all(unix, feature = "tokio"))]
            Reactor::Tokio => {
                use tokio::io::Interest;
                let interest = Interest::READABLE.add(Interest::WRITABLE);
                // SAFETY: `io` owns its file descriptor (a mio socket or pipe holds it as an
                // `OwnedFd`), so the descriptor stays open while the `AsyncFd` owns `io` and
                // is closed only when `io` is dropped, after the `AsyncFd` deregistered it (or
                // after `into_inner` gave `io` back); and `as_raw_fd` of a mio source always
                // returns that one descriptor. (`Source` is implemented for mio's sockets and
                // pipes only.)
                #[allow(unsafe_code)]
                let fd = unsafe { tokio::io::unix::AsyncFd::register_with_interest(io, interest) };
                Backend::Tokio(fd?)
            }
            #[cfg(all(unix, feature = "smol"))]
            Reactor::Smol => Backend::Smol(async_io::Async::new_nonblocking(io)?),
        };
        Ok(Registered(backend))
    }

    pub(crate) fn get_ref(&self) -> &T {
        match &self.0 {
            Backend::Loop(source) => source.get_ref(),
            #[cfg(all(unix, feature = "tokio"))]
            Backend::Tokio(fd) => fd.get_ref(),
            #[cfg(all(unix, feature = "smol"))]
            Backend::Smol(io) => io.get_ref(),
        }
    }

    #[cfg(feature = "net")]
    /// Deregisters the source and gives it back (for `into_std`).
    ///
    /// # Errors
    ///
    /// smol's reactor's error when it cannot deregister the source.
    pub(crate) fn into_inner(self) -> io::Result<T> {
        match self.0 {
            Backend::Loop(source) => Ok(source.into_inner()),
            #[cfg(all(unix, feature = "tokio"))]
            Backend::Tokio(fd) => Ok(fd.into_inner()),
            #[cfg(all(unix, feature = "smol"))]
            Backend::Smol(io) => io.into_inner(),
        }
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readiness in `direction`
    /// between attempts.
    ///
    /// # Errors
    ///
    /// `op`'s error, or the reactor's (on the loop: the source was made on another loop).
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        match &self.0 {
            // The loop's reactor records its waits for the trace itself.
            Backend::Loop(source) => source.io(direction, op).await,
            #[cfg(all(unix, feature = "tokio"))]
            Backend::Tokio(fd) => {
                traced(direction, fd.async_io(tokio_interest(direction), op)).await
            }
            #[cfg(all(unix, feature = "smol"))]
            Backend::Smol(io) => {
                // async-io's `read_with`/`write_with` complete without yielding when the source
                // is ready: one unit of the budget per call, so that a task whose socket is
                // always ready yields now and then (tokio's `AsyncFd` spends tokio's own).
                crate::budget::spend().await;
                match direction {
                    Direction::Read => traced(direction, io.read_with(op)).await,
                    Direction::Write => traced(direction, io.write_with(op)).await,
                }
            }
        }
    }

    /// The poll-based form of [`io`](Registered::io), for `AsyncRead`/`AsyncWrite`: runs `op`
    /// until it does not return `WouldBlock`, then registers `cx`'s waker for readiness in
    /// `direction`: one waker per direction, as tokio's `poll_read_ready`. Two tasks polling
    /// one direction of one source through these traits take the slot from each other (the
    /// `async fn` methods have no such limit): on the loop and on tokio the one displaced may
    /// wait for the next readiness, on smol (whose reactor wakes the waker it replaces) the two
    /// keep waking each other. Share a stream between a reader and a writer, not two readers.
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        #[cfg(all(unix, any(feature = "tokio", feature = "smol")))]
        let mut op = op;
        match &self.0 {
            Backend::Loop(source) => source.poll_io(direction, cx, op),
            #[cfg(all(unix, feature = "tokio"))]
            Backend::Tokio(fd) => loop {
                let ready = match direction {
                    Direction::Read => fd.poll_read_ready(cx),
                    Direction::Write => fd.poll_write_ready(cx),
                };
                let mut guard = match ready {
                    Poll::Ready(Ok(guard)) => guard,
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {
                        crate::debug::waiting(direction.wait_name());
                        return Poll::Pending;
                    }
                };
                // `try_io` clears the readiness when `op` would block; then wait again.
                if let Ok(result) = guard.try_io(|inner| op(inner.get_ref())) {
                    return Poll::Ready(result);
                }
            },
            #[cfg(all(unix, feature = "smol"))]
            Backend::Smol(io) => loop {
                // As in `io`: a unit of the budget per call.
                if crate::budget::poll_spend(cx).is_pending() {
                    return Poll::Pending;
                }
                match op(io.get_ref()) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    result => return Poll::Ready(result),
                }
                let ready = match direction {
                    Direction::Read => io.poll_readable(cx),
                    Direction::Write => io.poll_writable(cx),
                };
                match ready {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                    Poll::Pending => {
                        crate::debug::waiting(direction.wait_name());
                        return Poll::Pending;
                    }
                }
            },
        }
    }

    #[cfg(feature = "net")]
    /// Waits until the OS reports readiness in `direction`, for a task alone on the source in
    /// that direction (a connecting socket).
    ///
    /// # Errors
    ///
    /// The reactor's error (tokio's and smol's; the loop's wait has none).
    pub(crate) async fn ready(&self, direction: Direction) -> io::Result<()> {
        match &self.0 {
            Backend::Loop(source) => {
                source.ready(direction).await;
                Ok(())
            }
            #[cfg(all(unix, feature = "tokio"))]
            Backend::Tokio(fd) => traced(direction, fd.ready(tokio_interest(direction)))
                .await
                .map(drop),
            #[cfg(all(unix, feature = "smol"))]
            Backend::Smol(io) => match direction {
                Direction::Read => traced(direction, io.readable()).await,
                Direction::Write => traced(direction, io.writable()).await,
            },
        }
    }

    /// Reads into `buf`, waiting while nothing is there: the `read` of every stream and pipe.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a T: io::Read,
    {
        match &self.0 {
            // The loop also remembers a short read (see `event_loop::reactor`).
            Backend::Loop(source) => source.read_stream(buf).await,
            #[cfg(all(unix, any(feature = "tokio", feature = "smol")))]
            _ => {
                self.io(Direction::Read, |mut source| {
                    io::Read::read(&mut source, buf)
                })
                .await
            }
        }
    }

    /// The poll-based [`read`](Registered::read), for `AsyncRead`.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
    where
        for<'a> &'a T: io::Read,
    {
        match &self.0 {
            Backend::Loop(source) => source.poll_read_stream(cx, buf),
            #[cfg(all(unix, any(feature = "tokio", feature = "smol")))]
            _ => self.poll_io(Direction::Read, cx, |mut source| {
                io::Read::read(&mut source, buf)
            }),
        }
    }

    /// Reads until the end of the stream, appending to `buf`; how many bytes. The bytes read
    /// before an error stay in `buf`.
    pub(crate) async fn read_to_end(&self, buf: &mut Vec<u8>) -> io::Result<usize>
    where
        for<'a> &'a T: io::Read,
    {
        let start = buf.len();
        let mut chunk = [0u8; 4096];
        loop {
            match self.read(&mut chunk).await? {
                0 => return Ok(buf.len() - start),
                n => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Writes some of `buf`, waiting while the OS takes nothing: the `write` of every stream.
    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize>
    where
        for<'a> &'a T: io::Write,
    {
        self.io(Direction::Write, |mut source| {
            io::Write::write(&mut source, buf)
        })
        .await
    }

    /// Writes all of `buf`; `WriteZero` when the OS accepts no byte.
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()>
    where
        for<'a> &'a T: io::Write,
    {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

/// `future`, recording in the trace a wait in `direction` each time it returns `Pending` (the
/// adapters' reactors do not know the trace).
#[cfg(all(unix, any(feature = "tokio", feature = "smol")))]
async fn traced<F: std::future::Future>(direction: Direction, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        if poll.is_pending() {
            crate::debug::waiting(direction.wait_name());
        }
        poll
    })
    .await
}

#[cfg(all(unix, feature = "tokio"))]
fn tokio_interest(direction: Direction) -> tokio::io::Interest {
    match direction {
        Direction::Read => tokio::io::Interest::READABLE,
        Direction::Write => tokio::io::Interest::WRITABLE,
    }
}
