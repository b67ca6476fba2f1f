//! The I/O reactor: I/O sources registered with the loop's OS poller (mio), and the tasks
//! waiting on them.
//!
//! Sources are registered once, for both directions, edge-triggered: the OS reports a change
//! of readiness once. The reactor records it per direction and wakes every task waiting for
//! that direction. A task tries its operation on every poll (but after a short read, below);
//! only when the operation returns `WouldBlock` does it look at the recorded readiness: if some
//! arrived since it was last looked at, it tries again (the readiness may be stale, which costs one more attempt),
//! otherwise it registers its waker. Since every woken task tries its operation, data left
//! after one task's read is found by the next (no edge would report it again). Events are taken
//! only between task polls, on the loop's thread, so no readiness can arrive between a failed
//! attempt and the registration of the waker. A wait that is cancelled (its future dropped)
//! removes its waker, so the reactor only counts tasks that still wait.
//!
//! Two things spare a failed system call per operation (what tokio spares too): readiness
//! recorded before an operation that did not block is stale once it ran (the operation saw the
//! socket after it), so it is cleared then; and a read of a stream that returned fewer bytes
//! than asked emptied the OS's buffer, so the next read waits for readiness without trying
//! (epoll and kqueue report every arrival of data on an edge-triggered socket, so none is
//! missed; not on Windows, where mio re-arms a source only after a `WouldBlock`), unless the
//! OS said the stream was closed, whose end may still wait in the buffer.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::pin::Pin;
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

/// The ids of the poll slots (see `LoopSource::poll_io`); the ids of async waits count up from
/// 0 and would take centuries to reach these.
const POLL_READ: u64 = u64::MAX;
const POLL_WRITE: u64 = u64::MAX - 1;

const TAKEN: &str = "a registered source is taken out only by `into_inner`, which consumes it";

/// A direction a task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// What a task waiting in this direction waits on, in the trace.
    pub(crate) fn wait_name(self) -> &'static str {
        match self {
            Direction::Read => "I/O read",
            Direction::Write => "I/O write",
        }
    }
}

/// The reactor's state of one direction of a source.
#[derive(Default)]
struct Side {
    /// Readiness reported by the OS and not yet looked at.
    ready: bool,
    /// A stream's last read emptied the OS's buffer, and no readiness came since: the next
    /// read waits without trying.
    drained: bool,
    /// The OS said this direction is closed (the peer's end of stream, a hang-up, an error):
    /// from then on every read tries, since no event will come again (a short read then does
    /// not mean an empty buffer: the end of stream may be left in it).
    closed: bool,
    /// The waits, by id (nearly always one; several when tasks share a socket).
    waits: Vec<(u64, Waker)>,
}

impl Side {
    /// The OS reported readiness: records it and moves every wait's waker to `wake`; returns
    /// how many waits that ended.
    fn set_ready(&mut self, wake: &mut Vec<Waker>) -> usize {
        self.ready = true;
        self.drained = false;
        let ended = self.waits.len();
        wake.extend(self.waits.drain(..).map(|(_, waker)| waker));
        ended
    }
}

/// The reactor's per-source state.
#[derive(Default)]
struct Source {
    read: Side,
    write: Side,
}

impl Source {
    fn side(&mut self, direction: Direction) -> &mut Side {
        match direction {
            Direction::Read => &mut self.read,
            Direction::Write => &mut self.write,
        }
    }
}

pub(crate) struct Reactor {
    poll: RefCell<mio::Poll>,
    events: RefCell<Events>,
    /// Sources by key; `None` is a free slot, listed in `free`.
    sources: RefCell<Vec<Option<Source>>>,
    free: RefCell<Vec<usize>>,
    /// How many waits are registered (the loop polls the OS only when some are).
    waiting: Cell<usize>,
    /// The id of the next wait: a cancelled wait removes its own entry.
    next_wait: Cell<u64>,
}

