//! Ctrl-C and SIGTERM for real: each test runs a binary of this crate, waits until it works,
//! sends the signal with `kill`, and checks the exit status and what the destructors printed. On
//! the embedded loop and on tokio.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::program;

/// A running binary, and its stdout lines as they come.
struct Program {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Program {
    /// Runs `command` from a shell that first sets `ignored` (`INT`, `TERM`) to "ignored", as
    /// `trap '' INT` in a script does (the disposition is inherited through `exec`).
    fn start_ignoring(command: Command, runtime: &str, ignored: &str) -> Program {
        Program::run(Program::ignoring(command, ignored), runtime)
    }

    /// `command` (a program and its arguments) run with `ignored` set to "ignored" (see
    /// [`start_ignoring`](Program::start_ignoring)).
    fn ignoring(command: Command, ignored: &str) -> Command {
        let mut shell = Command::new("sh");
        shell
            .args(["-c", &format!("trap '' {ignored}; exec \"$0\" \"$@\"")])
            .arg(command.get_program())
            .args(command.get_args());
        shell
    }

    fn run(mut command: Command, runtime: &str) -> Program {
        let mut child = command
            .env("JOBLOOP_RUNTIME", runtime)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Program {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 20 s) until `count` lines contain `text`.
    fn wait_for(&mut self, text: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.seen.iter().filter(|line| line.contains(text)).count() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no {count} lines with {text:?} in 20 s: {:?}", self.seen),
            }
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal}");
    }

