//! `jobloop::io::stdin()` and `stdout()` in a real program: lines piped in, upper-cased lines
//! out, on every runtime.

use std::io::Write;
use std::process::Stdio;

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
        let mut child = crate::program("upper_lines")
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

/// `stdin()` reads at most 64 KiB ahead of the program (and the pipe holds its own): a program
/// that takes one line does not pull megabytes of an endless input into memory (blocking's
/// default read-ahead is 8 MiB).
#[test]
fn stdin_is_not_read_far_ahead_of_the_program() {
    use std::io::{BufRead, BufReader};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let mut child = crate::program("upper_lines")
        .arg("one")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let written = written.clone();
        std::thread::spawn(move || {
            let mut chunk = [b'x'; 4096];
            chunk[4095] = b'\n'; // lines of 4 KiB
                                 // Until the child is gone (a broken pipe) or 16 MiB went in.
            while written.load(Ordering::SeqCst) < 16 << 20 && stdin.write_all(&chunk).is_ok() {
                written.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        })
    };
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "read one\n");
    // The child now reads nothing more for a second: what went in by then is the pipe's
    // buffer and the read-ahead.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let taken = written.load(Ordering::SeqCst);
    assert!(child.wait().unwrap().success());
    writer.join().unwrap();
    assert!(
        taken < 1 << 20,
        "{taken} bytes were read ahead of a program that took one line"
    );
}

/// A closed pipe (`tool | head -3`) is `BrokenPipe` from `write_all`, as the docs of `stdout()`
/// say, on every runtime: a tool checks that kind to end quietly. It was `WriteZero` ("failed to
/// write whole buffer") once the thread that writes had stopped on the closed pipe.
#[test]
fn a_write_to_a_closed_stdout_is_a_broken_pipe() {
    use std::io::Read;

    for runtime in RUNTIMES {
        let mut child = crate::program("upper_lines")
            .arg("forever")
            .env("JOBLOOP_RUNTIME", runtime)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut some = [0u8; 4096];
        child.stdout.take().unwrap().read_exact(&mut some).unwrap();
        // The read end is closed here.
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{runtime}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim(), "BrokenPipe", "{runtime}");
    }
}
