//! The macros' compile-fail cases: each misuse must be a compile error at the offending token
//! with a message that says what to write instead (trybuild, `fail/`, each with its `.stderr`).
//! And the passing cases (`pass/`): each compiles without a warning (most say
//! `#![deny(warnings)]`; CI's clippy with `-D warnings` covers them all) and runs to a
//! successful exit. They are this crate's binaries, run here, and, for the `job_test` cases,
//! tests of their own that cargo runs.

use std::process::Command;

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("fail/*.rs");
}

/// The passing cases built as binaries of this crate: name, path.
macro_rules! passing_binaries {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), env!(concat!("CARGO_BIN_EXE_", stringify!($name))))),*]
    };
}

const PASSING: [(&str, &str); 16] = passing_binaries![
    job_main_debug,
    job_main_result,
    job_main_runtime_option,
    job_main_signals_off,
    tasks_control_flow_of_their_own,
    tasks_hygiene,
    tasks_limit_own_blocks,
    tasks_modes,
    tasks_nested,
    tasks_progress,
    tasks_scoped_and_stream,
    tasks_send,
    tasks_stream_try_timeout,
    tasks_task_timeout,
    tasks_trailing_comma,
    tasks_turbofish,
];

/// The cases written as `job_test`s: Cargo.toml makes each a test target (cargo runs them).
const PASSING_TESTS: [&str; 2] = ["job_test_should_panic", "job_test_shuffle"];

#[test]
fn every_passing_case_runs_to_a_successful_exit() {
    for (name, path) in PASSING {
        let output = Command::new(path)
            .output()
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert!(
            output.status.success(),
            "pass/{name}.rs exited with {}\nstdout:\n{}\nstderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }
}

/// A case added to `pass/` without its entry in Cargo.toml (and above) would never be built:
/// each file is the `path` of a target there, and a binary or a test listed here.
#[test]
fn every_file_of_pass_is_a_case() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .expect("the crate's Cargo.toml");
    let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/pass");
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .expect("the folder pass/")
        .map(|entry| entry.expect("an entry of pass/").file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut cases: Vec<String> = PASSING
        .iter()
        .map(|(name, _)| *name)
        .chain(PASSING_TESTS)
        .map(|name| format!("{name}.rs"))
        .collect();
    cases.sort();
    assert_eq!(files, cases, "each file of pass/ is listed above");
    for file in &files {
        let path = format!("path = \"pass/{file}\"");
        assert!(
            manifest.contains(&path),
            "pass/{file} is a [[bin]] (a [[test]] for a job_test case) in Cargo.toml"
        );
    }
}
