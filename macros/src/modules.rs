// The macros' modules, declared once: `lib.rs`, the fuzz target (`fuzz/src/lib.rs`) and the
// benchmarks (`benches/suite.rs`) all `include!` this file, so the three never disagree on the
// list. The paths are written out because a file included from elsewhere resolves `mod` items
// relative to itself.

/// `#[job_main]` and `#[job_test]`.
#[path = "entry/mod.rs"]
pub(crate) mod entry;
/// `tasks![]`.
#[path = "tasks/mod.rs"]
pub(crate) mod tasks;

/// Errors gathered over one invocation.
#[path = "errors.rs"]
mod errors;
/// Splitting token streams into expressions, and the text of an expression.
#[path = "tokens.rs"]
mod tokens;