impl Reactor {
    /// A reactor with its OS poller, and the waker that interrupts the poller's wait.
    pub(crate) fn new() -> io::Result<(Reactor, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE)?;
        let reactor = Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(1024)),
            sources: RefCell::default(),
            free: RefCell::default(),
            waiting: Cell::new(0),
            next_wait: Cell::new(0),
        };
        Ok((reactor, waker))
    }

    /// Whether any source is registered.
    pub(crate) fn has_sources(&self) -> bool {
        self.sources.borrow().iter().any(Option::is_some)
    }

    /// Whether any task waits for I/O.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.get() > 0
    }

    /// Waits for I/O events or a wake-up from another thread, at most `timeout`, and wakes the
    /// tasks the events concern.
    ///
    /// A timer must not fire late because of the OS poller, which is coarse: mio passes whole
    /// milliseconds (rounded up) to epoll, and Linux lets a poll timeout run over by its timer
    /// slack, the larger of 0.1 % of the timeout and the thread's `timer_slack_ns` (50 µs by
    /// default), so 2 ms on a 2 s wait. So the poller is asked to return a little early (0.2 %
    /// early, rounded down to whole milliseconds) and the loop comes back for the rest; the
    /// last stretch, under a millisecond, is slept in `thread::park_timeout`, which only the
    /// 50 µs slack delays and which a wake-up from another thread also ends (it unparks the
    /// loop's thread). I/O that becomes ready during that stretch is seen right after it, less
    /// than 1 ms late. (On Windows both waits count in the system's timer ticks, so timers
    /// there are as coarse as the tick.)
    ///
    /// # Panics
    ///
    /// When the OS poller fails other than by being interrupted, which would leave the loop
    /// unable to wait for anything (it would spin instead).
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let os_timeout = timeout.map(|timeout| {
            let early = timeout.saturating_sub(timeout / 500);
            Duration::from_millis(u64::try_from(early.as_millis()).unwrap_or(u64::MAX))
        });
        let mut events = self.events.borrow_mut();
        if let Err(error) = self.poll.borrow_mut().poll(&mut events, os_timeout) {
            // Interrupted by a signal: the loop goes round again (timers still fire).
            assert!(
                error.kind() == io::ErrorKind::Interrupted,
                "jobloop's event loop cannot wait: its OS poller failed: {error}"
            );
        }
        if events.is_empty() {
            drop(events);
            if let Some(rest) = deadline.map(|d| d.saturating_duration_since(Instant::now())) {
                let short = rest < Duration::from_millis(1) || os_timeout == Some(Duration::ZERO);
                if !rest.is_zero() && short {
                    thread::park_timeout(rest);
                }
            }
            return;
        }
        let mut wake = Vec::new();
        {
            let mut sources = self.sources.borrow_mut();
            let mut ended = 0;
            for event in events.iter() {
                let Some(Some(source)) = sources.get_mut(event.token().0) else {
                    continue; // the waker's token, or a source removed meanwhile
                };
                let failed = event.is_error();
                if event.is_read_closed() || failed {
                    source.read.closed = true;
                }
                if event.is_readable() || event.is_read_closed() || failed {
                    ended += source.read.set_ready(&mut wake);
                }
                if event.is_writable() || event.is_write_closed() || failed {
                    ended += source.write.set_ready(&mut wake);
                }
            }
            self.waiting.set(self.waiting.get() - ended);
        }
        drop(events);
        for waker in wake {
            waker.wake();
        }
    }

    /// Removes every waiter (when the loop is dropped).
    pub(crate) fn take_all_wakers(&self) -> Vec<Waker> {
        let mut sources = self.sources.borrow_mut();
        self.waiting.set(0);
        sources
            .iter_mut()
            .flatten()
            .flat_map(|source| {
                source
                    .read
                    .waits
                    .drain(..)
                    .chain(source.write.waits.drain(..))
            })
            .map(|(_, waker)| waker)
            .collect()
    }
}

