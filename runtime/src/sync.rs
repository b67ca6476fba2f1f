//! asyncio's synchronization toolkit, for tasks on any runtime: [`Queue`] (`asyncio.Queue`),
//! [`PriorityQueue`], [`LifoQueue`], [`Event`], [`Mutex`] (`asyncio.Lock`, guarding its data),
//! [`Condvar`] (`asyncio.Condition`), [`Semaphore`], [`Barrier`] and [`OnceCell`] (an asyncio
//! `Future` that holds a result for many waiters).
//!
//! Built on well-kept, runtime-agnostic crates (async-channel, async-lock, event-listener): they
//! wake tasks through their wakers, so they work the same on the embedded loop, tokio, smol and
//! a runtime of your own, between tasks on one thread or many (every type is `Send + Sync` when
//! its items are). [`Queue`], [`Event`], [`Semaphore`] and [`Barrier`] are cheap handles: clone
//! one into each task that uses it. A [`Mutex`] holds data, as `std::sync::Mutex` does: share it
//! with an `Arc`, or borrow it from `scoped` tasks.
//!
//! | asyncio | jobloop |
//! |---|---|
//! | `asyncio.Queue(maxsize)` | [`Queue::new(maxsize)`](Queue::new) |
//! | `asyncio.PriorityQueue(maxsize)`, `asyncio.LifoQueue(maxsize)` | [`PriorityQueue::new(maxsize)`](OrderedQueue::new), [`LifoQueue::new(maxsize)`](OrderedQueue::new) |
//! | `queue.shutdown(immediate=True)` | [`Queue::shutdown_now`] |
//! | `asyncio.Condition()`: `async with cond: await cond.wait()`, `cond.notify()` | [`Condvar::new()`](Condvar::new): `guard = cond.wait(guard).await`, [`notify_one`](Condvar::notify_one), [`notify_all`](Condvar::notify_all) |
//! | `asyncio.Event()` | [`Event::new()`](Event::new) |
//! | `asyncio.Lock()` | [`Mutex::new(data)`](Mutex::new) |
//! | `asyncio.Semaphore(n)` | [`Semaphore::new(n)`](Semaphore::new) |
//! | `asyncio.Barrier(n)` | [`Barrier::new(n)`](Barrier::new) |
//! | `fut = loop.create_future()`, `fut.set_result(v)`, `await fut` in many tasks | [`OnceCell::new()`](OnceCell::new), [`try_set(v)`](OnceCell::try_set), [`wait()`](OnceCell::wait)`.await`; a load run once for many callers: [`get_or_init`](OnceCell::get_or_init) |

mod barrier;
mod condvar;
mod event;
mod lock;
mod once_cell;
mod ordered_queue;
mod queue;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use condvar::Condvar;
pub use event::{Event, Wait};
pub use lock::{Mutex, MutexGuard, Semaphore, SemaphoreGuard};
pub use once_cell::OnceCell;
pub use ordered_queue::{Lifo, LifoQueue, Order, OrderedQueue, Priority, PriorityQueue};
pub use queue::{Queue, QueueShutDown, TryGetError, TryPutError};
