//! [`Queue`]: asyncio's `Queue`, on async-channel, with `task_done`/`join` and `shutdown`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use event_listener::Event;

/// A first-in first-out queue between tasks (asyncio's `Queue`): producers
/// [`put`](Queue::put) items, consumers [`get`](Queue::get) them, and [`join`](Queue::join)
/// waits until every item put has been marked done with [`task_done`](Queue::task_done).
///
/// A `Queue` is a cheap handle: clones share the same queue (`Send + Sync` when `T: Send`).
/// With a `maxsize`, `put` waits while the queue is full; `get` waits while it is empty. Waiting
/// getters are served in the order they began to wait, and so are waiting putters.
///
/// [`shutdown`](Queue::shutdown) (asyncio 3.13) ends it: `put` then fails with the item given
/// back, and `get` gives the items left, then fails.
///
/// Items are never lost silently: one put stays in the queue until a `get` takes it or the last
/// handle is dropped (with the items). A `put` on a full queue that no task will ever `get`
/// from waits for ever, as in asyncio: `shutdown` ends such waits.
///
/// ```
/// use jobloop_runtime::sync::Queue;
/// use jobloop_runtime::{EventLoop, TaskGroup};
///
/// // asyncio: queue = asyncio.Queue(); workers get, work, task_done(); await queue.join()
/// let total = EventLoop::new().block_on(async {
///     let queue = Queue::new(10);
///     let done = Queue::new(0);
///     let mut workers = TaskGroup::new();
///     for _ in 0..3 {
///         let (queue, done) = (queue.clone(), done.clone());
///         workers.spawn(async move {
///             while let Ok(n) = queue.get().await {
///                 done.put(n * 2).await.unwrap();
///                 queue.task_done();
///             }
///         });
///     }
///     for n in 1..=10 {
///         queue.put(n).await.unwrap();
///     }
///     queue.join().await; // every item put was taken and marked done
///     queue.shutdown(); // the workers' `get` now fails: they end
///     workers.await;
///     let mut total = 0;
///     while let Ok(n) = done.try_get() {
///         total += n;
///     }
///     total
/// });
/// assert_eq!(total, 110);
/// ```
pub struct Queue<T> {
    sender: async_channel::Sender<T>,
    receiver: async_channel::Receiver<T>,
    unfinished: Arc<Unfinished>,
}

/// The count of items put and not yet marked done, and who waits for it to reach 0: `join`
/// and `task_done` of every queue.
pub(super) struct Unfinished {
    count: AtomicUsize,
    zero: Event,
}

impl<T> Queue<T> {
    /// A queue that holds at most `maxsize` items; 0 means no bound (as in asyncio).
    pub fn new(maxsize: usize) -> Queue<T> {
        let (sender, receiver) = if maxsize == 0 {
            async_channel::unbounded()
        } else {
            async_channel::bounded(maxsize)
        };
        Queue {
            sender,
            receiver,
            unfinished: Arc::new(Unfinished::new()),
        }
    }

    /// Puts `item` at the back, waiting while the queue is full. After
    /// [`shutdown`](Queue::shutdown), fails with the item given back.
    #[track_caller]
    pub fn put(&self, item: T) -> impl Future<Output = Result<(), QueueShutDown<T>>> + '_ {
        crate::wait_site::sited("Queue::put", async move {
            // Uncounted if the put fails or is cancelled while it waits.
            let mut counted = self.unfinished.add_one();
            let sent = self.sender.send(item).await;
            match sent {
                Ok(()) => {
                    counted.0 = None;
                    Ok(())
                }
                Err(async_channel::SendError(item)) => Err(QueueShutDown(item)),
            }
        })
    }

    /// Puts `item` at the back if there is room now.
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut counted = self.unfinished.add_one();
        self.sender
            .try_send(item)
            .map(|()| counted.0 = None)
            .map_err(|error| match error {
                async_channel::TrySendError::Full(item) => TryPutError::Full(item),
                async_channel::TrySendError::Closed(item) => TryPutError::ShutDown(item),
            })
    }

    /// Takes the item at the front, waiting while the queue is empty. After
    /// [`shutdown`](Queue::shutdown), gives the items left, then fails.
    ///
    /// Dropped before it returns (the loser of a race, `TaskSet::next_or`'s other future, a
    /// `timeout`), it has taken nothing: no item is lost, and the next `get` takes it.
    /// A `put` dropped while it waits for room has put nothing either (and its item is dropped
    /// with it).
    #[track_caller]
    pub fn get(&self) -> impl Future<Output = Result<T, QueueShutDown>> + '_ {
        crate::wait_site::sited("Queue::get", async move {
            self.receiver.recv().await.map_err(|_| QueueShutDown(()))
        })
    }

    /// Takes the item at the front if there is one now.
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.receiver.try_recv().map_err(|error| match error {
            async_channel::TryRecvError::Empty => TryGetError::Empty,
            async_channel::TryRecvError::Closed => TryGetError::ShutDown,
        })
    }

    /// Marks one item taken with `get` as done: when every item put is done,
    /// [`join`](Queue::join) returns.
    ///
    /// # Panics
    ///
    /// When called more times than items were put (asyncio raises `ValueError` then).
    #[track_caller]
    pub fn task_done(&self) {
        self.unfinished.task_done();
    }

    /// Waits until every item put has been marked done with [`task_done`](Queue::task_done)
    /// (at once if none is unfinished).
    #[track_caller]
    pub fn join(&self) -> impl Future<Output = ()> + '_ {
        crate::wait_site::sited("Queue::join", self.unfinished.join())
    }

    /// Shuts the queue down: `put` fails from now on (waiting putters too, their items given
    /// back), and `get` gives the items left, then fails. Returns `false` if it was shut down
    /// already.
    pub fn shutdown(&self) -> bool {
        self.sender.close()
    }

    /// Shuts the queue down at once (asyncio's `shutdown(immediate=True)`): the items in it
    /// are dropped, each counted as done (so [`join`](Queue::join) returns once the items
    /// already taken are done too), `get` fails at once and `put` fails, waiting putters too.
    /// Returns `false` if it was shut down already (the items left are dropped all the same).
    pub fn shutdown_now(&self) -> bool {
        let first = self.sender.close();
        let mut items = Vec::with_capacity(self.receiver.len());
        while let Ok(item) = self.receiver.try_recv() {
            items.push(item);
        }
        // Counted done before they are dropped: a destructor that panics stops nothing.
        for _ in 0..items.len() {
            self.unfinished.done_one();
        }
        drop(items);
        first
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        self.sender.is_closed()
    }

    /// How many items are in the queue.
    pub fn len(&self) -> usize {
        self.sender.len()
    }

    /// Whether the queue holds no item.
    pub fn is_empty(&self) -> bool {
        self.sender.is_empty()
    }

    /// Whether the queue holds `maxsize` items (never, without a bound).
    pub fn is_full(&self) -> bool {
        self.sender.is_full()
    }

    /// The bound given to [`Queue::new`], 0 for none.
    pub fn maxsize(&self) -> usize {
        self.sender.capacity().unwrap_or(0)
    }
}

