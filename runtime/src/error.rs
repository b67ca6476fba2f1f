//! The errors of task groups: [`TaskError`] (what happened to one task) and [`Elapsed`] (a
//! timeout).

use std::any::Any;
use std::error::Error;
use std::fmt;

/// What happened to a task that did not produce its output: the outcome of each failed task in
/// `tasks![settle; ...]`, which never fails as a whole.
///
/// ```
/// use jobloop_runtime::group::{Group, Settle};
/// use jobloop_runtime::EventLoop;
///
/// // What `tasks![settle; for id in 0..2 => job(id)]` does, by hand:
/// let outcomes = EventLoop::new().block_on(async {
///     let jobs = (0..2u32).map(|id| async move {
///         if id == 1 {
///             panic!("boom");
///         }
///         id
///     });
///     Group::new(Settle::default(), usize::MAX, jobs).await
/// });
/// assert_eq!(outcomes[0], Ok(0));
/// let error = outcomes[1].clone().unwrap_err();
/// assert!(error.is_panic());
/// assert_eq!(error.panic_message(), Some("boom"));
/// assert_eq!(error.to_string(), "task `#1` panicked: boom"); // `tasks![]` names it `job(id)[1]`
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskError {
    task: String,
    kind: TaskErrorKind,
}

/// The kinds of [`TaskError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskErrorKind {
    /// The task panicked; the panic's message (empty when the payload was not a string).
    Panicked(String),
    /// The group's timeout (`timeout = D`), or the task's own (`task_timeout = D`), expired
    /// before the task finished; the task was cancelled.
    TimedOut,
    /// The task was cancelled alone, before it finished
    /// ([`TaskSet::cancel_task`](crate::TaskSet::cancel_task), asyncio's `task.cancel()`).
    Cancelled,
}

impl TaskError {
    pub(crate) fn new(task: String, kind: TaskErrorKind) -> TaskError {
        TaskError { task, kind }
    }

    pub(crate) fn panicked(task: String, payload: &(dyn Any + Send)) -> TaskError {
        let message = if let Some(message) = payload.downcast_ref::<&str>() {
            (*message).to_string()
        } else if let Some(message) = payload.downcast_ref::<String>() {
            message.clone()
        } else {
            String::new()
        };
        TaskError::new(task, TaskErrorKind::Panicked(message))
    }

    /// The task's name: its expression as written, with the item's index in the `for` form
    /// (`fetch(u)[3]`).
    pub fn task(&self) -> &str {
        &self.task
    }

    /// What happened.
    pub fn kind(&self) -> &TaskErrorKind {
        &self.kind
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.kind, TaskErrorKind::Panicked(_))
    }

    /// Whether a timeout stopped the task: the group's (`timeout = D`) or its own
    /// (`task_timeout = D`).
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, TaskErrorKind::TimedOut)
    }

    /// Whether the task was cancelled alone ([`TaskSet::cancel_task`](crate::TaskSet::cancel_task)).
    pub fn is_cancelled(&self) -> bool {
        matches!(self.kind, TaskErrorKind::Cancelled)
    }

    /// The panic's message, if the task panicked.
    pub fn panic_message(&self) -> Option<&str> {
        match &self.kind {
            TaskErrorKind::Panicked(message) => Some(message),
            _ => None,
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = &self.task;
        match &self.kind {
            TaskErrorKind::Panicked(message) if message.is_empty() => {
                write!(f, "task `{task}` panicked")
            }
            TaskErrorKind::Panicked(message) => write!(f, "task `{task}` panicked: {message}"),
            TaskErrorKind::TimedOut => write!(f, "task `{task}` timed out"),
            TaskErrorKind::Cancelled => write!(f, "task `{task}` was cancelled"),
        }
    }
}

impl Error for TaskError {}

/// The error of a [`timeout`](crate::timeout) that expired, and of `tasks![timeout = ...; ...]`
/// when its tasks did not all finish in time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deadline expired before the work finished")
    }
}

impl Error for Elapsed {}

/// An expired [`timeout`](crate::timeout) as an I/O error of kind
/// [`TimedOut`](std::io::ErrorKind::TimedOut), so that `timeout(d, read).await??` works in a
/// function that returns `io::Result` (as tokio's `Elapsed` does).
///
/// ```
/// use std::io;
/// use std::time::Duration;
///
/// async fn read_slowly() -> io::Result<u8> {
///     std::future::pending().await
/// }
///
/// async fn read_in_time() -> io::Result<u8> {
///     let byte = jobloop_runtime::timeout(Duration::from_millis(10), read_slowly()).await??;
///     Ok(byte)
/// }
///
/// let error = jobloop_runtime::EventLoop::new().block_on(read_in_time()).unwrap_err();
/// assert_eq!(error.kind(), io::ErrorKind::TimedOut);
/// ```
impl From<Elapsed> for std::io::Error {
    fn from(elapsed: Elapsed) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::TimedOut, elapsed)
    }
}
