//! [`Mutex`] and [`Semaphore`]: asyncio's `Lock` and `Semaphore`, on async-lock.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

pub use async_lock::MutexGuard;

/// A lock for data shared between tasks (asyncio's `Lock`, which guards no data; Rust's guards
/// it): [`lock`](Mutex::lock) waits until no other task holds the lock, and the guard releases
/// it when dropped. Tasks waiting for it are served in turn. Unlike `std::sync::Mutex`, a task
/// may hold the guard across an `.await` without blocking its thread.
///
/// Share it with an `Arc` between spawned tasks, or borrow it from `scoped` ones.
///
/// ```
/// use jobloop_runtime::sync::Mutex;
/// use jobloop_runtime::{sleep, EventLoop, TaskGroup};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let log = EventLoop::new().block_on(async {
///     let log = Arc::new(Mutex::new(Vec::new()));
///     let mut group = TaskGroup::new();
///     for id in 0..3 {
///         let log = log.clone();
///         group.spawn(async move {
///             let mut log = log.lock().await; // held across the sleep: one task at a time
///             log.push(format!("start {id}"));
///             sleep(Duration::from_millis(1)).await;
///             log.push(format!("end {id}"));
///         });
///     }
///     group.await;
///     Arc::try_unwrap(log).unwrap().into_inner()
/// });
/// assert_eq!(log[..2], ["start 0", "end 0"]);
/// ```
#[derive(Default)]
pub struct Mutex<T: ?Sized>(async_lock::Mutex<T>);

impl<T> Mutex<T> {
    /// A lock around `data`.
    pub fn new(data: T) -> Mutex<T> {
        Mutex(async_lock::Mutex::new(data))
    }

    /// The data, from a lock no one else can hold any more.
    pub fn into_inner(self) -> T {
        self.0.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits until the lock is free and takes it; the guard gives the data, and releases the
    /// lock when dropped.
    #[track_caller]
    pub fn lock(&self) -> impl Future<Output = MutexGuard<'_, T>> + '_ {
        crate::wait_site::sited("Mutex::lock", self.0.lock())
    }

    /// Takes the lock if it is free now.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.0.try_lock()
    }

    /// The data, through a unique reference (no lock needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.0.get_mut()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// At most `n` holders at once (asyncio's `Semaphore`): [`acquire`](Semaphore::acquire) waits
/// for a permit, and the guard gives it back when dropped. Waiters are served in turn.
///
/// A cheap handle: clones share the same permits (`Send + Sync`), and the guard owns its
/// permit, so it may move into a task. A semaphore of 0 permits makes `acquire` wait until
/// [`add_permits`](Semaphore::add_permits) gives some (asyncio's `Semaphore(0)` does the same).
/// To bound a group of tasks, `tasks![limit = n; ...]` says it in one word.
///
/// ```
/// use jobloop_runtime::sync::Semaphore;
/// use jobloop_runtime::{sleep, EventLoop, TaskGroup};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let most = EventLoop::new().block_on(async {
///     let permits = Semaphore::new(2);
///     let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
///     let mut group = TaskGroup::new();
///     for _ in 0..6 {
///         let (permits, running, most) = (permits.clone(), running.clone(), most.clone());
///         group.spawn(async move {
///             let _permit = permits.acquire().await;
///             most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
///             sleep(Duration::from_millis(2)).await;
///             running.fetch_sub(1, Ordering::SeqCst);
///         });
///     }
///     group.await;
///     most.load(Ordering::SeqCst)
/// });
/// assert_eq!(most, 2);
/// ```
#[derive(Clone)]
pub struct Semaphore(Arc<async_lock::Semaphore>);

/// A permit of a [`Semaphore`], given back when dropped.
pub type SemaphoreGuard = async_lock::SemaphoreGuardArc;

impl Semaphore {
    /// A semaphore with `permits` permits.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore(Arc::new(async_lock::Semaphore::new(permits)))
    }

    /// Waits for a permit and takes it.
    #[track_caller]
    pub fn acquire(&self) -> impl Future<Output = SemaphoreGuard> + '_ {
        crate::wait_site::sited("Semaphore::acquire", self.0.acquire_arc())
    }

    /// Takes a permit if one is free now.
    pub fn try_acquire(&self) -> Option<SemaphoreGuard> {
        self.0.try_acquire_arc()
    }

    /// Adds `n` permits.
    pub fn add_permits(&self, n: usize) {
        self.0.add_permits(n);
    }

    /// How many permits are free now.
    pub fn available_permits(&self) -> usize {
        self.0.available_permits()
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Semaphore")
            .field("available_permits", &self.available_permits())
            .finish()
    }
}
