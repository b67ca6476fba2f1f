//! [`UdpSocket`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{self, SocketAddr};

use super::source::{Direction, Registered};

/// A UDP socket (asyncio's `create_datagram_endpoint`): datagrams sent and received without
/// blocking the loop. `bind` and `connect` are synchronous, as std's.
///
/// A datagram longer than the buffer given to [`recv_from`](UdpSocket::recv_from) or
/// [`recv`](UdpSocket::recv) is cut to the buffer's length and the rest discarded, as the OS
/// and std do: give a buffer as long as the longest datagram (65 507 bytes holds any IPv4
/// one).
///
/// ```
/// use jobloop_runtime::net::UdpSocket;
/// use jobloop_runtime::EventLoop;
///
/// EventLoop::new().block_on(async {
///     let server = UdpSocket::bind("127.0.0.1:0").unwrap();
///     let client = UdpSocket::bind("127.0.0.1:0").unwrap();
///     client.connect(server.local_addr().unwrap()).unwrap();
///     client.send(b"ping").await.unwrap();
///     let mut buf = [0; 64];
///     let (n, from) = server.recv_from(&mut buf).await.unwrap();
///     assert_eq!((&buf[..n], from), (&b"ping"[..], client.local_addr().unwrap()));
/// });
/// ```
pub struct UdpSocket {
    pub(super) inner: Registered<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds to `addr` (as [`std::net::UdpSocket::bind`]) and registers the socket with the
    /// current event loop. Use port 0 to let the OS pick a free port.
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when this thread's runtime has no reactor jobloop
    /// reaches (see [the module](crate::net)).
    pub fn bind(addr: impl net::ToSocketAddrs) -> io::Result<UdpSocket> {
        UdpSocket::from_std(net::UdpSocket::bind(addr)?)
    }

    /// Wraps a std socket, putting it in non-blocking mode.
    ///
    /// # Errors
    ///
    /// The OS's error, or an error of kind `Other` when this thread's runtime has no reactor jobloop
    /// reaches (see [the module](crate::net)).
    pub fn from_std(socket: net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        Ok(UdpSocket {
            inner: Registered::new(mio::net::UdpSocket::from_std(socket))?,
        })
    }

    /// Sets the only peer [`send`](UdpSocket::send) sends to and [`recv`](UdpSocket::recv)
    /// receives from (as [`std::net::UdpSocket::connect`]; no packet is sent).
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.get_ref().connect(addr)
    }

    /// Sends `buf` as one datagram to `target`; returns how many bytes were sent.
    #[track_caller]
    pub fn send_to<'a>(
        &'a self,
        buf: &'a [u8],
        target: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited(
            "UdpSocket::send_to",
            self.inner
                .io(Direction::Write, move |socket| socket.send_to(buf, target)),
        )
    }

    /// Waits for a datagram; returns its length (at most `buf`'s) and where it came from.
    #[track_caller]
    pub fn recv_from<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + 'a {
        crate::wait_site::sited(
            "UdpSocket::recv_from",
            self.inner
                .io(Direction::Read, move |socket| socket.recv_from(buf)),
        )
    }

    /// Sends `buf` as one datagram to the peer set by [`connect`](UdpSocket::connect).
    #[track_caller]
    pub fn send<'a>(&'a self, buf: &'a [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited(
            "UdpSocket::send",
            self.inner
                .io(Direction::Write, move |socket| socket.send(buf)),
        )
    }

    /// Waits for a datagram from the peer set by [`connect`](UdpSocket::connect).
    #[track_caller]
    pub fn recv<'a>(&'a self, buf: &'a mut [u8]) -> impl Future<Output = io::Result<usize>> + 'a {
        crate::wait_site::sited(
            "UdpSocket::recv",
            self.inner
                .io(Direction::Read, move |socket| socket.recv(buf)),
        )
    }

    /// The address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The peer set by [`connect`](UdpSocket::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// Lets the socket send to broadcast addresses (`SO_BROADCAST`).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.get_ref().set_broadcast(on)
    }

    /// Sets the time-to-live of the packets this socket sends (`IP_TTL`).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.get_ref().set_ttl(ttl)
    }

    /// Takes the socket off the loop and gives it back as a std socket, still in non-blocking
    /// mode: call `set_nonblocking(false)` to block.
    pub fn into_std(self) -> io::Result<net::UdpSocket> {
        Ok(self.inner.into_inner()?.into())
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.get_ref().fmt(f)
    }
}
