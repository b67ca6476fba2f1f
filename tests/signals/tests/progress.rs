//! The progress bar for real: drawn when stderr is a terminal (a pseudo terminal made by
//! `script`), absent when it is a pipe.
#![cfg(target_os = "linux")]

use std::process::Command;

const RUNTIMES: [&str; 4] = ["event-loop", "tokio", "tokio-multi-thread", "smol"];

/// What the progress binary wrote on a terminal, run with `argument` on `runtime`: `script` runs
/// it with a pseudo terminal as its stdin, stdout and stderr, and copies what it wrote to its
/// own stdout.
fn on_a_terminal(runtime: &str, argument: &str) -> String {
    let output = Command::new("script")
        .args([
            "-q",
            "-e",
            "-c",
            &format!("{} progress {argument}", env!("CARGO_BIN_EXE_programs")),
            "/dev/null",
        ])
        .env("JOBLOOP_RUNTIME", runtime)
        .output()
        .expect("run `script` (util-linux)");
    assert!(output.status.success(), "{runtime}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Whether `line` starts a line of `text` (the terminal's lines end with `\r\n`).
fn starts_a_line(text: &str, line: &str) -> bool {
    text.find(line)
        .is_some_and(|at| at == 0 || text[..at].ends_with('\n'))
}

#[test]
fn the_bar_is_drawn_on_a_terminal() {
    // On every runtime of the conformance suite: the bar does not depend on the loop.
    for runtime in RUNTIMES {
        let text = on_a_terminal(runtime, "");
        assert!(
            text.contains("[##############################] 20/20"),
            "{runtime}: {text:?}"
        );
        assert!(text.contains("done in"), "{runtime}: {text:?}");
        // The finished bar ends its line: the program's next line is one of its own.
        assert!(starts_a_line(&text, "18 ok"), "{runtime}: {text:?}");
    }
}

/// A group that ends at its timeout says so on its bar (it no longer freezes at "~0s left"),
/// whether the timeout gives `Err(Elapsed)` or, under `settle`, timed-out outcomes.
#[test]
fn a_bar_whose_group_times_out_says_so() {
    for runtime in RUNTIMES {
        for (argument, printed) in [("timeout", "gave up"), ("settle-timeout", "4 timed out")] {
            let text = on_a_terminal(runtime, argument);
            assert!(
                text.contains("timed out after"),
                "{runtime} {argument}: {text:?}"
            );
            assert!(
                starts_a_line(&text, printed),
                "{runtime} {argument}: {text:?}"
            );
        }
    }
}

#[test]
fn no_bar_when_stderr_is_not_a_terminal() {
    let output = crate::program("progress").output().expect("run the binary");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "18 ok\n");
}
