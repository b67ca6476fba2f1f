//! asyncio's synchronization toolkit, for tasks on any runtime: [`Queue`] (`asyncio.Queue`),
//! [`Event`], [`Mutex`] (`asyncio.Lock`, guarding its data), [`Semaphore`] and [`Barrier`].
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
//! | `asyncio.Event()` | [`Event::new()`](Event::new) |
//! | `asyncio.Lock()` | [`Mutex::new(data)`](Mutex::new) |
//! | `asyncio.Semaphore(n)` | [`Semaphore::new(n)`](Semaphore::new) |
//! | `asyncio.Barrier(n)` | [`Barrier::new(n)`](Barrier::new) |

mod barrier;
mod event;
mod lock;
mod queue;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use event::{Event, Wait};
pub use lock::{Mutex, MutexGuard, Semaphore, SemaphoreGuard};
pub use queue::{Queue, QueueShutDown, TryGetError, TryPutError};
