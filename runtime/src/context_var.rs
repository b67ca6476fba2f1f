//! Context variables (asyncio's `contextvars`): values that every task started from a task
//! inherits, such as a request's id or a tracing context. Feature `context`.
//!
//! # The rules
//!
//! - Each thread has a *current context*: the values of the code running on it now. A task has
//!   a context of its own, which its polls make current (and which is put back after each
//!   poll); code outside any task (`block_on`'s future, `#[job_main]`'s body) uses its thread's.
//! - A task gets a copy of the current context at the moment it starts: [`spawn`](crate::spawn),
//!   [`spawn_send`](crate::spawn_send), a group's tasks (`tasks![]`, [`TaskSet`](crate::TaskSet),
//!   `scoped` ones too) and [`Handle::spawn`](crate::Handle::spawn) (the calling thread's).
//!   [`to_thread`](crate::to_thread) runs its closure in a copy of the caller's.
//! - [`ContextVar::set`] changes the current context only: a child's `set` is not seen by its
//!   parent or its siblings, and a parent's later `set` is not seen by children started before.
//!   A task's destructors run in its context too (what they set goes with the task).
//! - Unlike `asyncio.run`, which runs `main` in a copy, `block_on`'s future uses its thread's own
//!   context: what it sets stays on that thread after `block_on` returns.
//!
//! # What it costs
//!
//! With the feature on, every task is started inside a wrapper that keeps its context (a
//! pointer, shared until a `set`), and each poll makes it current and puts the caller's back (two
//! thread-local swaps). A `set` copies the context's list of values (one entry per variable
//! set). Without the feature there is none of this: jobloop's tasks cost what they cost without
//! it (BENCHMARKS.md's instruction tables are measured without it).

#![cfg_attr(not(feature = "context"), allow(dead_code))]

#[cfg(not(feature = "context"))]
pub(crate) use off::Context;
#[cfg(feature = "context")]
pub(crate) use on::Context;
#[cfg(feature = "context")]
pub use on::ContextVar;

/// Without the feature: a task has no context, and entering it does nothing.
#[cfg(not(feature = "context"))]
mod off {
    /// Nothing: see the feature's `Context`.
    #[derive(Default)]
    pub(crate) struct Context {
        _nothing: (),
    }

    /// Nothing entered.
    pub(crate) struct Entered;

    impl Context {
        #[inline(always)]
        pub(crate) fn capture() -> Context {
            Context { _nothing: () }
        }

        #[inline(always)]
        pub(crate) fn enter(&mut self) -> Entered {
            Entered
        }

        #[inline(always)]
        pub(crate) fn enter_for_drop(&mut self) {}
    }
}

#[cfg(feature = "context")]
mod on {
    use std::any::Any;
    use std::cell::Cell;
    use std::fmt;
    use std::marker::PhantomData;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    /// The values of one context: each variable's id and value, shared between the contexts copied
    /// from it until one of them changes.
    type Values = Arc<Vec<(usize, Arc<dyn Any + Send + Sync>)>>;

    thread_local! {
        /// The current context of this thread: the task's being polled, or the thread's own.
        static CURRENT: Cell<Option<Values>> = const { Cell::new(None) };
    }

    /// Whether a variable was ever set in this process: until then every context is empty, and
    /// tasks skip the swaps of the thread's current context.
    static EVER_SET: AtomicBool = AtomicBool::new(false);

    /// The id of the next variable to be used for the first time (0 means "none yet").
    static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

    /// A context variable (asyncio's `contextvars.ContextVar`): each task sees the value it
    /// inherited from the task that started it, or set itself. Declare one as a `static`; its
    /// values are `T: Clone + Send + Sync` (an `Arc` for a value that is costly to clone).
    ///
    /// ```
    /// use jobloop_runtime::{spawn, ContextVar, EventLoop};
    ///
    /// static REQUEST_ID: ContextVar<u64> = ContextVar::new();
    ///
    /// EventLoop::new().block_on(async {
    ///     REQUEST_ID.set(7);
    ///     let child = spawn(async {
    ///         let inherited = REQUEST_ID.get();
    ///         REQUEST_ID.set(8); // the child's own context only
    ///         inherited
    ///     });
    ///     assert_eq!(child.await, Some(7));
    ///     assert_eq!(REQUEST_ID.get(), Some(7)); // not changed by the child
    /// });
    /// ```
    pub struct ContextVar<T> {
        /// Given the first time the variable is used: a key that no other variable has.
        id: AtomicUsize,
        _values: PhantomData<fn() -> T>,
    }

    impl<T: Clone + Send + Sync + 'static> ContextVar<T> {
        /// A variable with no value in any context yet.
        pub const fn new() -> ContextVar<T> {
            ContextVar {
                id: AtomicUsize::new(0),
                _values: PhantomData,
            }
        }

        /// The variable's value in the current context (a clone), or `None` if it has none there.
        pub fn get(&self) -> Option<T> {
            let id = self.id.load(Ordering::Acquire);
            if id == 0 {
                return None;
            }
            let values = current_values()?;
            let (_, value) = values.iter().find(|(key, _)| *key == id)?;
            value.downcast_ref::<T>().cloned()
        }

