//! Lines with a length limit: asyncio's `StreamReader(limit=...)`, for lines from a peer you do
//! not trust.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use futures_io::AsyncBufRead;

/// The lines of `reader`, as [`lines`](super::AsyncBufReadExt::lines) gives them (without their
/// `\n` or `\r\n`, each an `io::Result<String>`), but none longer than `limit` bytes: a line that
/// has more than `limit` bytes before its `\n` (a `\r` there counts, as in asyncio) is an error
/// of kind `InvalidData` whose inner error is a [`LineTooLong`] (asyncio's `LimitOverrunError`),
/// and the stream ends there. However long the line the peer sends, the memory it takes stays
/// bounded: the line's buffer grows to `limit + 1` bytes at most (its capacity to about twice
/// that), beside the reader's own buffer (asyncio's `readline` stops at its reader's limit, 64
/// KiB by default, where [`lines`](super::AsyncBufReadExt::lines) and `read_line` would grow
/// their buffer for as long as the peer sends). `usize::MAX` is no limit.
///
/// As with `lines`, a line that is not UTF-8 is an error of kind `InvalidData` (that line is
/// skipped and the stream goes on; tell the two apart with
/// `error.get_ref().is_some_and(|inner| inner.is::<LineTooLong>())`), the last line may lack its
/// `\n`, and a `next()` dropped before it finished (a race's loser) loses nothing: the part of a
/// line read so far stays in the stream.
///
/// ```
/// use jobloop_runtime::io::{lines_with_limit, BufReader, LineTooLong, StreamExt};
///
/// # jobloop_runtime::EventLoop::new().block_on(async {
/// // A peer's input: a short line, then one of 100 000 bytes.
/// let input = format!("hello\n{}\nnever read\n", "x".repeat(100_000));
/// let mut lines = lines_with_limit(BufReader::new(input.as_bytes()), 64 * 1024);
/// assert_eq!(lines.next().await.unwrap().unwrap(), "hello");
/// let error = lines.next().await.unwrap().unwrap_err();
/// assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
/// assert_eq!(error.to_string(), "a line longer than 65536 bytes");
/// assert!(error.get_ref().is_some_and(|inner| inner.is::<LineTooLong>()));
/// assert!(lines.next().await.is_none());
/// # });
/// ```
pub fn lines_with_limit<R: AsyncBufRead>(reader: R, limit: usize) -> LinesWithLimit<R> {
    LinesWithLimit {
        reader,
        line: Vec::new(),
        limit,
        ended: false,
    }
}

pin_project_lite::pin_project! {
    /// The stream of [`lines_with_limit`]: `next().await` (with
    /// [`StreamExt`](super::StreamExt)) gives the next line.
    #[derive(Debug)]
    pub struct LinesWithLimit<R> {
        #[pin]
        reader: R,
        // The part of the current line read so far, at most `limit + 1` bytes.
        line: Vec<u8>,
        limit: usize,
        // After the end of the input or a line too long: nothing more.
        ended: bool,
    }
}

impl<R> LinesWithLimit<R> {
    /// The reader the lines come from (after a line too long, it is somewhere in that line).
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: AsyncBufRead> Stream for LinesWithLimit<R> {
    type Item = io::Result<String>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut this = self.project();
        if *this.ended {
            return Poll::Ready(None);
        }
        loop {
            let available = match ready!(this.reader.as_mut().poll_fill_buf(cx)) {
                Ok(available) => available,
                Err(error) => return Poll::Ready(Some(Err(error))),
            };
            if available.is_empty() {
                // The end of the input: its last line, if it did not end with `\n`.
                *this.ended = true;
                if this.line.is_empty() {
                    return Poll::Ready(None);
                }
                return Poll::Ready(Some(into_line(std::mem::take(this.line), false)));
            }
            // At most one byte past the limit is looked at: the `\n` that ends a line of
            // exactly `limit` bytes, or the byte that makes the line too long.
            let room = (*this.limit - this.line.len()).saturating_add(1);
            let looked = &available[..available.len().min(room)];
            match looked.iter().position(|&byte| byte == b'\n') {
                Some(end) => {
                    this.line.extend_from_slice(&looked[..end]);
                    this.reader.as_mut().consume(end + 1);
                    return Poll::Ready(Some(into_line(std::mem::take(this.line), true)));
                }
                None => {
                    let taken = looked.len();
                    this.line.extend_from_slice(looked);
                    this.reader.as_mut().consume(taken);
                    if this.line.len() > *this.limit {
                        *this.ended = true;
                        *this.line = Vec::new();
                        let too_long = LineTooLong { limit: *this.limit };
                        return Poll::Ready(Some(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            too_long,
                        ))));
                    }
                }
            }
        }
    }
}

