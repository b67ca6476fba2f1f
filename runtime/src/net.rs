//! Networking: TCP, UDP and (on unix) Unix sockets, on the embedded event loop and, on unix,
//! on tokio and smol. A task that waits on a socket lets the other tasks run.
//!
//! | asyncio | jobloop |
//! |---|---|
//! | `asyncio.open_connection(host, port)` | [`TcpStream::connect`]`((host, port))` |
//! | `asyncio.start_server(handler, host, port)` | [`TcpListener::bind`] + [`accept`](TcpListener::accept) in a loop, [`spawn`](crate::spawn) per client |
//! | `loop.create_datagram_endpoint(...)` | [`UdpSocket::bind`] |
//! | `asyncio.open_unix_connection(path)` | `UnixStream::connect(path)` (unix) |
//! | `asyncio.start_unix_server(handler, path)` | `UnixListener::bind(path)` (unix) |
//!
//! The streams have `async fn` methods (`read`, `write_all`, ...) and implement the ecosystem's
//! poll-based traits, so codecs, TLS and HTTP crates run over them: `futures_io::AsyncRead` and
//! `AsyncWrite` always, tokio's `AsyncRead`/`AsyncWrite` with the feature `tokio`, and hyper's
//! `rt::Read`/`rt::Write` with the feature `hyper`. Both are implemented for `&TcpStream` as
//! well, so one task may read while another writes to the same stream. For lines and buffers
//! (asyncio's `readline`), wrap a stream or `&stream` in `io::BufReader` (feature `io`).
//!
//! A socket registers with the reactor of the runtime running when it is created: the embedded
//! loop's own (over [`mio`](https://docs.rs/mio)), tokio's (`AsyncFd`, feature `tokio`) or smol's
//! (async-io's `Async`, feature `smol`); the adapters' on unix only. The types are not `Send`: on
//! a multi-threaded runtime, use them in tasks that stay on their thread (`main`, `spawn`, plain
//! `tasks![]`). Under a runtime of your own (the `Runtime` trait) making one is an error: use
//! that runtime's I/O types.
//!
//! ```
//! use jobloop_runtime::net::{TcpListener, TcpStream};
//! use jobloop_runtime::{spawn, EventLoop};
//!
//! EventLoop::new().block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").unwrap();
//!     let port = listener.local_addr().unwrap().port();
//!     let server = spawn(async move {
//!         let (stream, _) = listener.accept().await.unwrap();
//!         stream.write_all(b"hello").await.unwrap();
//!     });
//!     // A host name is resolved without blocking the loop.
//!     let client = TcpStream::connect(("localhost", port)).await.unwrap();
//!     let mut reply = Vec::new();
//!     client.read_to_end(&mut reply).await.unwrap();
//!     assert_eq!(reply, b"hello");
//!     server.await;
//! });
//! ```

// The registration with a runtime's reactor and the poll-based I/O traits are what a child's
// pipes share with the sockets (feature `process`); the sockets are the feature `net`.
pub(crate) mod source;
mod stream_io;

#[cfg(feature = "net")]
mod accept_pause;
#[cfg(feature = "net")]
mod addr;
#[cfg(feature = "net")]
mod tcp;
#[cfg(feature = "net")]
mod udp;
#[cfg(all(unix, feature = "net"))]
mod unix;

#[cfg(feature = "net")]
pub use addr::ToSocketAddrs;
#[cfg(feature = "net")]
pub use tcp::{TcpListener, TcpStream};
#[cfg(feature = "net")]
pub use udp::UdpSocket;
#[cfg(all(unix, feature = "net"))]
pub use unix::{UnixListener, UnixStream};

pub(crate) use stream_io::impl_stream_io;
