//! The poll-based I/O traits of the ecosystem, for the loop's streams (TCP, Unix, a child's
//! pipes): `futures_io::AsyncRead`/`AsyncWrite` always, tokio's with the feature `tokio`,
//! hyper's with the feature `hyper`. One macro implements them all on a type whose field
//! `inner` is a `Registered<S>` with `&S: Read + Write` (or only one of them).

/// `impl_stream_io!(read Type);`, `impl_stream_io!(write Type, close);` or both: the poll-based
/// traits over `self.inner`. `close` is what `poll_close`/`poll_shutdown` does: a function of
/// `&S` that returns `io::Result<()>`.
macro_rules! impl_stream_io {
    (read $ty:ty) => {
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$ty = self.get_mut();
                this.poll_read_into(cx, buf)
            }
        }

        impl futures_io::AsyncRead for &$ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$ty = self.get_mut();
                this.poll_read_into(cx, buf)
            }
        }

        impl $ty {
            fn poll_read_into(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read(cx, buf)
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let this: &$ty = self.get_mut();
                let unfilled = buf.initialize_unfilled();
                match this.poll_read_into(cx, unfilled) {
                    std::task::Poll::Ready(Ok(n)) => {
                        buf.advance(n);
                        std::task::Poll::Ready(Ok(()))
                    }
                    std::task::Poll::Ready(Err(error)) => std::task::Poll::Ready(Err(error)),
                    std::task::Poll::Pending => std::task::Poll::Pending,
                }
            }
        }

        #[cfg(feature = "hyper")]
        impl ::hyper::rt::Read for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                mut buf: ::hyper::rt::ReadBufCursor<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let this: &$ty = self.get_mut();
                // SAFETY: the slice is only written to: the source's `read` is the OS's
                // `read`/`recv`, which stores bytes and never reads the buffer; the bytes
                // it stored, and only those, are marked filled by `advance` below.
                #[allow(unsafe_code)]
                let unfilled = unsafe {
                    let uninit = buf.as_mut();
                    &mut *(uninit as *mut [std::mem::MaybeUninit<u8>] as *mut [u8])
                };
                match this.poll_read_into(cx, unfilled) {
                    std::task::Poll::Ready(Ok(n)) => {
                        // SAFETY: `read` initialized the first `n` bytes of the slice.
                        #[allow(unsafe_code)]
                        unsafe {
                            buf.advance(n)
                        };
                        std::task::Poll::Ready(Ok(()))
                    }
                    std::task::Poll::Ready(Err(error)) => std::task::Poll::Ready(Err(error)),
                    std::task::Poll::Pending => std::task::Poll::Pending,
                }
            }
        }
    };
    (write $ty:ty, $close:expr) => {
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$ty = self.get_mut();
                this.poll_write_from(cx, buf)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(($close)(self.inner.get_ref()))
            }
        }

        impl futures_io::AsyncWrite for &$ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$ty = self.get_mut();
                this.poll_write_from(cx, buf)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(($close)(self.inner.get_ref()))
            }
        }

        impl $ty {
            fn poll_write_from(
                &self,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                use std::io::Write as _;
                self.inner.poll_io(
                    $crate::event_loop::reactor::Direction::Write,
                    cx,
                    |mut source| source.write(buf),
                )
            }
        }

        #[cfg(feature = "tokio")]
        impl tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$ty = self.get_mut();
                this.poll_write_from(cx, buf)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(($close)(self.inner.get_ref()))
            }
        }

        #[cfg(feature = "hyper")]
        impl ::hyper::rt::Write for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let this: &$ty = self.get_mut();
                this.poll_write_from(cx, buf)
            }
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(($close)(self.inner.get_ref()))
            }
        }
    };
}

pub(crate) use impl_stream_io;