/// The error inside the `io::Error` of [`lines_with_limit`] for a line longer than its limit
/// (kind `InvalidData`, as a line that is not UTF-8): `error.get_ref()` tells the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    limit: usize,
}

impl LineTooLong {
    /// The limit the line went over, in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a line longer than {} bytes", self.limit)
    }
}

impl std::error::Error for LineTooLong {}

/// `line` as a `String`, without the `\r` of its `\r\n` when it `ended` with `\n` (as `lines`
/// does: a last line without `\n` keeps its `\r`).
fn into_line(mut line: Vec<u8>, ended: bool) -> io::Result<String> {
    if ended && line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{BufReader, StreamExt};

    /// The lines of `input` read through a buffer of `capacity` bytes, with `limit`.
    fn read(input: &[u8], capacity: usize, limit: usize) -> Vec<Result<String, String>> {
        let reader = BufReader::with_capacity(capacity, input);
        let lines = lines_with_limit(reader, limit);
        futures_lite::future::block_on(lines.map(|line| line.map_err(|e| e.to_string())).collect())
    }

    #[test]
    fn lines_within_the_limit_are_read_as_lines_reads_them() {
        for capacity in [1, 3, 64] {
            assert_eq!(
                read(b"one\r\ntwo\n\nlast", capacity, 4),
                [
                    Ok("one".into()),
                    Ok("two".into()),
                    Ok("".into()),
                    Ok("last".into())
                ],
                "a buffer of {capacity}"
            );
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_read_and_one_byte_more_ends_the_stream() {
        for capacity in [1, 2, 5, 64] {
            assert_eq!(
                read(b"abcd\nab", capacity, 4),
                [Ok("abcd".into()), Ok("ab".into())]
            );
            assert_eq!(
                read(b"ab\nabcde\nab\n", capacity, 4),
                [Ok("ab".into()), Err("a line longer than 4 bytes".into())],
                "a buffer of {capacity}"
            );
            // A last line without `\n`, too long.
            assert_eq!(
                read(b"abcde", capacity, 4),
                [Err("a line longer than 4 bytes".into())]
            );
        }
    }

    #[test]
    fn a_line_too_long_and_one_not_utf8_are_told_apart_by_their_inner_error() {
        let reader = BufReader::new(&b"\xff\nabcdef\n"[..]);
        let errors: Vec<io::Error> = futures_lite::future::block_on(
            lines_with_limit(reader, 4)
                .filter_map(Result::err)
                .collect(),
        );
        let too_long = |error: &io::Error| error.get_ref().is_some_and(|e| e.is::<LineTooLong>());
        assert_eq!(errors.len(), 2);
        assert!(!too_long(&errors[0]), "{}", errors[0]);
        assert!(too_long(&errors[1]), "{}", errors[1]);
        let inner = errors[1]
            .get_ref()
            .and_then(|e| e.downcast_ref::<LineTooLong>());
        assert_eq!(inner.map(LineTooLong::limit), Some(4));
    }

    #[test]
    fn no_limit_is_usize_max_and_a_last_line_keeps_its_carriage_return() {
        assert_eq!(
            read(b"a\r\nb\r", 2, usize::MAX),
            [Ok("a".into()), Ok("b\r".into())]
        );
    }

    #[test]
    fn a_line_that_is_not_utf8_is_an_error_and_the_next_one_is_read() {
        assert_eq!(
            read(b"\xff\xfe\nok\n", 8, 16),
            [
                Err("stream did not contain valid UTF-8".into()),
                Ok("ok".into())
            ]
        );
    }
}
