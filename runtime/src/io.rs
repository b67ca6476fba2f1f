//! Buffered and line-oriented reading and writing (feature `io`): asyncio's `readline`,
//! `readuntil`, `readexactly`, `write` and `drain`, on every stream jobloop has
//! (`net::TcpStream`, `net::UnixStream` and their `&` halves, a child's pipes) and on any other
//! type with the ecosystem's poll-based traits ([`AsyncRead`], [`AsyncWrite`]), on every runtime.
//!
//! The buffers and the extension traits are futures-lite's, re-exported under their own names:
//! [`BufReader`], [`BufWriter`], [`AsyncBufReadExt`] (`read_line`, `lines`, `read_until`,
//! `split`), [`AsyncReadExt`] (`read_exact`, `read_to_end`, `read_to_string`), [`AsyncWriteExt`]
//! (`write_all`, `flush`, `close`), and [`copy`]. [`StreamExt`] gives `lines()`'s stream its
//! `next`. [`stdin`], [`stdout`] and [`stderr`] are the process's standard streams, read and
//! written on a thread of their own (blocking's pool), so that the loop goes on meanwhile.
//!
//! | asyncio | jobloop |
//! |---|---|
//! | `line = await reader.readline()` | `reader.read_line(&mut line).await?` on a [`BufReader`] (the line keeps its `\n`; 0 bytes read is the end) |
//! | `async for line in reader:` | `let mut lines = BufReader::new(reader).lines();` then `while let Some(line) = lines.next().await { let line = line?; ... }` (without the `\n`) |
//! | `await reader.readuntil(b";")` | `reader.read_until(b';', &mut buf).await?` |
//! | `await reader.readexactly(n)` | `reader.read_exact(&mut buf[..n]).await?` (an `UnexpectedEof` error if the stream ends first) |
//! | `await reader.read()` | `reader.read_to_end(&mut buf).await?` |
//! | `writer.write(data)`, `await writer.drain()` | `writer.write_all(data).await?`; `writer.flush().await?` on a [`BufWriter`] |
//! | `writer.close()`, `await writer.wait_closed()` | `writer.close().await?` |
//! | `loop.connect_read_pipe(...)` on `sys.stdin` | `BufReader::new(jobloop::io::stdin()).lines()` |
//!
//! **Lines from a peer you do not trust.** `read_line`, `read_until` and `lines` have no length
//! limit: a line without its `\n` grows the buffer for as long as the peer sends. asyncio's
//! `StreamReader` stops at its limit (64 KiB by default): so does
//! [`lines_with_limit`]`(BufReader::new(&stream), 64 * 1024)`, whose line too long is an error
//! of kind `InvalidData` that ends its stream. And `read_line` and `lines` give `String`s: a line
//! that is not UTF-8 is an error of kind `InvalidData`, where asyncio reads bytes. For bytes with
//! a limit, read each line through a [`Take`] of the `BufReader` itself, one byte over the
//! limit: a line that ends with `\n` is whole, one of `LIMIT + 1` bytes without it is too long,
//! and a shorter one without it is the last (the `Take` counts the bytes of this line, where one
//! over the stream would count what the `BufReader` reads ahead).
//!
//! ```
//! use jobloop_runtime::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
//!
//! # jobloop_runtime::EventLoop::new().block_on(async {
//! const LIMIT: u64 = 8;
//! let mut reader = BufReader::new(&b"a line\nmuch too long\n"[..]);
//! let mut line = Vec::new();
//! (&mut reader).take(LIMIT + 1).read_until(b'\n', &mut line).await?;
//! assert_eq!(line, b"a line\n"); // whole
//! line.clear();
//! (&mut reader).take(LIMIT + 1).read_until(b'\n', &mut line).await?;
//! assert_eq!(line, b"much too "); // `LIMIT + 1` bytes and no `\n`: too long
//! # std::io::Result::Ok(()) }).unwrap();
//! ```
//!
//! A line server, as asyncio's streams write it (`net` and `io`): each client's lines are read
//! through a [`BufReader`] over `&stream` while the same stream is written.
//!
//! ```
//! # #[cfg(feature = "net")] {
//! use jobloop_runtime::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, StreamExt};
//! use jobloop_runtime::net::{TcpListener, TcpStream};
//! use jobloop_runtime::{spawn, EventLoop};
//!
//! EventLoop::new().block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0")?;
//!     let address = listener.local_addr()?;
//!     let server = spawn(async move {
//!         let (stream, _) = listener.accept().await?;
//!         let mut lines = BufReader::new(&stream).lines();
//!         while let Some(line) = lines.next().await {
//!             let reply = format!("{}\n", line?.to_uppercase());
//!             stream.write_all(reply.as_bytes()).await?;
//!         }
//!         std::io::Result::Ok(())
//!     });
//!     let client = TcpStream::connect(address).await?;
//!     client.write_all(b"hello\nworld\n").await?;
//!     client.shutdown(std::net::Shutdown::Write)?;
//!     let mut reader = BufReader::new(&client);
//!     let mut line = String::new();
//!     reader.read_line(&mut line).await?;
//!     assert_eq!(line, "HELLO\n");
//!     line.clear();
//!     reader.read_line(&mut line).await?;
//!     assert_eq!(line, "WORLD\n");
//!     server.await?;
//!     std::io::Result::Ok(())
//! })
//! .unwrap();
//! # }
//! ```

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use blocking::Unblock;

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
pub use futures_lite::io::{
    copy, empty, repeat, sink, split, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader,
    BufWriter, Bytes, Cursor, Lines, ReadHalf, Split, Take, WriteHalf,
};
pub use futures_lite::stream::StreamExt;
pub use lines::{lines_with_limit, LineTooLong, LinesWithLimit};