/// An I/O source registered with the event loop that was current when it was created.
pub(crate) struct LoopSource<T: MioSource> {
    /// `None` only once `into_inner` took it, which consumes the `LoopSource`.
    io: Option<T>,
    key: usize,
    core: Rc<LoopCore>,
}

impl<T: MioSource> LoopSource<T> {
    /// Registers `io` (already in non-blocking mode) with the current event loop.
    pub(crate) fn new(mut io: T) -> io::Result<LoopSource<T>> {
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
        Ok(LoopSource {
            io: Some(io),
            key,
            core,
        })
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.io.as_ref().expect(TAKEN)
    }

    #[cfg(feature = "net")]
    /// Deregisters the source and gives it back (for `into_std`).
    pub(crate) fn into_inner(mut self) -> T {
        self.deregister();
        self.io.take().expect(TAKEN)
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for readiness in `direction`
    /// between attempts. After any wake-up `op` runs again: a task woken with others, or woken
    /// for data another operation of its own left behind, looks for itself. (A read right after
    /// a short read waits first: see the module.)
    ///
    /// # Errors
    ///
    /// `op`'s error, or an error of kind `Other` when this runs on an event loop other than the
    /// one the source was registered with: that loop's reactor is not polled meanwhile, so the
    /// wait would never end.
    pub(crate) async fn io<R>(
        &self,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.check_loop()?;
        loop {
            // One unit of the task's budget per attempt: a task that always finds its socket
            // ready yields now and then (see `budget`).
            crate::budget::spend().await;
            if !self.drained(direction) {
                match op(self.get_ref()) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    result => {
                        self.ran(direction);
                        return result;
                    }
                }
            }
            self.wait(direction).await;
        }
    }