        /// Sets the variable's value in the current context (the task's own, or the thread's
        /// outside a task); returns the value it had there. Tasks started from now on inherit it;
        /// tasks already running do not see it.
        pub fn set(&self, value: T) -> Option<T> {
            self.replace(Some(Arc::new(value)))
        }

        /// Removes the variable's value from the current context; returns the value it had there.
        pub fn remove(&self) -> Option<T> {
            self.replace(None)
        }

        fn replace(&self, value: Option<Arc<dyn Any + Send + Sync>>) -> Option<T> {
            EVER_SET.store(true, Ordering::Relaxed);
            let id = self.id();
            let mut values = current_values().map_or_else(Vec::new, |values| values.to_vec());
            let old = (values.iter().position(|(key, _)| *key == id)).map(|at| values.remove(at).1);
            if let Some(value) = value {
                values.push((id, value));
            }
            let values = (!values.is_empty()).then(|| Arc::new(values));
            let _ = CURRENT.try_with(|current| current.set(values));
            old.and_then(|old| old.downcast_ref::<T>().cloned())
        }

        /// The variable's key, given at its first use.
        fn id(&self) -> usize {
            let id = self.id.load(Ordering::Acquire);
            if id != 0 {
                return id;
            }
            let new = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            match (self.id).compare_exchange(0, new, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => new,
                // Another thread gave it one first.
                Err(id) => id,
            }
        }
    }

    impl<T: Clone + Send + Sync + 'static> Default for ContextVar<T> {
        fn default() -> Self {
            ContextVar::new()
        }
    }

    impl<T: Clone + Send + Sync + fmt::Debug + 'static> fmt::Debug for ContextVar<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ContextVar")
                .field("value", &self.get())
                .finish()
        }
    }

    /// The current context's values (a shared pointer to them), or `None` when it has none.
    fn current_values() -> Option<Values> {
        CURRENT
            .try_with(|current| {
                let values = current.take();
                current.set(values.clone());
                values
            })
            .ok()
            .flatten()
    }

    /// A task's context: a copy of the current one when the task started, made current while the
    /// task is polled (see [`Context::enter`]) and while its future is dropped (see
    /// [`Context::enter_for_drop`]).
    #[derive(Default)]
    pub(crate) struct Context {
        /// The task's values; once `enter_for_drop` ran, the caller's, put back on drop.
        values: Option<Values>,
        /// Whether `enter_for_drop` ran.
        entered_for_drop: bool,
    }

    impl Context {
        /// A copy of the current context, for a task starting now.
        #[inline]
        pub(crate) fn capture() -> Context {
            if !EVER_SET.load(Ordering::Relaxed) {
                return Context::default();
            }
            Context {
                values: current_values(),
                entered_for_drop: false,
            }
        }

        /// Makes this context current until the guard is dropped, which puts the caller's back and
        /// keeps what the task set meanwhile.
        #[inline]
        pub(crate) fn enter(&mut self) -> Entered<'_> {
            if self.values.is_none() && !EVER_SET.load(Ordering::Relaxed) {
                // Every context is empty (this thread's current one too): nothing to swap.
                return Entered {
                    context: self,
                    outer: None,
                    swapped: false,
                };
            }
            let outer = swap_current(self.values.take());
            Entered {
                context: self,
                outer,
                swapped: true,
            }
        }

        /// Makes this context current until this is dropped: for the drop of the task's future,
        /// which its owner drops before this (a field after the future's). What the destructors
        /// set is dropped with it.
        #[inline]
        pub(crate) fn enter_for_drop(&mut self) {
            self.entered_for_drop = true;
            // Unless every context is still empty (the caller's too): swapped, the caller's kept.
            if self.values.is_some() || EVER_SET.load(Ordering::Relaxed) {
                self.values = swap_current(self.values.take());
            }
        }
    }

    impl Drop for Context {
        #[inline]
        fn drop(&mut self) {
            // The caller's context goes back, unless nothing was ever set (then the current one
            // is still the caller's, empty).
            if self.entered_for_drop && (self.values.is_some() || EVER_SET.load(Ordering::Relaxed))
            {
                drop(swap_current(self.values.take()));
            }
        }
    }

    /// Makes `values` this thread's current context; gives the one it replaces.
    fn swap_current(values: Option<Values>) -> Option<Values> {
        CURRENT
            .try_with(|current| current.replace(values))
            .ok()
            .flatten()
    }

    /// A task's context made current: see [`Context::enter`].
    pub(crate) struct Entered<'a> {
        context: &'a mut Context,
        outer: Option<Values>,
        /// Whether `enter` swapped: not while no variable had been set (the caller's context was
        /// then empty).
        swapped: bool,
    }

    impl Drop for Entered<'_> {
        #[inline]
        fn drop(&mut self) {
            // A first `set` during the poll (this task's): its values are taken back all the
            // same, and the caller's empty context put back.
            if !self.swapped && !EVER_SET.load(Ordering::Relaxed) {
                return;
            }
            self.context.values = swap_current(self.outer.take());
        }
    }
}
