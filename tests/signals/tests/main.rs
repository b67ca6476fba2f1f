//! The tests that run this crate's binaries for real, one test binary with a module per subject:
//! Ctrl-C and SIGTERM (`ctrl_c`), debug mode's reports and the trace (`debug`), the progress bar
//! on a terminal (`progress`), and standard input and output (`stdio`). `dropped_ctrl_c.rs` is a
//! binary of its own: it needs a process in which no test installed the signal handlers.

mod ctrl_c;
mod debug;
mod progress;
mod stdio;

use std::process::Command;

/// The program `name` of `tests/signals/src/bin` (one binary runs them all, by name).
fn program(name: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_programs"));
    command.arg(name);
    command
}

/// Runs `check` for each of `runtimes` at once, each on a thread of its own: the programs mostly
/// wait (for a sleep, a signal, their end), so a test takes as long as its slowest runtime
/// instead of the sum of them all. The first runtime's panic, if any, is the test's failure.
fn on_each_runtime<'a>(
    runtimes: impl IntoIterator<Item = &'a str>,
    check: impl Fn(&'a str) + Sync,
) {
    let check = &check;
    std::thread::scope(|scope| {
        let checks: Vec<_> = (runtimes.into_iter())
            .map(|runtime| scope.spawn(move || check(runtime)))
            .collect();
        let mut failure = None;
        for finished in checks.into_iter().map(|check| check.join()) {
            if let Err(panic) = finished {
                failure.get_or_insert(panic);
            }
        }
        if let Some(panic) = failure {
            std::panic::resume_unwind(panic);
        }
    });
}