    /// A stream's read into `buf`: [`io`](LoopSource::io), and a read shorter than `buf`
    /// marks the OS's buffer as emptied (see the module).
    pub(crate) async fn read_stream(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a T: io::Read,
    {
        let len = buf.len();
        let read = self
            .io(Direction::Read, |mut source| {
                io::Read::read(&mut source, buf)
            })
            .await;
        self.note_short_read(&read, len);
        read
    }

    /// [`read_stream`](LoopSource::read_stream) for `AsyncRead`.
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a T: io::Read,
    {
        let len = buf.len();
        let read = self.poll_io(Direction::Read, cx, |mut source| {
            io::Read::read(&mut source, buf)
        });
        if let Poll::Ready(result) = &read {
            self.note_short_read(result, len);
        }
        read
    }

    /// A read that gave fewer bytes than the `len` asked for emptied the OS's buffer: the next
    /// read waits for readiness (see the module).
    #[inline]
    fn note_short_read(&self, read: &io::Result<usize>, len: usize) {
        if matches!(read, Ok(n) if *n > 0 && *n < len) {
            self.with_side(Direction::Read, |side| side.drained = true);
        }
    }

    /// Whether the next attempt in `direction` would find the OS's buffer empty (see the
    /// module).
    #[inline]
    fn drained(&self, direction: Direction) -> bool {
        // On Windows mio re-arms a source only when an operation returns `WouldBlock`: a read
        // must always try there.
        cfg!(not(windows))
            && direction == Direction::Read
            && self.with_side(direction, |side| side.drained && !side.closed)
    }

    /// An operation in `direction` did not block: the readiness recorded before it is stale.
    #[inline]
    fn ran(&self, direction: Direction) {
        self.with_side(direction, |side| side.ready = false);
    }

    /// The poll-based form of [`io`](LoopSource::io), for `AsyncRead`/`AsyncWrite` and the
    /// `poll_*` methods: runs `op` until it does not return `WouldBlock`; then, unless
    /// readiness arrived meanwhile, registers `cx`'s waker in this source's one poll slot for
    /// `direction` and returns `Pending`. One slot per direction, as tokio's `poll_read_ready`:
    /// two tasks polling the same direction of one source take the slot from each other (the
    /// `async fn` methods have no such limit).
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if let Err(error) = self.check_loop() {
            return Poll::Ready(Err(error));
        }
        if crate::budget::poll_spend(cx).is_pending() {
            return Poll::Pending;
        }
        loop {
            if !self.drained(direction) {
                match op(self.get_ref()) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    result => {
                        self.ran(direction);
                        return Poll::Ready(result);
                    }
                }
            }
            if self.poll_wait(direction, cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Ready when readiness in `direction` arrived since it was last taken; otherwise puts
    /// `cx`'s waker in the direction's poll slot (a wait entry with a reserved id, replaced on
    /// each call, removed when readiness wakes it or the source is dropped).
    fn poll_wait(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<()> {
        if self.take_ready(direction) {
            return Poll::Ready(());
        }
        let id = match direction {
            Direction::Read => POLL_READ,
            Direction::Write => POLL_WRITE,
        };
        // Cloned before the borrow: a waker's clone may run user code.
        let waker = cx.waker().clone();
        let old = self.with_side(direction, |side| {
            match side.waits.iter_mut().find(|(entry, _)| *entry == id) {
                Some((_, slot)) => Some(std::mem::replace(slot, waker)),
                None => {
                    side.waits.push((id, waker));
                    None
                }
            }
        });
        if old.is_none() {
            let waiting = &self.core.reactor.waiting;
            waiting.set(waiting.get() + 1);
        }
        // The replaced waker is dropped outside the borrow: its destructor may run user code.
        drop(old);
        crate::debug::waiting(direction.wait_name()); // for the trace
        Poll::Pending
    }

    /// `Ok` when the current event loop is the one this source is registered with.
    fn check_loop(&self) -> io::Result<()> {
        match context::with_loop(|core| core.id() == self.core.id()) {
            Some(true) => Ok(()),
            _ => Err(io::Error::other(
                "this socket belongs to another event loop than the one running now (or to a \
                 loop that was dropped), whose reactor is not polled meanwhile: use a socket on \
                 the loop that made it, or make one on this loop",
            )),
        }
    }

    #[cfg(feature = "net")]
    /// Waits until the OS reports readiness in `direction`. For a task that is alone on the
    /// source in that direction (a connecting socket): readiness another task took would not
    /// be reported again.
    pub(crate) async fn ready(&self, direction: Direction) {
        // Woken for another reason (a spurious wake, or another task's event), it waits again.
        while !self.take_ready(direction) {
            self.wait(direction).await;
        }
    }

    /// Ready at once when readiness in `direction` arrived since it was last looked at;
    /// otherwise registers the task and is ready after its next wake-up, whatever woke it.
    fn wait(&self, direction: Direction) -> Wait<'_, T> {
        Wait {
            source: self,
            direction,
            id: None,
        }
    }

    /// Takes the readiness in `direction` reported since it was last taken.
    fn take_ready(&self, direction: Direction) -> bool {
        self.with_side(direction, |side| std::mem::take(&mut side.ready))
    }

    /// Runs `f` on the reactor's state of this source in `direction`.
    fn with_side<R>(&self, direction: Direction, f: impl FnOnce(&mut Side) -> R) -> R {
        let mut sources = self.core.reactor.sources.borrow_mut();
        let source = sources[self.key]
            .as_mut()
            .expect("a registered source keeps its slot until it is dropped");
        f(source.side(direction))
    }
}

/// One wait of a task on a source: registered on its first poll (unless readiness is already
/// there), ready on the next. Dropped before its wake-up (cancelled), it removes its entry, so
/// the reactor keeps no waker of a task that no longer waits.
struct Wait<'a, T: MioSource> {
    source: &'a LoopSource<T>,
    direction: Direction,
    /// The id of its entry, once registered.
    id: Option<u64>,
}

impl<T: MioSource> Future for Wait<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.id.is_some() || self.source.take_ready(self.direction) {
            return Poll::Ready(());
        }
        let reactor = &self.source.core.reactor;
        let id = reactor.next_wait.get();
        reactor.next_wait.set(id.wrapping_add(1));
        // Cloned before the borrow: a waker's clone may run user code.
        let waker = cx.waker().clone();
        self.source
            .with_side(self.direction, |side| side.waits.push((id, waker)));
        reactor.waiting.set(reactor.waiting.get() + 1);
        self.id = Some(id);
        crate::debug::waiting(self.direction.wait_name()); // for the trace
        Poll::Pending
    }
}

