//! The I/O reactor: sockets registered with the loop's OS poller, and the tasks waiting on them.
//!
//! Interest is one-shot (polling's default mode): a task that got `WouldBlock` registers its
//! waker and the direction it waits for; when the OS reports the socket ready, the reactor wakes
//! the waiting tasks and forgets the interest, and a task that is still blocked registers again.
//! Registering re-arms the poller, which reports a socket that became ready in between at once,
//! so no readiness is lost between the failed attempt and the registration.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use polling::{Event, Events, Poller};

use crate::context;
use crate::event_loop::LoopCore;

/// A direction a task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// The reactor's per-socket state.
#[derive(Default)]
struct Source {
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// Readiness reported by the OS and not yet consumed, per direction.
    read_ready: bool,
    write_ready: bool,
}

#[derive(Default)]
pub(crate) struct Reactor {
    /// Sources by key; `None` is a free slot, listed in `free`.
    sources: RefCell<Vec<Option<Source>>>,
    free: RefCell<Vec<usize>>,
    /// How many tasks wait on a socket (the loop polls the OS only when some do).
    waiting: RefCell<usize>,
    events: RefCell<Option<Events>>,
}

impl Reactor {
    /// Whether any socket is registered.
    pub(crate) fn has_sources(&self) -> bool {
        self.sources.borrow().iter().any(Option::is_some)
    }

    /// Whether any task waits for I/O.
    pub(crate) fn is_waiting(&self) -> bool {
        *self.waiting.borrow() > 0
    }

    /// Waits for I/O events (at most `timeout`) and wakes the tasks they concern.
    pub(crate) fn wait(&self, poller: &Poller, timeout: Option<Duration>) {
        let mut events = self.events.borrow_mut().take().unwrap_or_default();
        events.clear();
        // An error here is EINTR or a poller that broke; either way the loop goes round again
        // (timers still fire) rather than taking the program down.
        let _ = poller.wait(&mut events, timeout);
        let mut wake = Vec::new();
        {
            let mut sources = self.sources.borrow_mut();
            let mut waiting = self.waiting.borrow_mut();
            for event in events.iter() {
                let Some(Some(source)) = sources.get_mut(event.key) else {
                    continue;
                };
                // One-shot: the OS disarmed the socket, so every waiter must look again. A
                // waiter whose direction is not ready yet just registers again.
                source.read_ready |= event.readable;
                source.write_ready |= event.writable;
                for waker in [source.reader.take(), source.writer.take()]
                    .into_iter()
                    .flatten()
                {
                    *waiting -= 1;
                    wake.push(waker);
                }
            }
        }
        *self.events.borrow_mut() = Some(events);
        for waker in wake {
            waker.wake();
        }
    }

    /// Removes every waiter (when the loop is dropped).
    pub(crate) fn take_all_wakers(&self) -> Vec<Waker> {
        let mut sources = self.sources.borrow_mut();
        *self.waiting.borrow_mut() = 0;
        sources
            .iter_mut()
            .flatten()
            .flat_map(|source| [source.reader.take(), source.writer.take()])
            .flatten()
            .collect()
    }
}

/// An I/O object registered with the event loop that was current when it was created.
pub(crate) struct Registered<T: AsFd> {
    io: T,
    key: usize,
    core: Rc<LoopCore>,
}

impl<T: AsFd + 'static> Registered<T> {
    /// Registers `io` (already in non-blocking mode) with the current event loop.
    pub(crate) fn new(io: T) -> io::Result<Registered<T>> {
        let core = context::with_loop(Rc::clone).ok_or_else(|| {
            io::Error::other(
                "jobloop::net needs the embedded event loop running on this thread: create \
                 sockets inside `#[jobloop::job_main]`, `#[jobloop::job_test]` or \
                 `EventLoop::block_on` (under another runtime, use that runtime's I/O types)",
            )
        })?;
        let reactor = &core.reactor;
        let key = match reactor.free.borrow_mut().pop() {
            Some(key) => key,
            None => {
                let mut sources = reactor.sources.borrow_mut();
                sources.push(None);
                sources.len() - 1
            }
        };
        let poller = match core.remote.poller() {
            Ok(poller) => poller,
            Err(error) => {
                reactor.free.borrow_mut().push(key);
                return Err(error);
            }
        };
        // SAFETY: `polling` requires that the source is deleted from the poller before it is
        // closed. `io` is owned by this `Registered` and never handed out by value, and `Drop`
        // deletes it from the poller before the field `io` (and so the descriptor) is dropped.
        // If a `Registered` is leaked instead, `io` is never dropped: `T: 'static` rules out a
        // borrowed descriptor whose owner could close it while it is still registered.
        let added = unsafe { poller.add(io.as_fd().as_raw_fd(), Event::none(key)) };
        if let Err(error) = added {
            reactor.free.borrow_mut().push(key);
            return Err(error);
        }
        reactor.sources.borrow_mut()[key] = Some(Source::default());
        Ok(Registered { io, key, core })
    }

    pub(crate) fn get_ref(&self) -> &T {
        &self.io
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readiness in `direction`
    /// between attempts.
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            match op(&self.io) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    std::future::poll_fn(|cx| self.poll_ready(direction, cx)).await?;
                }
                result => return result,
            }
        }
    }

    /// Ready when the OS reported readiness in `direction` since the last call; otherwise
    /// registers the task's interest.
    pub(crate) fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let reactor = &self.core.reactor;
        let (interest, replaced) = {
            let mut sources = reactor.sources.borrow_mut();
            let Some(Some(source)) = sources.get_mut(self.key) else {
                return Poll::Ready(Err(io::Error::other("socket is not registered")));
            };
            let (ready, slot) = match direction {
                Direction::Read => (&mut source.read_ready, &mut source.reader),
                Direction::Write => (&mut source.write_ready, &mut source.writer),
            };
            if std::mem::take(ready) {
                return Poll::Ready(Ok(()));
            }
            if slot.is_none() {
                *reactor.waiting.borrow_mut() += 1;
            }
            let replaced = slot.replace(cx.waker().clone());
            let interest = Event::new(self.key, source.reader.is_some(), source.writer.is_some());
            (interest, replaced)
        };
        drop(replaced);
        match self
            .core
            .remote
            .expect_poller()
            .modify(self.io.as_fd(), interest)
        {
            Ok(()) => Poll::Pending,
            Err(error) => Poll::Ready(Err(error)),
        }
    }
}

