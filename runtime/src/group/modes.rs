//! The modes of a [`Group`](super::Group): what the outcomes of its tasks make. All outputs
//! ([`All`]), all or the first error ([`Try`]), every outcome ([`Settle`]), or the first to
//! finish ([`Race`]). A mode takes each outcome as its task finishes, puts outputs back in the
//! written order ([`InOrder`]), and says when the group is decided early (a race's winner, `try`'s
//! first `Err`).

use std::collections::VecDeque;
use std::fmt;

use super::sealed::Sealed;
use crate::error::{Elapsed, TaskError};

impl<T> Sealed for All<T> {}
impl<T, E> Sealed for Try<T, E> {}
impl<T> Sealed for Settle<T> {}
impl Sealed for Race {}

/// What a group makes of its tasks' outcomes: [`All`], [`Try`], [`Settle`] or [`Race`]. Sealed:
/// the group relies on the rules stated here, which only these four are checked against.
///
/// Outcomes arrive in the order the tasks finish, each with the task's index (its place in the
/// written order); a mode that gives outputs in the written order puts them back in it.
pub trait Mode<T>: Sealed {
    /// What awaiting the group gives.
    type Output;

    /// Whether panics fail the whole group (resumed where it is awaited) rather than being an
    /// outcome like any other.
    const PANICS_FAIL_GROUP: bool = true;

    /// Whether the group needs at least one task (a race does: it gives one task's output).
    const NEEDS_A_TASK: bool = false;

    /// Task `index` gave `output`; `Some` ends the group with that result.
    fn output(&mut self, index: usize, output: T) -> Option<Self::Output>;

    /// Task `index` gave no output: it panicked, or the group's timeout or the task's own gave
    /// up on it. [`Settle`] sees each (its panics do not fail the group, and only a settling
    /// group has a timeout of its own); [`Try`] sees the tasks' own timeouts
    /// (`tasks![try, task_timeout = D; ...]`), which fail the group with an error made from
    /// [`Elapsed`]. The default, for the other modes, is never called. `Some` ends the group.
    fn failed(&mut self, index: usize, error: TaskError) -> Option<Self::Output> {
        let _ = index;
        panic!("{error}")
    }

    /// The result once every task has arrived.
    fn finish(&mut self) -> Self::Output;

    /// Whether `output` counts as failed on a progress bar (`Err` under `try`).
    fn is_failure(output: &T) -> bool {
        let _ = output;
        false
    }
}

/// Outputs arriving in any order, given back in their tasks' order: those that arrive ahead of
/// their turn wait in a window that starts at the first missing one.
struct InOrder<T> {
    done: Vec<T>,
    window: VecDeque<Option<T>>,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        InOrder {
            done: Vec::new(),
            window: VecDeque::new(),
        }
    }
}

impl<T> InOrder<T> {
    fn put(&mut self, index: usize, value: T) {
        let offset = index - self.done.len();
        if offset == 0 && self.window.is_empty() {
            // In its turn, nothing waiting: straight to the outputs.
            self.done.push(value);
            return;
        }
        if offset >= self.window.len() {
            self.window.resize_with(offset + 1, || None);
        }
        self.window[offset] = Some(value);
        while let Some(Some(_)) = self.window.front() {
            if let Some(Some(value)) = self.window.pop_front() {
                self.done.push(value);
            }
        }
    }

    fn take(&mut self) -> Vec<T> {
        debug_assert!(self.window.is_empty(), "a task's output is missing");
        std::mem::take(&mut self.done)
    }
}

/// Every output, in written order; a panic fails the group. `tasks![for ...]` with options.
pub struct All<T> {
    outputs: InOrder<T>,
}

impl<T> Default for All<T> {
    fn default() -> Self {
        All {
            outputs: InOrder::default(),
        }
    }
}

impl<T> fmt::Debug for All<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("All")
            .field("outputs", &self.outputs.done.len())
            .finish()
    }
}

impl<T> Mode<T> for All<T> {
    type Output = Vec<T>;

    fn output(&mut self, index: usize, output: T) -> Option<Vec<T>> {
        self.outputs.put(index, output);
        None
    }

    fn finish(&mut self) -> Vec<T> {
        self.outputs.take()
    }
}

/// Outputs that are `Result`s: every `Ok` value in written order, or the first `Err` (the first to
/// happen, not the first in order), which cancels the tasks still running. `tasks![try; ...]`.
pub struct Try<T, E> {
    outputs: InOrder<T>,
    /// Under a stream's timeout that must say so
    /// ([`GroupStream::with_timeout_error`](super::GroupStream::with_timeout_error)): makes
    /// the error of the stream's last item; under a timeout of each task
    /// ([`Group::with_task_timeout_error`](super::Group::with_task_timeout_error)), the error
    /// of a task that timed out.
    pub(super) timeout_error: Option<fn(Elapsed) -> E>,
}

impl<T, E> Default for Try<T, E> {
    fn default() -> Self {
        Try {
            outputs: InOrder::default(),
            timeout_error: None,
        }
    }
}

impl<T, E> fmt::Debug for Try<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Try")
            .field("outputs", &self.outputs.done.len())
            .finish()
    }
}

impl<T, E> Mode<Result<T, E>> for Try<T, E> {
    type Output = Result<Vec<T>, E>;

    fn output(&mut self, index: usize, output: Result<T, E>) -> Option<Self::Output> {
        match output {
            Ok(value) => {
                self.outputs.put(index, value);
                None
            }
            Err(error) => Some(Err(error)),
        }
    }

    /// A task timed out (its own timeout): the group fails with the error made for it.
    fn failed(&mut self, index: usize, error: TaskError) -> Option<Self::Output> {
        match self.timeout_error {
            Some(to_error) if error.is_timeout() => Some(Err(to_error(Elapsed::new()))),
            _ => {
                let _ = index;
                panic!("{error}")
            }
        }
    }

    fn finish(&mut self) -> Self::Output {
        Ok(self.outputs.take())
    }

    fn is_failure(output: &Result<T, E>) -> bool {
        output.is_err()
    }
}

/// Every outcome, in written order: the output, or a [`TaskError`] for a task that panicked, was
/// cancelled or timed out. Never fails. `tasks![settle; ...]`.
pub struct Settle<T> {
    outcomes: InOrder<Result<T, TaskError>>,
}

impl<T> Default for Settle<T> {
    fn default() -> Self {
        Settle {
            outcomes: InOrder::default(),
        }
    }
}

impl<T> fmt::Debug for Settle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settle")
            .field("outcomes", &self.outcomes.done.len())
            .finish()
    }
}

impl<T> Mode<T> for Settle<T> {
    type Output = Vec<Result<T, TaskError>>;
    const PANICS_FAIL_GROUP: bool = false;

    fn output(&mut self, index: usize, output: T) -> Option<Self::Output> {
        self.outcomes.put(index, Ok(output));
        None
    }

    fn failed(&mut self, index: usize, error: TaskError) -> Option<Self::Output> {
        self.outcomes.put(index, Err(error));
        None
    }

    fn finish(&mut self) -> Self::Output {
        self.outcomes.take()
    }
}

/// The first task to finish wins: its index and output; the others are cancelled.
/// `tasks![race; ...]`.
#[derive(Debug, Default)]
pub struct Race;

impl<T> Mode<T> for Race {
    type Output = (usize, T);
    const NEEDS_A_TASK: bool = true;

    fn output(&mut self, index: usize, output: T) -> Option<(usize, T)> {
        Some((index, output))
    }

    fn finish(&mut self) -> (usize, T) {
        panic!("`tasks![race; ...]` had no task to race: its iterator was empty")
    }
}