impl<T: MioSource> Drop for Wait<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        // Gone already when the event that woke it came first.
        let removed = self.source.with_side(self.direction, |side| {
            let position = side.waits.iter().position(|(entry, _)| *entry == id)?;
            Some(side.waits.swap_remove(position))
        });
        if removed.is_some() {
            let waiting = &self.source.core.reactor.waiting;
            waiting.set(waiting.get() - 1);
        }
        // The waker is dropped here, outside the borrow: its destructor may run user code.
        drop(removed);
    }
}

impl<T: MioSource> Drop for LoopSource<T> {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl<T: MioSource> LoopSource<T> {
    /// Removes the source from the poller and its slot (with any waits left); once only.
    fn deregister(&mut self) {
        let Some(io) = self.io.as_mut() else { return };
        let reactor = &self.core.reactor;
        let _ = reactor.poll.borrow().registry().deregister(io);
        let source = reactor.sources.borrow_mut()[self.key].take();
        if let Some(source) = &source {
            // The poll slots, and waits left by a `Wait` that was leaked rather than dropped.
            let left = source.read.waits.len() + source.write.waits.len();
            reactor.waiting.set(reactor.waiting.get() - left);
        }
        reactor.free.borrow_mut().push(self.key);
        drop(source);
    }
}

#[cfg(all(test, unix, feature = "process"))]
mod tests {
    //! The reactor's registrations and waits, on mio's non-blocking pipes (feature `process`).
    //! They run under miri too, which emulates epoll, eventfd and pipes (its socket pairs lack
    //! `recv`).

    use std::io::{Read, Write};

    use mio::unix::pipe::{self, Receiver, Sender};

    use super::{Direction, LoopSource};
    use crate::{context, spawn, yield_now, EventLoop};

    fn pipe() -> (Receiver, Sender) {
        let (sender, receiver) = pipe::new().expect("a pipe");
        (receiver, sender)
    }

    /// Reads one byte, waiting on the loop until there is one.
    async fn read_byte(reader: &LoopSource<Receiver>) -> u8 {
        let mut byte = [0u8; 1];
        reader
            .io(Direction::Read, |mut pipe| pipe.read(&mut byte))
            .await
            .expect("read");
        byte[0]
    }

    /// After a short read (the buffer emptied), the next read waits without trying: it still
    /// gets what is written later, and the end of the stream queued behind the data (the peer
    /// closed at once) is not missed although no event comes for it again.
    #[test]
    fn after_a_short_read_data_written_later_and_the_end_of_stream_still_arrive() {
        let event_loop = EventLoop::new();
        let (later, end) = event_loop.block_on(async {
            let (reader, writer) = pipe();
            let reader = LoopSource::new(reader).expect("registered");
            let writer = LoopSource::new(writer).expect("registered");
            let mut buf = [0u8; 16];
            writer
                .io(Direction::Write, |mut pipe| pipe.write(b"ab"))
                .await
                .expect("write");
            assert_eq!(reader.read_stream(&mut buf).await.expect("read"), 2);
            let reading = spawn(async move {
                let mut buf = [0u8; 16];
                let n = reader.read_stream(&mut buf).await.expect("read");
                let later = buf[..n].to_vec();
                let end = reader.read_stream(&mut buf).await.expect("read");
                (later, end)
            });
            yield_now().await;
            writer
                .io(Direction::Write, |mut pipe| pipe.write(b"cd"))
                .await
                .expect("write");
            drop(writer); // the end of the stream, right behind the data
            reading.await
        });
        assert_eq!((later.as_slice(), end), (&b"cd"[..], 0));
    }