    /// Waits (at most `limit`) for the exit; the rest of stdout, to its end, joins what was seen.
    fn exit(mut self, limit: Duration) -> (Output, Vec<String>, Duration) {
        let start = Instant::now();
        loop {
            if self.child.try_wait().expect("wait").is_some() {
                break;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                panic!("still running {limit:?} after the signal: {:?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let took = start.elapsed();
        let output = self.child.wait_with_output().expect("output");
        // The reader thread may not have passed on the last lines yet: take them until it
        // reaches the end of the pipe (at most 5 s, if a grandchild keeps the pipe open).
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        (output, self.seen, took)
    }
}

const RUNTIMES: [&str; 3] = ["event-loop", "tokio", "tokio-multi-thread:2"];

#[test]
fn ctrl_c_cancels_main_runs_every_destructor_and_exits_130() {
    for runtime in RUNTIMES {
        let mut program = Program::run(Command::new(env!("CARGO_BIN_EXE_ctrl_c")), runtime);
        program.wait_for("working", 3);
        program.signal("INT");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
        for id in 0..3 {
            assert!(
                lines.contains(&format!("job {id}: released")),
                "{runtime}: job {id}'s destructor ran: {lines:?}"
            );
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("Ctrl-C (SIGINT): cancelled the main task"),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "one line on stderr: {stderr}");
    }
}

#[test]
fn sigterm_does_the_same_and_exits_143() {
    for runtime in RUNTIMES {
        let mut program = Program::run(Command::new(env!("CARGO_BIN_EXE_ctrl_c")), runtime);
        program.wait_for("working", 3);
        program.signal("TERM");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(143), "{runtime}: {lines:?}");
        assert_eq!(lines.iter().filter(|l| l.ends_with("released")).count(), 3);
    }
}

#[test]
fn a_second_signal_during_the_cleanup_exits_at_once() {
    for runtime in RUNTIMES {
        let mut program = Program::run(program("slow_cleanup"), runtime);
        program.wait_for("working", 1);
        program.signal("INT");
        program.wait_for("cleanup started", 1);
        program.signal("INT");
        let (output, lines, took) = program.exit(Duration::from_secs(5));
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
        assert!(
            took < Duration::from_secs(5),
            "{runtime}: exited at once ({took:?})"
        );
        assert!(!lines.iter().any(|l| l == "cleanup finished"), "{lines:?}");
    }
}

#[test]
fn a_panicking_destructor_does_not_hang_the_exit() {
    for runtime in RUNTIMES {
        let mut program = Program::run(program("panicking_cleanup"), runtime);
        program.wait_for("working", 1);
        program.signal("INT");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
        assert!(lines.contains(&"job 1: released".to_string()), "{lines:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("a destructor panicked during the cleanup"),
            "{stderr}"
        );
    }
}

#[test]
fn a_program_that_awaits_ctrl_c_handles_it_and_exits_normally() {
    crate::on_each_runtime(RUNTIMES, |runtime| {
        handles_ctrl_c(Program::run(program("handled"), runtime), runtime);
    });
}

/// `program` (the `handled` binary) takes a Ctrl-C itself: it drains and exits with 0.
fn handles_ctrl_c(program: Program, runtime: &str) {
    handles(program, "INT", runtime);
}

/// `program` (the `handled` binary) takes `signal` itself: it drains and exits with 0.
fn handles(mut program: Program, signal: &str, runtime: &str) {
    // The program makes its wait before it prints: the signal can come at once.
    program.wait_for("serving", 1);
    program.signal(signal);
    let (output, lines, _) = program.exit(Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(0), "{runtime}: {lines:?}");
    assert_eq!(lines[1..], ["draining", "drained"], "{runtime}");
}

/// `signal::terminate()` takes SIGTERM as `ctrl_c()` takes Ctrl-C (asyncio's
/// `add_signal_handler(SIGTERM, ...)`): a service stops gracefully and exits 0, also where the
/// parent set SIGTERM to ignored; and Ctrl-C still cancels main while a task waits for SIGTERM.
#[test]
fn a_program_that_awaits_terminate_handles_sigterm_and_exits_normally() {
    crate::on_each_runtime(EVERY_RUNTIME, |runtime| {
        let mut command = program("handled");
        command.arg("term");
        handles(Program::run(command, runtime), "TERM", runtime);
    });
    crate::on_each_runtime(RUNTIMES, |runtime| {
        let mut ignoring = Program::ignoring(program("handled"), "TERM");
        ignoring.arg("term");
        handles(Program::run(ignoring, runtime), "TERM", runtime);
        let mut command = program("handled");
        command.arg("term");
        let mut program = Program::run(command, runtime);
        program.wait_for("serving", 1);
        std::thread::sleep(Duration::from_millis(500));
        program.signal("INT");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
    });
}

/// `ctrl_c()` and `terminate()` catch their signal from their call on, as asyncio's
/// `add_signal_handler` does, not from their first poll: a server that makes them before it says
/// it is ready takes a signal sent right after, even while its start-up still holds the thread.
/// It used to be caught by nobody, and cancelled the main task (exit 130 or 143).
#[test]
fn a_signal_wait_made_before_the_ready_line_takes_a_signal_sent_right_after() {
    crate::on_each_runtime(EVERY_RUNTIME, |runtime| {
        for (signal, took) in [("INT", "took Ctrl-C"), ("TERM", "took SIGTERM")] {
            let mut program = Program::run(program("ready_then_wait"), runtime);
            program.wait_for("ready", 1);
            program.signal(signal);
            let (output, lines, _) = program.exit(Duration::from_secs(10));
            assert_eq!(
                output.status.code(),
                Some(0),
                "{runtime} {signal}: {lines:?}"
            );
            assert_eq!(lines, ["ready", took], "{runtime} {signal}");
        }
    });
}

/// A signal that came to the only task waiting for it, dropped before it looked (a race's loser
/// when another task won in that very turn, a timeout), is not lost: it cancels main as if no
/// task had waited. It used to be used up, and the program went on. Where another task saw it,
/// it was taken.
#[test]
fn a_signal_whose_listener_is_dropped_before_it_looks_cancels_main() {
    /// Starts `dropped_listener ARGUMENT` on `runtime`, sends `signals` while its loop is busy,
    /// then lets it go on.
    fn run(runtime: &str, argument: &str, signals: &[&str]) -> (Output, Vec<String>) {
        let mut command = program("dropped_listener");
        command.arg(argument).stdin(Stdio::piped());
        let mut program = Program::run(command, runtime);
        program.wait_for("waiting", 1);
        for signal in signals {
            program.signal(signal);
        }
        let mut stdin = program.child.stdin.take().expect("stdin");
        stdin.write_all(b"go\n").expect("write to the program");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        (output, lines)
    }
    crate::on_each_runtime(RUNTIMES, |runtime| {
        let (output, lines) = run(runtime, "int", &["INT"]);
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
        assert_eq!(lines, ["waiting", "dropped"], "{runtime}");
        // Two waits: the one that saw it takes it, and the other one's drop changes nothing.
        let (output, lines) = run(runtime, "seen", &["INT"]);
        assert_eq!(output.status.code(), Some(0), "{runtime}: {lines:?}");
        assert_eq!(
            lines,
            ["waiting", "seen", "dropped", "went on"],
            "{runtime}"
        );
    });
    let (output, lines) = run("event-loop", "term", &["TERM"]);
    assert_eq!(output.status.code(), Some(143), "{lines:?}");
    assert_eq!(lines, ["waiting", "dropped"]);
    // Two signals act as two: the second exits at once, in the drop.
    let (output, lines) = run("event-loop", "int", &["INT", "INT"]);
    assert_eq!(output.status.code(), Some(130), "{lines:?}");
    assert_eq!(lines, ["waiting"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("exiting now"), "{stderr}");
}

/// A signal that the parent set to "ignored" (`cmd &` in a script, `trap '' INT`) stays ignored,
/// as CPython does: the program goes on, and the signal it still catches ends it as usual.
#[test]
fn a_signal_the_parent_ignored_stays_ignored() {
    crate::on_each_runtime(RUNTIMES, |runtime| {
        for (ignored, sent, code) in [("INT", "TERM", 143), ("TERM", "INT", 130)] {
            let mut program = Program::start_ignoring(
                Command::new(env!("CARGO_BIN_EXE_ctrl_c")),
                runtime,
                ignored,
            );
            program.wait_for("working", 3);
            program.signal(ignored);
            std::thread::sleep(Duration::from_millis(500));
            assert!(
                program.child.try_wait().expect("wait").is_none(),
                "{runtime}: SIG{ignored}, ignored by the parent, ended the program"
            );
            program.signal(sent);
            let (output, lines, _) = program.exit(Duration::from_secs(10));
            assert_eq!(output.status.code(), Some(code), "{runtime}: {lines:?}");
            assert_eq!(lines.iter().filter(|l| l.ends_with("released")).count(), 3);
        }
    });
}

/// Debug mode says when SIGINT was set to ignored by the parent, so that a Ctrl-C (or `kill
/// -INT` from a test script without job control) that does nothing is explained; without debug
/// mode nothing more is said.
#[test]
fn debug_mode_says_that_the_parent_ignored_sigint() {
    for debug in [true, false] {
        let mut command = Program::ignoring(Command::new(env!("CARGO_BIN_EXE_ctrl_c")), "INT");
        if debug {
            command.env("JOBLOOP_DEBUG", "1");
        } else {
            command.env_remove("JOBLOOP_DEBUG");
        }
        let mut program = Program::run(command, "event-loop");
        program.wait_for("working", 3);
        program.signal("TERM");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(143), "{lines:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let said = stderr.contains("SIGINT was set to ignored by the parent process");
        assert_eq!(said, debug, "debug mode {debug}: {stderr}");
    }
}

/// `signal::ctrl_c()` asks for Ctrl-C explicitly (asyncio's `add_signal_handler`): a program
/// that awaits it gets Ctrl-C even where the parent had SIGINT ignored.
#[test]
fn awaiting_ctrl_c_catches_it_even_where_the_parent_ignored_it() {
    crate::on_each_runtime(RUNTIMES, |runtime| {
        handles_ctrl_c(
            Program::start_ignoring(program("handled"), runtime, "INT"),
            runtime,
        );
    });
}

const EVERY_RUNTIME: [&str; 4] = ["event-loop", "tokio", "tokio-multi-thread:2", "smol"];

/// Work of `to_thread` still running when main returns is left to itself: the process exits at
/// once, on every runtime (tokio's runtime, dropped, used to wait 30 s for its blocking pool).
#[test]
fn main_returns_while_to_thread_work_runs_and_the_process_exits_at_once() {
    for runtime in EVERY_RUNTIME {
        let mut command = program("blocked_exit");
        command.arg("give-up");
        let mut program = Program::run(command, runtime);
        program.wait_for("gave up", 1);
        let (output, lines, took) = program.exit(Duration::from_secs(5));
        assert_eq!(output.status.code(), Some(0), "{runtime}: {lines:?}");
        assert!(took < Duration::from_secs(5), "{runtime}: {took:?}");
    }
}

/// One SIGTERM while main waits on `to_thread` work cancels main and exits with 143 at once, on
/// every runtime (on tokio it used to take a second signal).
#[test]
fn one_sigterm_exits_while_to_thread_work_runs() {
    for runtime in EVERY_RUNTIME {
        let mut program = Program::run(program("blocked_exit"), runtime);
        program.wait_for("working", 1);
        std::thread::sleep(Duration::from_millis(100));
        program.signal("TERM");
        let (output, lines, _) = program.exit(Duration::from_secs(5));
        assert_eq!(output.status.code(), Some(143), "{runtime}: {lines:?}");
    }
}

/// A signal that comes after main returned, while the runtime drops the tasks left (here a
/// destructor that takes 10 s), exits at once with the signal's status, as a second signal during
/// a cancel does, on every runtime. It used to be swallowed: the program exited 0 after the drop.
#[test]
fn a_signal_while_the_tasks_left_are_dropped_exits_at_once() {
    crate::on_each_runtime(EVERY_RUNTIME, |runtime| {
        let mut program = Program::run(program("slow_drop_at_exit"), runtime);
        program.wait_for("dropping", 1);
        program.signal("INT");
        let (output, lines, took) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
        assert!(
            took < Duration::from_secs(5),
            "{runtime}: exited after {took:?}"
        );
        assert!(
            !lines.iter().any(|line| line == "dropped"),
            "{runtime}: {lines:?}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("exiting now"), "{runtime}: {stderr}");
    });
}

/// A signal that comes during main's last poll (here while a value main holds takes 1 s to drop,
/// as main returns) ends the program with the signal's status once that poll is over, as it
/// would have a moment earlier. It used to be swallowed: main's output stood and the exit was 0.
#[test]
fn a_signal_during_mains_last_poll_ends_the_program() {
    crate::on_each_runtime(EVERY_RUNTIME, |runtime| {
        let mut command = program("slow_drop_at_exit");
        command.arg("in-main");
        let mut program = Program::run(command, runtime);
        program.wait_for("dropping", 1);
        program.signal("INT");
        let (output, lines, _) = program.exit(Duration::from_secs(10));
        assert_eq!(output.status.code(), Some(130), "{runtime}: {lines:?}");
    });
}

/// SIGQUIT prints the task tree of debug mode to stderr, and the program goes on to its end.
#[test]
fn sigquit_prints_the_task_tree_and_the_program_goes_on() {
    // Debug mode watches tasks on every runtime: smol's too.
    crate::on_each_runtime(RUNTIMES.into_iter().chain(["smol"]), |runtime| {
        let mut command = program("task_tree");
        command.env("JOBLOOP_DEBUG", "1");
        let mut program = Program::run(command, runtime);
        program.wait_for("all waiting", 1);
        std::thread::sleep(Duration::from_millis(100));
        program.signal("QUIT");
        let (output, lines, _) = program.exit(Duration::from_secs(20));
        assert!(output.status.success(), "{runtime}: {output:?}");
        assert!(
            lines
                .iter()
                .any(|line| line.starts_with("[0, 1, 2] Some(7) Some(0)")),
            "{runtime}: finished normally: {lines:?}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tree = stderr
            .split("jobloop: SIGQUIT: ")
            .nth(1)
            .unwrap_or_else(|| panic!("{runtime}: no tree in {stderr}"));
        // The inner group is drawn under the outer group's task that awaits it.
        let indent = |text: &str| {
            let line = tree.lines().find(|line| line.contains(text));
            let line = line.unwrap_or_else(|| panic!("{runtime}: {text:?} not in:\n{tree}"));
            line.len() - line.trim_start().len()
        };
        assert!(
            indent("job(id)[0]:") > indent("jobloop::tasks![for id in 0..3 => job(id)]:"),
            "{runtime}: {tree}"
        );
        // A `scoped` group's tasks, polled by the group itself, are in the tree as any group's
        // are: the groups they run are drawn under them, beneath the scoped group (they were
        // drawn beside it, under the task that awaits it, as if nothing were in between).
        let inner = "tasks![.. => job(step)]";
        assert!(
            indent(inner) > indent("tasks![.. => borrower(label, id)]"),
            "{runtime}: {tree}"
        );
        assert_eq!(tree.matches(inner).count(), 2, "{runtime}: {tree}");
        for part in [
            "job(id)[0]: waiting for",
            "job(id)[1]: waiting for",
            "job(id)[2]: waiting for",
            "on sleep at tests/signals/src/bin/task_tree.rs:12:",
            " s left",
            "`getter`",
            "waits on Queue::get at tests/signals/src/bin/task_tree.rs:",
            "`reader`",
            "on I/O read",
            "waits on TcpStream::read at tests/signals/src/bin/task_tree.rs:",
            "waits on Event::wait at tests/signals/src/bin/task_tree.rs:",
            "waits on to_thread at tests/signals/src/bin/task_tree.rs:",
            "waits on Command::output at tests/signals/src/bin/task_tree.rs:",
            "`outsider`",
            "on something outside jobloop",
            "a group's task started at tests/signals/src/bin/task_tree.rs:",
            "waits on signal::terminate at tests/signals/src/bin/task_tree.rs:",
            "`deadline`",
            "on timeout (and something outside jobloop)",
        ] {
            assert!(tree.contains(part), "{runtime}: {part:?} not in:\n{tree}");
        }
    });
}

/// Without debug mode, a first SIGQUIT turns it on and says so; the program goes on.
#[test]
fn a_sigquit_without_debug_mode_turns_it_on_and_the_program_goes_on() {
    let mut command = program("task_tree");
    command.env_remove("JOBLOOP_DEBUG");
    let mut program = Program::run(command, "event-loop");
    program.wait_for("all waiting", 1);
    program.signal("QUIT");
    let (output, lines, _) = program.exit(Duration::from_secs(20));
    assert!(output.status.success(), "{output:?}");
    assert!(
        lines.iter().any(|line| line.starts_with("[0, 1, 2]")),
        "{lines:?}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("debug mode, which was off: it is on now"),
        "{stderr}"
    );
}

/// A SIGQUIT that the parent set to ignored stays ignored: no tree, and no core dump either.
#[test]
fn an_ignored_sigquit_stays_ignored() {
    let mut command = Program::ignoring(program("task_tree"), "QUIT");
    command.env("JOBLOOP_DEBUG", "1");
    let mut program = Program::run(command, "event-loop");
    program.wait_for("all waiting", 1);
    program.signal("QUIT");
    let (output, _, _) = program.exit(Duration::from_secs(20));
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("SIGQUIT"), "{stderr}");
}

/// `examples/http/http_server.rs` stops gracefully on SIGTERM: a new connection is refused, an
/// idle keep-alive connection is closed at once, a request in flight gets its whole answer, and
/// the program exits 0 within its 2 s grace.
#[test]
fn the_http_server_example_stops_gracefully_on_sigterm() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let mut command = Command::new(env!("CARGO_BIN_EXE_http_server_example"));
    command.env("PORT", "0");
    let mut program = Program::run(command, "event-loop");
    program.wait_for("listening on http://", 1);
    let address = program.seen[0]
        .trim_start_matches("listening on http://")
        .to_string();
    let request = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    // A keep-alive connection that asked once and then waits.
    let mut idle = TcpStream::connect(&address).unwrap();
    idle.write_all(request("/hello").as_bytes()).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut first = [0u8; 1024];
    let read = idle.read(&mut first).unwrap();
    assert!(String::from_utf8_lossy(&first[..read]).contains("GET /hello"));
    // A request of 1 s, in flight when SIGTERM comes.
    let slow = {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream.write_all(request("/slow").as_bytes()).unwrap();
        std::thread::spawn(move || {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer
        })
    };
    // Sent once the server has read the request: it is in flight.
    program.wait_for("GET /slow", 1);
    program.signal("TERM");
    // The idle connection is closed: its next read is the end of the stream.
    let mut rest = [0u8; 64];
    assert_eq!(
        idle.read(&mut rest).unwrap(),
        0,
        "the idle connection is closed"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        TcpStream::connect(&address).is_err(),
        "a new connection is refused"
    );
    let answer = slow.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("hello from jobloop: GET /slow"), "{answer}");
    let (output, lines, _) = program.exit(Duration::from_secs(10));
    assert_eq!(output.status.code(), Some(0), "{lines:?}");
    assert!(lines
        .iter()
        .any(|line| line.starts_with("stopping: 2 connections open")));
    // Every connection closed within the grace: none was dropped.
    assert!(
        !lines.iter().any(|line| line.contains("grace is over")),
        "{lines:?}"
    );
}
