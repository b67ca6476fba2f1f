//! [`OnceCell`]: a value set once that many tasks wait for (asyncio's `Future` as a result
//! holder), on async-lock.

use std::fmt;
use std::future::Future;

/// A value that is set once and that any number of tasks wait for: asyncio's
/// `loop.create_future()` used as a result holder (`fut.set_result(v)`, `await fut` in many
/// tasks), and the usual way to run a load once for every task that asks at the same time
/// ([`get_or_init`](OnceCell::get_or_init)).
///
/// async-lock's `OnceCell`, with jobloop's wait sites: a task waiting in it shows in the task
/// tree and in a deadlock's report. Share it with an `Arc`, or borrow it from `scoped` tasks.
///
/// Unlike an asyncio `Future`, it holds no exception: with
/// [`get_or_try_init`](OnceCell::get_or_try_init), a load that fails gives its error to the task
/// that ran it, and the next waiting task runs the load again.
///
/// ```
/// use jobloop_runtime::sync::OnceCell;
/// use jobloop_runtime::{yield_now, EventLoop, TaskGroup};
/// use std::cell::Cell;
/// use std::rc::Rc;
///
/// let (values, loads) = EventLoop::new().block_on(async {
///     let cell = Rc::new(OnceCell::new());
///     let loads = Rc::new(Cell::new(0));
///     let mut group = TaskGroup::new();
///     for _ in 0..10 {
///         let (cell, loads) = (cell.clone(), loads.clone());
///         group.spawn(async move {
///             *cell
///                 .get_or_init(|| async {
///                     loads.set(loads.get() + 1);
///                     yield_now().await; // the others ask meanwhile
///                     42
///                 })
///                 .await
///         });
///     }
///     (group.await, loads.get())
/// });
/// assert_eq!(values, [42; 10]);
/// assert_eq!(loads, 1); // one load for the ten of them
/// ```
///
/// In a `static`, a load that borrows its caller's data still gives a `&'static` value:
///
/// ```
/// use jobloop_runtime::sync::OnceCell;
///
/// static CONFIG: OnceCell<String> = OnceCell::new();
///
/// async fn config(path: &str) -> &'static str {
///     CONFIG.get_or_init(|| async move { format!("read from {path}") }).await
/// }
///
/// let text = jobloop_runtime::EventLoop::new().block_on(config("app.toml"));
/// assert_eq!(text, "read from app.toml");
/// ```
pub struct OnceCell<T>(async_lock::OnceCell<T>);

impl<T> OnceCell<T> {
    /// An empty cell (usable in a `static`).
    pub const fn new() -> OnceCell<T> {
        OnceCell(async_lock::OnceCell::new())
    }

    /// The value, if it is set.
    pub fn get(&self) -> Option<&T> {
        self.0.get()
    }

    /// Whether the value is set.
    pub fn is_initialized(&self) -> bool {
        self.0.is_initialized()
    }

    /// Sets the value, if it is not set and no task is setting it (asyncio's `set_result`);
    /// gives `value` back otherwise.
    ///
    /// # Errors
    ///
    /// `Err(value)` when the cell is set, or being set by [`get_or_init`](OnceCell::get_or_init).
    pub fn try_set(&self, value: T) -> Result<(), T> {
        self.0.try_set(value)
    }

    /// Sets the value, waiting for a task that is setting it first; gives `value` back when the
    /// cell is set by then.
    #[track_caller]
    pub fn set(&self, value: T) -> impl Future<Output = Result<&T, T>> + '_ {
        crate::wait_site::sited("OnceCell::set", self.0.set(value))
    }

    /// Waits until the value is set (asyncio's `await fut`).
    #[track_caller]
    pub fn wait(&self) -> impl Future<Output = &T> + '_ {
        crate::wait_site::sited("OnceCell::wait", self.0.wait())
    }

    /// The value, set by running `init` if it is not set: one task runs it while the others
    /// that ask meanwhile wait for its value. If the task running it is cancelled, the next
    /// waiting task runs `init` instead.
    #[track_caller]
    pub fn get_or_init<'a, 'f, F, Fut>(&'a self, init: F) -> impl Future<Output = &'a T> + 'f
    where
        'a: 'f,
        F: FnOnce() -> Fut + 'f,
        Fut: Future<Output = T> + 'f,
    {
        crate::wait_site::sited("OnceCell::get_or_init", self.0.get_or_init(init))
    }

    /// [`get_or_init`](OnceCell::get_or_init) with a load that may fail: the error goes to the
    /// task that ran `init`, the cell stays empty, and the next waiting task runs it again.
    ///
    /// # Errors
    ///
    /// The error of `init`, when this call ran it and it failed.
    #[track_caller]
    pub fn get_or_try_init<'a, 'f, E, F, Fut>(
        &'a self,
        init: F,
    ) -> impl Future<Output = Result<&'a T, E>> + 'f
    where
        'a: 'f,
        E: 'f,
        F: FnOnce() -> Fut + 'f,
        Fut: Future<Output = Result<T, E>> + 'f,
    {
        crate::wait_site::sited("OnceCell::get_or_try_init", self.0.get_or_try_init(init))
    }

    /// Takes the value out, leaving the cell empty.
    pub fn take(&mut self) -> Option<T> {
        self.0.take()
    }

    /// The value, if it is set.
    pub fn into_inner(self) -> Option<T> {
        self.0.into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> Self {
        OnceCell::new()
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OnceCell").field(&self.get()).finish()
    }
}
