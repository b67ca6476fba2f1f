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
