//! `jobloop::io::stdin()` and `stdout()` in a real program: lines piped in, upper-cased lines
//! out, on every runtime.

use std::io::Write;
use std::process::{Command, Stdio};

const RUNTIMES: [&str; 4] = ["event-loop", "tokio", "tokio-multi-thread", "smol"];

#[test]
fn lines_piped_through_stdin_and_stdout() {
    // More lines than one read of a pipe holds, the last without its newline.
    let mut input: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    input.push_str("last");
    let expected: String = (0..5000)
        .map(|i| format!("LINE {i}\n"))
        .chain(["LAST\n".to_string(), "5001 lines\n".to_string()])
        .collect();
    for runtime in RUNTIMES {
        let mut child = Command::new(env!("CARGO_BIN_EXE_upper_lines"))
            .env("JOBLOOP_RUNTIME", runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.clone();
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout) == expected,
            "{runtime}: the output differs: {} bytes against {}",
            output.stdout.len(),
            expected.len()
        );
    }
}
