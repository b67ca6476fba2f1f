//! [`PriorityQueue`] and [`LifoQueue`]: asyncio's other two queues. One type,
//! [`OrderedQueue`], whose [`Order`] says which item `get` takes: the smallest
//! ([`Priority`]) or the newest ([`Lifo`]). The items live in a `std` mutex (held for a push or a
//! pop, never across an await); waiting getters and putters wait on event-listener events.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use event_listener::Event;

use super::queue::Unfinished;
use super::{QueueShutDown, TryGetError, TryPutError};

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Priority {}
    impl Sealed for super::Lifo {}
}

/// Which item an [`OrderedQueue`]'s `get` takes: [`Priority`] or [`Lifo`]. Sealed.
pub trait Order<T>: sealed::Sealed {
    /// Where the items are kept.
    #[doc(hidden)]
    type Items: Default;
    #[doc(hidden)]
    fn push(items: &mut Self::Items, item: T);
    #[doc(hidden)]
    fn pop(items: &mut Self::Items) -> Option<T>;
    #[doc(hidden)]
    fn len(items: &Self::Items) -> usize;
}

/// The smallest item first (`T: Ord`), as asyncio's `PriorityQueue` (a `(priority, data)` tuple
/// orders by priority first).
#[derive(Debug)]
pub struct Priority;

/// The item put last first, as asyncio's `LifoQueue`.
#[derive(Debug)]
pub struct Lifo;

impl<T: Ord> Order<T> for Priority {
    type Items = BinaryHeap<Reverse<T>>;

    fn push(items: &mut Self::Items, item: T) {
        items.push(Reverse(item));
    }

    fn pop(items: &mut Self::Items) -> Option<T> {
        items.pop().map(|Reverse(item)| item)
    }

    fn len(items: &Self::Items) -> usize {
        items.len()
    }
}

impl<T> Order<T> for Lifo {
    type Items = Vec<T>;

    fn push(items: &mut Self::Items, item: T) {
        items.push(item);
    }

    fn pop(items: &mut Self::Items) -> Option<T> {
        items.pop()
    }

    fn len(items: &Self::Items) -> usize {
        items.len()
    }
}

/// asyncio's `PriorityQueue`: [`get`](OrderedQueue::get) takes the smallest item. The methods
/// are [`Queue`](super::Queue)'s.
///
/// ```
/// use jobloop_runtime::sync::PriorityQueue;
/// use jobloop_runtime::EventLoop;
///
/// let order = EventLoop::new().block_on(async {
///     let queue = PriorityQueue::new(0);
///     for (priority, job) in [(3, "later"), (1, "first"), (2, "then")] {
///         queue.put((priority, job)).await.unwrap();
///     }
///     let mut order = Vec::new();
///     while let Ok((_, job)) = queue.try_get() {
///         order.push(job);
///     }
///     order
/// });
/// assert_eq!(order, ["first", "then", "later"]);
/// ```
pub type PriorityQueue<T> = OrderedQueue<T, Priority>;

/// asyncio's `LifoQueue`: [`get`](OrderedQueue::get) takes the item put last. The methods are
/// [`Queue`](super::Queue)'s.
///
/// ```
/// use jobloop_runtime::sync::LifoQueue;
/// use jobloop_runtime::EventLoop;
///
/// let order = EventLoop::new().block_on(async {
///     let queue = LifoQueue::new(0);
///     for n in 1..=3 {
///         queue.put(n).await.unwrap();
///     }
///     let mut order = Vec::new();
///     while let Ok(n) = queue.try_get() {
///         order.push(n);
///     }
///     order
/// });
/// assert_eq!(order, [3, 2, 1]);
/// ```
pub type LifoQueue<T> = OrderedQueue<T, Lifo>;

/// A queue between tasks whose [`get`](OrderedQueue::get) takes the item its [`Order`] says:
/// [`PriorityQueue`] or [`LifoQueue`]. Everything else is as in [`Queue`](super::Queue):
/// a cheap handle (clones share the queue), `maxsize` (0 for no bound), `put` waiting while
/// full and `get` while empty, `task_done`/`join`, `shutdown` and `shutdown_now`. Waiting
/// tasks are woken in the order they began to wait, one per item; a task that calls `get`
/// (or `put`) just then may take the item (or the room) first, and the woken one waits again.
pub struct OrderedQueue<T, O: Order<T>> {
    shared: Arc<Shared<T, O>>,
}

struct Shared<T, O: Order<T>> {
    state: Mutex<State<O::Items>>,
    /// 0 for no bound.
    maxsize: usize,
    /// Getters wait on it; notified once per item put.
    not_empty: Event,
    /// Putters wait on it; notified once per item taken.
    not_full: Event,
    unfinished: Unfinished,
}

struct State<I> {
    items: I,
    shut_down: bool,
}

