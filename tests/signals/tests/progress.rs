//! The progress bar for real: drawn when stderr is a terminal (a pseudo terminal made by
//! `script`), absent when it is a pipe.
#![cfg(target_os = "linux")]

use std::process::Command;

#[test]
fn the_bar_is_drawn_on_a_terminal() {
    // On every runtime of the conformance suite: the bar does not depend on the loop.
    for runtime in ["event-loop", "tokio", "tokio-multi-thread", "smol"] {
        // `script` runs the binary with a pseudo terminal as its stdin, stdout and stderr,
        // and copies what it wrote to its own stdout.
        let output = Command::new("script")
            .args([
                "-q",
                "-e",
                "-c",
                env!("CARGO_BIN_EXE_progress"),
                "/dev/null",
            ])
            .env("JOBLOOP_RUNTIME", runtime)
            .output()
            .expect("run `script` (util-linux)");
        assert!(output.status.success(), "{runtime}: {output:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("[##############################] 20/20"),
            "{runtime}: {text:?}"
        );
        assert!(text.contains("done in"), "{runtime}: {text:?}");
        assert!(text.contains("18 ok"), "{runtime}: {text:?}");
    }
}

#[test]
fn no_bar_when_stderr_is_not_a_terminal() {
    let output = Command::new(env!("CARGO_BIN_EXE_progress"))
        .output()
        .expect("run the binary");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "18 ok\n");
}
