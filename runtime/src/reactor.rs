//! The I/O reactor: I/O sources registered with the loop's OS poller (mio), and the tasks
//! waiting on them.
//!
//! Sources are registered once, for both directions, edge-triggered: the OS reports a change
//! of readiness once. The reactor records it per direction and wakes the task waiting for that
//! direction. A task tries its operation first; only when the operation returns `WouldBlock`
//! does it look at the recorded readiness: if some arrived since it last looked, it tries again
//! (the readiness may be stale, which costs one more attempt), otherwise it registers its waker.
//! Events are taken only between task polls, on the loop's thread, so no readiness can arrive
//! between a failed attempt and the registration of the waker.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use mio::event::Source as MioSource;
use mio::{Events, Interest, Token};

use crate::context;
use crate::event_loop::LoopCore;

/// The token of the loop's `mio::Waker`, which other threads use to interrupt its wait.
const WAKE: Token = Token(usize::MAX);

/// A direction a task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// The reactor's per-source state.
#[derive(Default)]
struct Source {
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// Readiness reported by the OS and not yet looked at, per direction.
    read_ready: bool,
    write_ready: bool,
}

pub(crate) struct Reactor {
    poll: RefCell<mio::Poll>,
    events: RefCell<Events>,
    /// Sources by key; `None` is a free slot, listed in `free`.
    sources: RefCell<Vec<Option<Source>>>,
    free: RefCell<Vec<usize>>,
    /// How many tasks wait on a source (the loop polls the OS only when some do).
    waiting: RefCell<usize>,
}

impl Reactor {
    /// A reactor with its OS poller, and the waker that interrupts the poller's wait.
    pub(crate) fn new() -> io::Result<(Reactor, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE)?;
        let reactor = Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(256)),
            sources: RefCell::default(),
            free: RefCell::default(),
            waiting: RefCell::new(0),
        };
        Ok((reactor, waker))
    }

    /// Whether any source is registered.
    pub(crate) fn has_sources(&self) -> bool {
        self.sources.borrow().iter().any(Option::is_some)
    }

    /// Whether any task waits for I/O.
    pub(crate) fn is_waiting(&self) -> bool {
        *self.waiting.borrow() > 0
    }

    /// Waits for I/O events or a wake-up from another thread, at most `timeout`, and wakes the
    /// tasks the events concern.
    ///
    /// A timer must not fire late because of the OS poller, which is coarse: mio passes whole
    /// milliseconds (rounded up) to epoll, and Linux lets an epoll timeout run over by 0.1 % of
    /// its length (2 ms on a 2 s wait). So the poller is asked to return a little early (0.2 %
    /// early, rounded down to whole milliseconds) and the loop comes back for the rest; the
    /// last fraction of a millisecond is slept in `thread::park_timeout`, which is precise and
    /// which a wake-up from another thread also ends (it unparks the loop's thread). I/O that
    /// becomes ready during that fraction is seen right after it, less than 1 ms late.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let os_timeout = timeout.map(|timeout| {
            let early = timeout.saturating_sub(timeout / 500);
            Duration::from_millis(u64::try_from(early.as_millis()).unwrap_or(u64::MAX))
        });
        let mut events = self.events.borrow_mut();
        // An error here is EINTR or a poller that broke; either way the loop goes round again
        // (timers still fire) rather than taking the program down.
        let _ = self.poll.borrow_mut().poll(&mut events, os_timeout);
        if events.is_empty() {
            drop(events);
            if let Some(rest) = deadline.map(|d| d.saturating_duration_since(Instant::now())) {
                if !rest.is_zero() && rest < Duration::from_millis(1) {
                    thread::park_timeout(rest);
                }
            }
            return;
        }
        let mut wake = Vec::new();
        {
            let mut sources = self.sources.borrow_mut();
            let mut waiting = self.waiting.borrow_mut();
            for event in events.iter() {
                let Some(Some(source)) = sources.get_mut(event.token().0) else {
                    continue; // the waker's token, or a source removed meanwhile
                };
                let failed = event.is_error();
                if event.is_readable() || event.is_read_closed() || failed {
                    source.read_ready = true;
                    if let Some(waker) = source.reader.take() {
                        *waiting -= 1;
                        wake.push(waker);
                    }
                }
                if event.is_writable() || event.is_write_closed() || failed {
                    source.write_ready = true;
                    if let Some(waker) = source.writer.take() {
                        *waiting -= 1;
                        wake.push(waker);
                    }
                }
            }
        }
        drop(events);
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

/// An I/O source registered with the event loop that was current when it was created.
pub(crate) struct Registered<T: MioSource> {
    io: T,
    key: usize,
    core: Rc<LoopCore>,
}

impl<T: MioSource> Registered<T> {
    /// Registers `io` (already in non-blocking mode) with the current event loop.
    pub(crate) fn new(mut io: T) -> io::Result<Registered<T>> {
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
        let registered = reactor.poll.borrow().registry().register(
            &mut io,
            Token(key),
            Interest::READABLE | Interest::WRITABLE,
        );
        if let Err(error) = registered {
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
    /// registers the task's waker.
    pub(crate) fn poll_ready(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<()>> {
        let reactor = &self.core.reactor;
        let replaced = {
            let mut sources = reactor.sources.borrow_mut();
            let Some(Some(source)) = sources.get_mut(self.key) else {
                return Poll::Ready(Err(io::Error::other("source is not registered")));
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
            slot.replace(cx.waker().clone())
        };
        // Dropped outside the borrow: a waker's destructor may run user code.
        drop(replaced);
        Poll::Pending
    }
}

impl<T: MioSource> Drop for Registered<T> {
    fn drop(&mut self) {
        let reactor = &self.core.reactor;
        let _ = reactor.poll.borrow().registry().deregister(&mut self.io);
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

#[cfg(all(test, unix))]
mod tests {
    //! The reactor's registrations and waits, on mio's non-blocking pipes. They run under miri
    //! too, which emulates epoll, eventfd and pipes (its socket pairs lack `recv`).

    use std::io::{Read, Write};

    use mio::unix::pipe::{self, Receiver, Sender};

    use super::{Direction, Registered};
    use crate::{context, spawn, yield_now, EventLoop};

    fn pipe() -> (Receiver, Sender) {
        let (sender, receiver) = pipe::new().expect("a pipe");
        (receiver, sender)
    }

    #[test]
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
