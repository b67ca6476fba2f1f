//! [`TcpListener`] and [`TcpStream`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{self, Shutdown, SocketAddr};

use super::accept_pause::AcceptPause;
use super::source::{Direction, Registered};
use super::ToSocketAddrs;

/// The listen queue of [`TcpListener::bind`], as tokio's: connections the kernel holds until
/// `accept` takes them. (std's is 128, which 500 clients connecting at once overflow.)
const BACKLOG: i32 = 1024;

/// A TCP socket server, listening for connections (asyncio's `start_server`).
///
/// ```
/// use jobloop_runtime::net::{TcpListener, TcpStream};
/// use jobloop_runtime::{spawn, EventLoop};
///
/// EventLoop::new().block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = spawn(async move { TcpStream::connect(addr).await.unwrap() });
///     let (stream, peer) = listener.accept().await.unwrap();
///     assert_eq!(peer, client.await.local_addr().unwrap());
///     stream.set_nodelay(true).unwrap();
/// });
/// ```
pub struct TcpListener {
    inner: Registered<mio::net::TcpListener>,
    /// The pause before the next `accept`, after it failed for want of a resource.
    pause: AcceptPause,
}

impl TcpListener {
    /// Binds to `addr` (as [`std::net::TcpListener::bind`]: each address in turn, until one
    /// binds), listens with a queue of 1024 connections (as tokio), and registers the socket
    /// with the current event loop. Use port 0 to let the OS pick a free port. For another
    /// queue length or socket options, make the socket yourself and use
    /// [`from_std`](TcpListener::from_std).
    ///
    /// A host name in `addr` is resolved on this thread (binding is synchronous, as in std);
    /// bind to numeric addresses in a program that must never block its loop.
    ///
    /// # Errors
    ///
    /// The OS's error for the last address tried (such as `AddrInUse`), or an error of kind
    /// `Other` when this thread's runtime has no reactor jobloop reaches.
    pub fn bind(addr: impl net::ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for addr in addr.to_socket_addrs()? {
            match listen(addr) {
                Ok(listener) => return TcpListener::from_std(listener),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to bind to")
        }))
    }

    /// Wraps a listening std socket, putting it in non-blocking mode: any queue length, any
    /// socket option set before (with `socket2`, say).
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when this thread's runtime has no reactor jobloop
    /// reaches (see [the module](crate::net)).
    pub fn from_std(listener: net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            inner: Registered::new(mio::net::TcpListener::from_std(listener))?,
            pause: AcceptPause::default(),
        })
    }

    /// Waits for the next connection; other tasks run meanwhile.
    ///
    /// # Errors
    ///
    /// The OS's error. When it says the process is out of a resource (`EMFILE`: too many open
    /// files; `ENFILE`, `ENOBUFS`, `ENOMEM`), the connection stays queued and the listener
    /// keeps working: the next `accept` first pauses (1 ms, doubling up to 1 s while the
    /// errors go on), so a loop that logs the error and accepts again does not spin. The pause
    /// ends at an instant kept on the listener: an `accept` cancelled mid-pause (under a
    /// shorter `timeout`, say) does not restart it.
    #[track_caller]
    pub fn accept(&self) -> impl Future<Output = io::Result<(TcpStream, SocketAddr)>> + '_ {
        crate::wait_site::sited("TcpListener::accept", async move {
            let accept = self.inner.io(Direction::Read, |listener| listener.accept());
            let (stream, addr) = self.pause.accept(accept).await?;
            Ok((TcpStream::register(stream)?, addr))
        })
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// Sets the time-to-live of the packets the accepted sockets send (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// The time-to-live set by [`set_ttl`](TcpListener::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Takes the socket off the loop and gives it back as a std listener, still in
    /// non-blocking mode (as tokio's `into_std`): call `set_nonblocking(false)` to block.
    pub fn into_std(self) -> io::Result<net::TcpListener> {
        Ok(self.inner.into_inner()?.into())
    }
}

/// A socket bound to `addr` and listening with [`BACKLOG`], with the options std's `bind`
/// sets (`SO_REUSEADDR` on unix, so a restarted server can bind while old connections linger).
fn listen(addr: SocketAddr) -> io::Result<net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}