mod lines;

/// How much of a standard stream is read ahead of the program, or written behind it, on the
/// thread that does it: 64 KiB, as asyncio's `StreamReader` limit (blocking's default of 8 MiB
/// would read a large input into memory long before a program that takes a line at a time
/// asks for it).
const STDIO_BUFFER: usize = 64 * 1024;

/// The process's standard input, read on a thread of its own: [`stdin`].
pub struct Stdin(Unblock<io::Stdin>);

/// The process's standard output, written on a thread of its own: [`stdout`]. Its writes are
/// buffered: `flush().await` before it is dropped, or what is left in the buffer is lost.
pub struct Stdout(Unblock<io::Stdout>);

/// The process's standard error, written on a thread of its own: [`stderr`]. As [`Stdout`],
/// flush it before it is dropped.
pub struct Stderr(Unblock<io::Stderr>);

/// The process's standard input, for reading without blocking the loop (a thread of blocking's
/// pool does the reading, at most 64 KiB ahead of the program), on any runtime. Wrap it in a
/// [`BufReader`] for lines. Make one and keep it: a dropped `Stdin` may leave a read waiting
/// on the pool, and its bytes are lost. A `Lines` stream's `next()` loses nothing when it is
/// dropped (a race's loser, `TaskSet::next_or`): the line read so far stays in the stream.
///
/// ```no_run
/// use jobloop_runtime::io::{stdin, AsyncBufReadExt, BufReader, StreamExt};
///
/// # jobloop_runtime::EventLoop::new().block_on(async {
/// let mut lines = BufReader::new(stdin()).lines();
/// while let Some(line) = lines.next().await {
///     println!("read: {}", line?);
/// }
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn stdin() -> Stdin {
    Stdin(Unblock::with_capacity(STDIO_BUFFER, io::stdin()))
}

/// The process's standard output, for writing without blocking the loop (a thread of
/// blocking's pool does the writing, at most 64 KiB behind the program), on any runtime.
/// `flush().await` before it is dropped: what its buffer still holds is lost with it. Lines
/// written with `println!` (or `std::io::stdout()`, as in a `Drop`, which cannot await) go out
/// at once, so they may come before lines written here earlier and not flushed yet: flush
/// before such a write, or use one of the two for a program's output. `println!` blocks the
/// loop while the reader is slow, which this does not.
///
/// A closed pipe (`tool | head -3`, once `head` has exited) is an `Err` of kind `BrokenPipe`
/// from a later `write_all` or from `flush`, where `println!` would panic: end the program
/// quietly there, as a Python tool catches `BrokenPipeError`.
///
/// ```
/// use jobloop_runtime::io::{stdout, AsyncWriteExt};
///
/// # jobloop_runtime::EventLoop::new().block_on(async {
/// let mut out = stdout();
/// out.write_all(b"hello\n").await?;
/// out.flush().await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn stdout() -> Stdout {
    Stdout(Unblock::with_capacity(STDIO_BUFFER, io::stdout()))
}

/// The process's standard error, as [`stdout`].
pub fn stderr() -> Stderr {
    Stderr(Unblock::with_capacity(STDIO_BUFFER, io::stderr()))
}

impl AsyncRead for Stdin {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

/// `AsyncWrite` for a standard stream, through its `Unblock`.
macro_rules! write_through {
    ($ty:ty) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let written = ready!(Pin::new(&mut self.0).poll_write(cx, buf))?;
                if written == 0 && !buf.is_empty() {
                    // The thread that writes stopped on an error (a closed pipe), and the
                    // buffer takes nothing more: its flush gives that error, which a caller
                    // acts on (`BrokenPipe`), where `Ok(0)` would be `WriteZero`.
                    ready!(Pin::new(&mut self.0).poll_flush(cx))?;
                }
                Poll::Ready(Ok(written))
            }

            fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.0).poll_flush(cx)
            }

            fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Pin::new(&mut self.0).poll_close(cx)
            }
        }
    };
}

write_through!(Stdout);
write_through!(Stderr);

impl std::fmt::Debug for Stdin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stdin")
    }
}

impl std::fmt::Debug for Stdout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stdout")
    }
}

impl std::fmt::Debug for Stderr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stderr")
    }
}
