//! TCP on the embedded event loop: a task that waits on a socket lets the other tasks run.
//!
//! These types belong to the event loop that was running when they were created and are not
//! `Send`. They are the loop's own small I/O layer over [`mio`](https://docs.rs/mio)'s sockets;
//! under another runtime, use that runtime's I/O types.
//!
//! ```
//! use jobloop_runtime::net::{TcpListener, TcpStream};
//! use jobloop_runtime::{spawn, EventLoop};
//!
//! EventLoop::new().block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     let server = spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         stream.write_all(b"hello").await.unwrap();
//!     });
//!     let client = TcpStream::connect(addr).await.unwrap();
//!     let mut reply = Vec::new();
//!     client.read_to_end(&mut reply).await.unwrap();
//!     assert_eq!(reply, b"hello");
//!     server.await;
//! });
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{self, Shutdown, SocketAddr, ToSocketAddrs};

use crate::event_loop::reactor::{Direction, Registered};

/// A TCP socket server, listening for connections.
pub struct TcpListener {
    inner: Registered<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds to `addr` (as [`std::net::TcpListener::bind`]) and registers the socket with the
    /// current event loop. Use port 0 to let the OS pick a free port.
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when no event loop runs on this thread.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let listener = net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(TcpListener {
            inner: Registered::new(mio::net::TcpListener::from_std(listener))?,
        })
    }

    /// Waits for the next connection; other tasks run meanwhile.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (stream, addr) = self
            .inner
            .io(Direction::Read, |listener| listener.accept())
            .await?;
        Ok((TcpStream::register(stream)?, addr))
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}

/// A TCP connection. Reads and writes wait without blocking the loop.
///
/// The methods take `&self`, so one task may read while another writes to the same stream.
pub struct TcpStream {
    inner: Registered<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr` without blocking the loop: the task waits while the connection is
    /// made, and the other tasks run meanwhile.
    ///
    /// # Errors
    ///
    /// The OS's error (such as `ConnectionRefused`), or an error of kind `Other` when no event
    /// loop runs on this thread.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let stream = TcpStream::register(mio::net::TcpStream::connect(addr)?)?;
        // A non-blocking connect is done, made or failed, when the socket becomes writable;
        // then the socket's error says which (as tokio does it, and as mio's emulation of
        // readiness on Windows needs: it reports writable once).
        stream.inner.ready(Direction::Write).await;
        if let Some(error) = stream.inner.get_ref().take_error()? {
            return Err(error);
        }
        Ok(stream)
    }

    /// Wraps a connected std stream, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when no event loop runs on this thread.
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
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner
            .io(Direction::Read, |mut stream| stream.read(buf))
            .await
    }

    /// Reads until the peer closes its side; appends to `buf` and returns how many bytes.
    pub async fn read_to_end(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let mut chunk = [0u8; 4096];
        loop {
            match self.read(&mut chunk).await? {
                0 => return Ok(buf.len() - start),
                n => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Writes some of `buf`; returns how many bytes were written.
    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner
            .io(Direction::Write, |mut stream| stream.write(buf))
            .await
    }

    /// Writes all of `buf`.
    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
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
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}
