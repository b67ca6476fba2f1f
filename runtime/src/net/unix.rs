//! [`UnixListener`] and [`UnixStream`] (unix only).

use std::fmt;
use std::future::Future;
use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use super::accept_pause::AcceptPause;
use super::source::{Direction, Registered};

/// A Unix domain socket server (asyncio's `start_unix_server`).
///
/// ```
/// use jobloop_runtime::net::{UnixListener, UnixStream};
/// use jobloop_runtime::{spawn, EventLoop};
///
/// let path = std::env::temp_dir().join(format!("jobloop-doc-{}.sock", std::process::id()));
/// EventLoop::new().block_on(async {
///     let listener = UnixListener::bind(&path).unwrap();
///     let server = spawn(async move {
///         let (stream, _) = listener.accept().await.unwrap();
///         stream.write_all(b"hello").await.unwrap();
///     });
///     let client = UnixStream::connect(&path).await.unwrap();
///     let mut reply = Vec::new();
///     client.read_to_end(&mut reply).await.unwrap();
///     assert_eq!(reply, b"hello");
///     server.await;
/// });
/// std::fs::remove_file(&path).unwrap();
/// ```
pub struct UnixListener {
    inner: Registered<mio::net::UnixListener>,
    /// The pause before the next `accept`, after it failed for want of a resource.
    pause: AcceptPause,
}

impl UnixListener {
    /// Binds to the socket file at `path` and registers it with the current event loop.
    /// Removing the file when done is up to the program, as with std.
    ///
    /// A socket file left at `path` by a server that is gone (connecting to it is refused) is
    /// removed and replaced. (asyncio's `start_unix_server` removes any socket file there; this
    /// first checks that no server listens on it, so a second server does not take a running
    /// one's path.)
    ///
    /// # Errors
    ///
    /// The OS's error, naming `path` where it is about the file: `AddrInUse` when a server
    /// listens at `path` or a file that is not a socket is there; or an error of kind `Other`
    /// when no event loop runs on this thread.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let path = path.as_ref();
        let listener = match net::UnixListener::bind(path) {
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => {
                replace_stale_socket(path, error)?;
                net::UnixListener::bind(path)
            }
            bound => bound,
        };
        UnixListener::from_std(listener.map_err(|error| with_path(error, path))?)
    }

    /// Wraps a std listener, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when this thread's runtime has no reactor jobloop
    /// reaches (see [the module](crate::net)).
    pub fn from_std(listener: net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            inner: Registered::new(mio::net::UnixListener::from_std(listener))?,
            pause: AcceptPause::default(),
        })
    }

    /// Waits for the next connection; other tasks run meanwhile.
    ///
    /// # Errors
    ///
    /// The OS's error. When the process is out of a resource (`EMFILE` and the like), the
    /// listener pauses before its next `accept`, as [`TcpListener::accept`](super::TcpListener::accept)
    /// does.
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(UnixStream, SocketAddr)>> + '_ {
        crate::wait_site::sited("UnixListener::accept", async move {
            let accept = self.inner.io(Direction::Read, |listener| listener.accept());
            let (stream, addr) = self.pause.accept(accept).await?;
            Ok((UnixStream::register(stream)?, addr))
        })
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}

/// After `bind` found `path` taken (`in_use`): removes the file when it is a socket nobody
/// listens on any more; otherwise an error that names the file and says what to do.
fn replace_stale_socket(path: &Path, in_use: io::Error) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let is_socket = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket());
    if !is_socket {
        return Err(io::Error::new(
            in_use.kind(),
            format!(
                "{}: the path exists and is not a socket ({in_use}): remove it or bind elsewhere",
                path.display()
            ),
        ));
    }
    // Non-blocking, so that a live server with a full queue does not block the loop: that is
    // `WouldBlock`, a server there.
    match mio::net::UnixStream::connect(path) {
        Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).map_err(|error| with_path(error, path))
        }
        Err(error) if error.kind() != io::ErrorKind::WouldBlock => Err(io::Error::new(
            in_use.kind(),
            format!(
                "{}: a socket file is there ({in_use}), and whether a server still listens on it \
                 could not be checked ({error}): remove it if none does, or bind elsewhere",
                path.display()
            ),
        )),
        // Connected, or queued behind a full listen queue: a server is there.
        _ => Err(io::Error::new(
            in_use.kind(),
            format!(
                "{}: another server listens on this socket ({in_use}): stop it, or bind elsewhere",
                path.display()
            ),
        )),
    }
}

/// `error`, its message prefixed with `path`.
fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// A connection over a Unix domain socket (asyncio's `open_unix_connection`), with the same
/// methods and traits as [`TcpStream`](super::TcpStream).
pub struct UnixStream {
    inner: Registered<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket file at `path` without blocking the loop.
    ///
    /// # Errors
    ///
    /// The OS's error, naming `path` (`NotFound` when there is no such file,
    /// `ConnectionRefused` when nobody listens there), or an error of kind `Other` when this thread's runtime has no reactor jobloop
    /// reaches (see [the module](crate::net)).
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let path = path.as_ref();
        let stream = mio::net::UnixStream::connect(path).map_err(|error| with_path(error, path))?;
        let stream = UnixStream::register(stream)?;
        stream.inner.ready(Direction::Write).await?;
        if let Some(error) = stream.inner.get_ref().take_error()? {
            return Err(error);
        }
        Ok(stream)
    }

    /// Wraps a connected std stream, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when this thread's runtime has no reactor jobloop
    /// reaches (see [the module](crate::net)).
    pub fn from_std(stream: net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::register(mio::net::UnixStream::from_std(stream))
    }

    /// Two connected streams (`socketpair`), registered with the current event loop.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    fn register(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            inner: Registered::new(stream)?,
        })
    }

    /// Reads into `buf`; returns how many bytes were read, 0 at the end of the stream.
    #[track_caller]
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited("UnixStream::read", self.inner.read(buf))
    }

    /// Reads until the peer closes its side; appends to `buf` and returns how many bytes.
    #[track_caller]
    pub fn read_to_end<'a>(
        &'a self,
        buf: &'a mut Vec<u8>,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited("UnixStream::read_to_end", self.inner.read_to_end(buf))
    }

    /// Writes some of `buf`; returns how many bytes were written.
    #[track_caller]
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited("UnixStream::write", self.inner.write(buf))
    }

    /// Writes all of `buf`.
    #[track_caller]
    pub fn write_all<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        crate::wait_site::sited("UnixStream::write_all", self.inner.write_all(buf))
    }

    /// Shuts down the read half, the write half or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.get_ref().shutdown(how)
    }

    /// The address of the peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The local address of this end.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }
}

super::impl_stream_io!(read UnixStream);
super::impl_stream_io!(write UnixStream, |stream: &mio::net::UnixStream| stream.shutdown(Shutdown::Write));

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}

impl std::os::fd::AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixStream {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}

impl std::os::fd::AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl std::os::fd::AsFd for UnixListener {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.inner.get_ref().as_fd()
    }
}