/// An item counted as unfinished before its put completed: uncounted when dropped armed.
pub(super) struct Counted<'a>(pub(super) Option<&'a Unfinished>);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        if let Some(unfinished) = self.0 {
            unfinished.done_one();
        }
    }
}

impl Unfinished {
    pub(super) fn new() -> Unfinished {
        Unfinished {
            count: AtomicUsize::new(0),
            zero: Event::new(),
        }
    }

    /// One more item put (counted before it is visible, so that a getter's `task_done` cannot
    /// come first); the guard uncounts it unless disarmed (the put failed or was cancelled).
    pub(super) fn add_one(&self) -> Counted<'_> {
        self.count.fetch_add(1, Ordering::AcqRel);
        Counted(Some(self))
    }

    pub(super) fn done_one(&self) {
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.zero.notify(usize::MAX);
        }
    }

    /// How many items are unfinished.
    pub(super) fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    #[track_caller]
    pub(super) fn task_done(&self) {
        let previous = self
            .count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |count| {
                count.checked_sub(1)
            });
        match previous {
            Ok(1) => {
                self.zero.notify(usize::MAX);
            }
            Ok(_) => {}
            Err(_) => panic!(
                "`task_done` was called more times than items were put in this queue: call it \
                 once per item taken with `get`, after working on it"
            ),
        }
    }

    pub(super) async fn join(&self) {
        loop {
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            let listener = self.zero.listen();
            // Checked again once listening: a `task_done` in between is not missed.
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            listener.await;
        }
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            sender: self.sender.clone(),
            receiver: self.receiver.clone(),
            unfinished: self.unfinished.clone(),
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("len", &self.len())
            .field("maxsize", &self.maxsize())
            .field("unfinished", &self.unfinished.count())
            .field("shut_down", &self.is_shut_down())
            .finish()
    }
}

/// The queue was shut down: what `put` gives back (with the item) and `get` gives once it is
/// empty (with `()`). asyncio's `QueueShutDown`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue was shut down")
    }
}

impl<T> Error for QueueShutDown<T> {}

/// A shut-down queue as an [`io::Error`](std::io::Error) of kind `Other` whose inner error is a
/// `QueueShutDown`, so that `queue.put(x).await?` and `queue.get().await?` work in a function
/// that returns `io::Result`. A `put`'s item is dropped: match the `Err` to keep it.
///
/// ```
/// use jobloop_runtime::sync::{Queue, QueueShutDown};
/// use std::io;
///
/// async fn produce(queue: &Queue<u32>) -> io::Result<()> {
///     queue.put(1).await?;
///     Ok(())
/// }
///
/// let queue = Queue::new(0);
/// queue.shutdown();
/// let error = jobloop_runtime::EventLoop::new().block_on(produce(&queue)).unwrap_err();
/// assert_eq!(error.kind(), io::ErrorKind::Other);
/// assert!(error.get_ref().is_some_and(|inner| inner.is::<QueueShutDown>()));
/// ```
impl<T> From<QueueShutDown<T>> for std::io::Error {
    fn from(_: QueueShutDown<T>) -> std::io::Error {
        std::io::Error::other(QueueShutDown(()))
    }
}

/// Why [`Queue::try_put`] failed; the item comes back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TryPutError<T> {
    /// The queue is full.
    Full(T),
    /// The queue was shut down.
    ShutDown(T),
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("the queue is full"),
            TryPutError::ShutDown(_) => f.write_str("the queue was shut down"),
        }
    }
}

impl<T> Error for TryPutError<T> {}

/// Why [`Queue::try_get`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryGetError {
    /// The queue is empty.
    Empty,
    /// The queue was shut down and is empty.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::ShutDown => f.write_str("the queue was shut down and is empty"),
        }
    }
}

impl Error for TryGetError {}