impl<T, O: Order<T>> OrderedQueue<T, O> {
    /// A queue that holds at most `maxsize` items; 0 means no bound (as in asyncio).
    pub fn new(maxsize: usize) -> OrderedQueue<T, O> {
        OrderedQueue {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    items: O::Items::default(),
                    shut_down: false,
                }),
                maxsize,
                not_empty: Event::new(),
                not_full: Event::new(),
                unfinished: Unfinished::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<O::Items>> {
        // A panic in `Ord` (user code) while the lock was held leaves the items as they are.
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn has_room(&self, state: &State<O::Items>) -> bool {
        self.shared.maxsize == 0 || O::len(&state.items) < self.shared.maxsize
    }

    /// Puts `item` in, waiting while the queue is full. After a shutdown, fails with the item
    /// given back.
    #[track_caller]
    pub fn put(&self, item: T) -> impl Future<Output = Result<(), QueueShutDown<T>>> + '_ {
        crate::wait_site::sited("OrderedQueue::put", async move {
            // Uncounted if the put fails or is cancelled while it waits.
            let mut counted = self.shared.unfinished.add_one();
            loop {
                let listener = {
                    let mut state = self.state();
                    if state.shut_down {
                        return Err(QueueShutDown(item));
                    }
                    if self.has_room(&state) {
                        // Counted for good before the push: a push that panics (in `Ord`) leaves
                        // the item in, as `BinaryHeap` does.
                        counted.0 = None;
                        O::push(&mut state.items, item);
                        drop(state);
                        self.shared.not_empty.notify_additional(1);
                        return Ok(());
                    }
                    // Registered before the lock is released: a `get` right after is not missed.
                    self.shared.not_full.listen()
                };
                listener.await;
            }
        })
    }

    /// Puts `item` in if there is room now.
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        let mut state = self.state();
        if state.shut_down {
            return Err(TryPutError::ShutDown(item));
        }
        if !self.has_room(&state) {
            return Err(TryPutError::Full(item));
        }
        // Counted for good: the push below cannot fail.
        self.shared.unfinished.add_one().0 = None;
        O::push(&mut state.items, item);
        drop(state);
        self.shared.not_empty.notify_additional(1);
        Ok(())
    }

    /// Takes the item the order says, waiting while the queue is empty. After
    /// [`shutdown`](OrderedQueue::shutdown), gives the items left, then fails.
    #[track_caller]
    pub fn get(&self) -> impl Future<Output = Result<T, QueueShutDown>> + '_ {
        crate::wait_site::sited("OrderedQueue::get", async move {
            loop {
                let listener = {
                    let mut state = self.state();
                    if let Some(item) = O::pop(&mut state.items) {
                        drop(state);
                        self.shared.not_full.notify_additional(1);
                        return Ok(item);
                    }
                    if state.shut_down {
                        return Err(QueueShutDown(()));
                    }
                    // Registered before the lock is released: a `put` right after is not missed.
                    self.shared.not_empty.listen()
                };
                listener.await;
            }
        })
    }

    /// Takes the item the order says if there is one now.
    pub fn try_get(&self) -> Result<T, TryGetError> {
        let mut state = self.state();
        match O::pop(&mut state.items) {
            Some(item) => {
                drop(state);
                self.shared.not_full.notify_additional(1);
                Ok(item)
            }
            None if state.shut_down => Err(TryGetError::ShutDown),
            None => Err(TryGetError::Empty),
        }
    }

    /// Marks one item taken with `get` as done: when every item put is done,
    /// [`join`](OrderedQueue::join) returns.
    ///
    /// # Panics
    ///
    /// When called more times than items were put (asyncio raises `ValueError` then).
    #[track_caller]
    pub fn task_done(&self) {
        self.shared.unfinished.task_done();
    }

    /// Waits until every item put has been marked done with
    /// [`task_done`](OrderedQueue::task_done) (at once if none is unfinished).
    #[track_caller]
    pub fn join(&self) -> impl Future<Output = ()> + '_ {
        crate::wait_site::sited("OrderedQueue::join", self.shared.unfinished.join())
    }

    /// Shuts the queue down: `put` fails from now on (waiting putters too, their items given
    /// back), and `get` gives the items left, then fails. Returns `false` if it was shut down
    /// already.
    pub fn shutdown(&self) -> bool {
        let first = !std::mem::replace(&mut self.state().shut_down, true);
        self.shared.not_empty.notify(usize::MAX);
        self.shared.not_full.notify(usize::MAX);
        first
    }

    /// Shuts the queue down at once (asyncio's `shutdown(immediate=True)`): the items in it
    /// are dropped, each counted as done (so [`join`](OrderedQueue::join) returns once the
    /// items already taken are done too), and `get` and `put` fail. Returns `false` if it was
    /// shut down already (the items left are dropped all the same).
    pub fn shutdown_now(&self) -> bool {
        let (first, items) = {
            let mut state = self.state();
            let first = !std::mem::replace(&mut state.shut_down, true);
            (first, std::mem::take(&mut state.items))
        };
        // Counted done before they are dropped: a destructor that panics stops nothing.
        for _ in 0..O::len(&items) {
            self.shared.unfinished.done_one();
        }
        self.shared.not_empty.notify(usize::MAX);
        self.shared.not_full.notify(usize::MAX);
        // Dropped outside the lock: their destructors may run user code.
        drop(items);
        first
    }

    /// Whether the queue was shut down.
    pub fn is_shut_down(&self) -> bool {
        self.state().shut_down
    }

    /// How many items are in the queue.
    pub fn len(&self) -> usize {
        O::len(&self.state().items)
    }

    /// Whether the queue holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the queue holds `maxsize` items (never, without a bound).
    pub fn is_full(&self) -> bool {
        !self.has_room(&self.state())
    }

    /// The bound given to `new`, 0 for none.
    pub fn maxsize(&self) -> usize {
        self.shared.maxsize
    }
}

impl<T, O: Order<T>> Clone for OrderedQueue<T, O> {
    fn clone(&self) -> Self {
        OrderedQueue {
            shared: self.shared.clone(),
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for OrderedQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderedQueue")
            .field("len", &self.len())
            .field("maxsize", &self.maxsize())
            .field("unfinished", &self.shared.unfinished.count())
            .field("shut_down", &self.is_shut_down())
            .finish()
    }
}