    #[test]
    fn a_reader_waits_without_blocking_and_wakes_when_written_to() {
        let event_loop = EventLoop::new();
        let received = event_loop.block_on(async {
            let (reader, writer) = pipe();
            let reader = LoopSource::new(reader).expect("registered");
            let writer = LoopSource::new(writer).expect("registered");
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
    fn two_tasks_reading_one_source_both_get_their_bytes() {
        let event_loop = EventLoop::new();
        let got = event_loop.block_on(async {
            let (reader, writer) = pipe();
            let reader = std::rc::Rc::new(LoopSource::new(reader).expect("registered"));
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let reader = reader.clone();
                    spawn(async move { read_byte(&reader).await })
                })
                .collect();
            yield_now().await; // both wait on the same source
            (&writer).write_all(b"ab").expect("write");
            let mut got = Vec::new();
            for reader in readers {
                got.push(reader.await);
            }
            got
        });
        assert_eq!(
            got, b"ab",
            "one edge, two waiting tasks: both are woken and read"
        );
    }

    #[test]
    fn two_reads_of_one_task_both_finish_on_one_edge() {
        let event_loop = EventLoop::new();
        let got = event_loop.block_on(async {
            let (reader, writer) = pipe();
            let reader = LoopSource::new(reader).expect("registered");
            let mut a = std::pin::pin!(read_byte(&reader));
            let mut b = std::pin::pin!(read_byte(&reader));
            let (mut got_a, mut got_b) = (None, None);
            let mut wrote = false;
            std::future::poll_fn(|cx| {
                use std::future::Future;
                use std::task::Poll;
                // Each read is polled until it is done, and never after.
                for (read, got) in [(a.as_mut(), &mut got_a), (b.as_mut(), &mut got_b)] {
                    if got.is_none() {
                        if let Poll::Ready(byte) = read.poll(cx) {
                            *got = Some(byte);
                        }
                    }
                }
                if !wrote {
                    // Both wait now; two bytes arrive in one edge.
                    (&writer).write_all(b"xy").expect("write");
                    wrote = true;
                }
                match (got_a, got_b) {
                    (Some(a), Some(b)) => std::task::Poll::Ready(vec![a, b]),
                    _ => std::task::Poll::Pending,
                }
            })
            .await
        });
        assert_eq!(
            got, b"xy",
            "the read woken second finds the byte the first left"
        );
    }

    #[test]
    fn a_cancelled_read_leaves_no_waiter_behind() {
        EventLoop::new().block_on(async {
            let (reader, _writer) = pipe();
            let reader = LoopSource::new(reader).expect("registered");
            let is_waiting = || context::with_loop(|core| core.reactor.is_waiting());
            {
                let mut byte = [0u8; 1];
                let mut read =
                    std::pin::pin!(reader.io(Direction::Read, |mut pipe| pipe.read(&mut byte)));
                std::future::poll_fn(|cx| {
                    use std::future::Future;
                    assert!(read.as_mut().poll(cx).is_pending(), "nothing to read yet");
                    std::task::Poll::Ready(())
                })
                .await;
                assert_eq!(is_waiting(), Some(true));
            } // the read is dropped here, before any event
            assert_eq!(is_waiting(), Some(false), "its wait was removed with it");
        });
    }

    #[test]
    fn registrations_are_removed_on_drop_and_their_slots_reused() {
        EventLoop::new().block_on(async {
            for _ in 0..3 {
                let (a, b) = pipe();
                let first = LoopSource::new(a).expect("registered");
                let second = LoopSource::new(b).expect("registered");
                assert_ne!(first.key, second.key);
                let keys = (first.key, second.key);
                drop((first, second));
                let (c, d) = pipe();
                let again = LoopSource::new(c).expect("registered");
                assert!(
                    again.key == keys.0 || again.key == keys.1,
                    "a free slot is reused"
                );
                drop((again, d));
            }
        });
    }
}