/// A TCP connection (asyncio's `StreamReader`/`StreamWriter` pair). Reads and writes wait
/// without blocking the loop.
///
/// The methods take `&self`, so one task may read while another writes to the same stream.
/// Two tasks writing at once may interleave their bytes: a `write_all` is as many writes as
/// the socket's buffer needs, and another task's can come between them. Have one task write
/// (the others send it what to write, through a `sync::Queue`), as asyncio's one
/// `StreamWriter` per connection does.
/// It implements `futures_io::AsyncRead`/`AsyncWrite` (and tokio's and hyper's traits with
/// their features), for `TcpStream` and `&TcpStream`:
///
/// ```
/// use futures_io::{AsyncRead, AsyncWrite};
/// use jobloop_runtime::net::TcpStream;
///
/// fn codec_input(_: impl AsyncRead + AsyncWrite + Unpin) {}
/// fn takes(stream: TcpStream) {
///     codec_input(&stream);
///     codec_input(stream);
/// }
/// ```
pub struct TcpStream {
    inner: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects without blocking the loop (asyncio's `open_connection`): a host name is
    /// resolved on the blocking pool, then each of its addresses is tried in turn until one
    /// connects; the other tasks run meanwhile.
    ///
    /// # Errors
    ///
    /// An error naming the host when it does not resolve; the OS's error for the last address
    /// tried (such as `ConnectionRefused`); or an error of kind `Other` when this thread's
    /// runtime has no reactor jobloop reaches. Each stream holds a file descriptor: a process
    /// out of them (`ulimit -n`, often 1024) gets "Too many open files" (`EMFILE`, raw OS error
    /// 24) at once, for every connect until streams are dropped. Under `tasks![limit = N; ...]`
    /// a task that gets it ends at once and the next one starts, so keep `N` well below that
    /// limit.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let addrs = addr.to_addrs()?.resolve().await?;
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_one(addr).await {
                Ok(stream) => return Ok(stream),
                Err(error) => last = Some(error),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
        }))
    }

    async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::register(mio::net::TcpStream::connect(addr)?)?;
        // A non-blocking connect is done, made or failed, when the socket becomes writable;
        // then the socket's error says which (as tokio does it, and as mio's emulation of
        // readiness on Windows needs: it reports writable once).
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
    pub fn from_std(stream: net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::register(mio::net::TcpStream::from_std(stream))
    }

    fn register(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            inner: Registered::new(stream)?,
        })
    }

    /// Reads into `buf`; returns how many bytes were read, 0 at the end of the stream.
    ///
    /// # Errors
    ///
    /// The OS's error, such as `ConnectionReset` when the peer reset the connection.
    #[track_caller]
    pub fn read<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited("TcpStream::read", self.inner.read(buf))
    }

    /// Reads until the peer closes its side; appends to `buf` and returns how many bytes.
    ///
    /// # Errors
    ///
    /// As [`read`](TcpStream::read); the bytes read before the error stay in `buf`.
    #[track_caller]
    pub fn read_to_end<'a>(
        &'a self,
        buf: &'a mut Vec<u8>,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited("TcpStream::read_to_end", self.inner.read_to_end(buf))
    }

    /// Reads into `buf` without taking the bytes off the stream: the next read sees them
    /// again. Waits while nothing has arrived.
    ///
    /// # Errors
    ///
    /// As [`read`](TcpStream::read).
    #[track_caller]
    pub fn peek<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited(
            "TcpStream::peek",
            self.inner
                .io(Direction::Read, move |stream| stream.peek(buf)),
        )
    }

    /// Writes some of `buf`; returns how many bytes were written.
    ///
    /// # Errors
    ///
    /// The OS's error, such as `BrokenPipe` or `ConnectionReset` when the peer is gone.
    #[track_caller]
    pub fn write<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited("TcpStream::write", self.inner.write(buf))
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`write`](TcpStream::write), or `WriteZero` when the OS accepts no byte.
    #[track_caller]
    pub fn write_all<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<()>> + 'a {
        crate::wait_site::sited("TcpStream::write_all", self.inner.write_all(buf))
    }

    /// Shuts down the read half, the write half or both (see [`std::net::TcpStream::shutdown`]).
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

    /// Turns Nagle's algorithm off (`true`) or on (`TCP_NODELAY`): with it off, small writes
    /// leave at once instead of waiting to be merged.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.get_ref().set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off (see [`set_nodelay`](TcpStream::set_nodelay)).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.get_ref().nodelay()
    }

    /// Sets the time-to-live of the packets this socket sends (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// The time-to-live set by [`set_ttl`](TcpStream::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.get_ref().ttl()
    }

    /// Takes the socket off the loop and gives it back as a std stream, still in non-blocking
    /// mode (as tokio's `into_std`): call `set_nonblocking(false)` to block.
    pub fn into_std(self) -> io::Result<net::TcpStream> {
        Ok(self.inner.into_inner()?.into())
    }
}

super::impl_stream_io!(read TcpStream);
super::impl_stream_io!(write TcpStream, |stream: &mio::net::TcpStream| stream.shutdown(Shutdown::Write));

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}

/// The raw descriptors, for socket options jobloop does not wrap (with `socket2::SockRef`).
macro_rules! impl_fd {
    ($($ty:ty),*) => {$(
        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.inner.get_ref().as_raw_fd()
            }
        }
        #[cfg(unix)]
        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.inner.get_ref().as_fd()
            }
        }
        #[cfg(windows)]
        impl std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> std::os::windows::io::RawSocket {
                self.inner.get_ref().as_raw_socket()
            }
        }
        #[cfg(windows)]
        impl std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> std::os::windows::io::BorrowedSocket<'_> {
                self.inner.get_ref().as_socket()
            }
        }
    )*};
}

impl_fd!(TcpListener, TcpStream, super::UdpSocket);
