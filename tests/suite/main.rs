//! jobloop's integration tests, as one test binary (one link instead of many): each module is
//! one subject, and `common` (the library of this package, `tests/common.rs`) holds the helpers
//! they share. The tests that need a binary of their own are beside this folder: a global
//! allocator that counts (`stress.rs`, `task_set_memory.rs`), an environment variable set for
//! the whole process (`track_caller.rs`), a `tracing` subscriber, which raises tracing's level
//! for the whole process (`tracing_spans.rs`), a crate without the prelude
//! (`no_implicit_prelude.rs`).

mod behaviour;
mod conformance;
mod deadlock;
mod faults;
mod hygiene;
mod io;
mod layout;
mod shuffle;
mod virtual_time;

/// `examples/custom_runtime.rs`, a runtime of one's own, which the conformance suite and the I/O
/// tests run on.
#[allow(dead_code)] // its `main` is the example's
#[path = "../../examples/custom_runtime.rs"]
mod custom_runtime;