impl<T: AsFd> Drop for Registered<T> {
    fn drop(&mut self) {
        if let Ok(poller) = self.core.remote.poller() {
            let _ = poller.delete(self.io.as_fd());
        }
        let reactor = &self.core.reactor;
        let source = reactor.sources.borrow_mut()[self.key].take();
        if let Some(source) = &source {
            let waiters =
                usize::from(source.reader.is_some()) + usize::from(source.writer.is_some());
            *reactor.waiting.borrow_mut() -= waiters;
        }
        reactor.free.borrow_mut().push(self.key);
        drop(source);
    }
}

#[cfg(test)]
mod tests {
    //! The reactor's registrations, including the runtime's one `unsafe` block (`Poller::add`).
    //! They use pipes, which miri emulates (its socket pairs lack `recv`), set non-blocking with
    //! `fcntl`. Under miri, `.ci/run` builds `polling` with its `poll(2)` backend
    //! (`--cfg polling_test_poll_backend`), because the epoll backend calls `timerfd_create`,
    //! which miri does not support.

    use std::io::{PipeReader, PipeWriter, Read, Write};

    use super::{Direction, Registered};
    use crate::{context, spawn, yield_now, EventLoop};

    fn pipe() -> (PipeReader, PipeWriter) {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        rustix::fs::fcntl_setfl(&reader, rustix::fs::OFlags::NONBLOCK).expect("non-blocking");
        rustix::fs::fcntl_setfl(&writer, rustix::fs::OFlags::NONBLOCK).expect("non-blocking");
        (reader, writer)
    }

    #[test]
    #[cfg_attr(
        miri,
        ignore = "waiting needs timerfd_create (epoll backend) or ppoll; miri has neither"
    )]
    fn a_reader_waits_without_blocking_and_wakes_when_written_to() {
        let event_loop = EventLoop::new();
        let received = event_loop.block_on(async {
            let (reader, writer) = pipe();
            let reader = Registered::new(reader).expect("registered");
            let writer = Registered::new(writer).expect("registered");
            let read = spawn(async move {
                let mut buf = [0u8; 5];
                let n = reader
                    .io(Direction::Read, |mut pipe| pipe.read(&mut buf))
                    .await
                    .expect("read");
                buf[..n].to_vec()
            });
            yield_now().await;
            let waiting = context::with_loop(|core| core.reactor.is_waiting());
            assert_eq!(waiting, Some(true), "the reader found nothing and waits");
            writer
                .io(Direction::Write, |mut pipe| pipe.write(b"hello"))
                .await
                .expect("write");
            read.await
        });
        assert_eq!(received, b"hello");
        assert!(event_loop.is_idle(), "the registrations were removed");
    }

    #[test]
    #[cfg_attr(
        all(miri, not(polling_test_poll_backend)),
        ignore = "polling's epoll backend calls timerfd_create, which miri does not support; \
                  run with RUSTFLAGS=\"--cfg polling_test_poll_backend\" as .ci/run does"
    )]
    fn registrations_are_removed_on_drop_and_their_slots_reused() {
        EventLoop::new().block_on(async {
            for _ in 0..3 {
                let (a, b) = pipe();
                let first = Registered::new(a).expect("registered");
                let second = Registered::new(b).expect("registered");
                assert_ne!(first.key, second.key);
                let keys = (first.key, second.key);
                drop((first, second));
                let (c, d) = pipe();
                let again = Registered::new(c).expect("registered");
                assert!(
                    again.key == keys.0 || again.key == keys.1,
                    "a free slot is reused"
                );
                drop((again, d));
            }
        });
    }
}
