//! The programs that the tests of this crate run, signal and read, as one binary: its first
//! argument names the program (each is a module of this folder, with its `main`), the next one
//! is the program's own (`programs handled term`).
//!
//! One binary instead of one per program: each is a debug link of the whole runtime, and
//! sixteen of them took a good part of the test command's build from clean and of its disk.

use std::process::{ExitCode, Termination};

mod blocked_exit;
mod deadlocked;
mod dropped_listener;
mod failing_main;
mod handled;
mod left_running;
mod many_tasks;
mod nested_groups;
mod no_tokio;
mod panicking_cleanup;
mod progress;
mod ready_then_wait;
mod slow_cleanup;
mod slow_drop_at_exit;
mod slow_poll;
mod stuck_poll;
mod task_tree;
mod upper_lines;
mod well_behaved;

/// The argument given to the program after its name, if any.
fn argument() -> Option<String> {
    std::env::args().nth(2)
}

/// Runs a program's `main` and turns what it returns into the exit status, as Rust does for a
/// binary's `main`.
fn run<T: Termination>(main: fn() -> T) -> ExitCode {
    main().report()
}

fn main() -> ExitCode {
    let name = std::env::args().nth(1).unwrap_or_default();
    match name.as_str() {
        "blocked_exit" => run(blocked_exit::main),
        "deadlocked" => run(deadlocked::main),
        "dropped_listener" => run(dropped_listener::main),
        "failing_main" => run(failing_main::main),
        "handled" => run(handled::main),
        "left_running" => run(left_running::main),
        "many_tasks" => run(many_tasks::main),
        "nested_groups" => run(nested_groups::main),
        "no_tokio" => run(no_tokio::main),
        "panicking_cleanup" => run(panicking_cleanup::main),
        "progress" => run(progress::main),
        "ready_then_wait" => run(ready_then_wait::main),
        "slow_cleanup" => run(slow_cleanup::main),
        "slow_drop_at_exit" => run(slow_drop_at_exit::main),
        "slow_poll" => run(slow_poll::main),
        "stuck_poll" => run(stuck_poll::main),
        "stuck_poll_scoped" => run(stuck_poll::scoped),
        "task_tree" => run(task_tree::main),
        "upper_lines" => run(upper_lines::main),
        "well_behaved" => run(well_behaved::main),
        _ => {
            eprintln!("usage: programs NAME [ARGUMENT], NAME a module of tests/signals/src/bin");
            ExitCode::from(2)
        }
    }
}
