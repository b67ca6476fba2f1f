//! Debug mode and the trace for real: each test runs a binary of this crate and reads its
//! stderr (the reports) or the trace file it wrote.

use std::process::{Command, Output};

use crate::program;

/// The example `examples/three_jobs.rs`, a binary of this crate.
fn three_jobs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_three_jobs"))
}

/// Runs `command` to its end, with `env` and none of jobloop's other settings; it must succeed.
fn run(mut command: Command, env: &[(&str, &str)]) -> Output {
    command
        .env_remove("JOBLOOP_DEBUG")
        .env_remove("JOBLOOP_TRACE")
        .env_remove("JOBLOOP_RUNTIME");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("run the binary");
    assert!(output.status.success(), "{command:?} failed: {output:?}");
    output
}

/// The Chrome trace that `command` (named `name`) writes with `JOBLOOP_TRACE=<a .json file>` on
/// `runtime`.
fn json_trace(command: Command, name: &str, runtime: &str) -> serde_json::Value {
    let path = std::env::temp_dir().join(format!(
        "jobloop-trace-{name}-{}-{runtime}.json",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    run(
        command,
        &[
            ("JOBLOOP_TRACE", path.to_str().unwrap()),
            ("JOBLOOP_RUNTIME", runtime),
        ],
    );
    let text = std::fs::read_to_string(&path).expect("the trace was written");
    std::fs::remove_file(&path).unwrap();
    serde_json::from_str(&text).expect("the trace is JSON")
}

fn reports(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("jobloop debug:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_task_that_blocks_300_ms_gets_exactly_one_report_with_its_name_and_place() {
    for runtime in ["event-loop", "tokio", "tokio-multi-thread", "smol"] {
        let output = run(program("slow_poll"), &[("JOBLOOP_RUNTIME", runtime)]);
        let reports = reports(&output);
        assert_eq!(reports.len(), 1, "{runtime}: {reports:#?}");
        let report = &reports[0];
        assert!(report.contains("task `job(i)[1]`"), "{runtime}: {report}");
        assert!(report.contains("slow_poll.rs:17:"), "{runtime}: {report}");
        assert!(
            report.contains("held its thread for"),
            "{runtime}: {report}"
        );
    }
    // A `scoped` group's task, polled inside the poll of the task that awaits the group, is
    // reported by its own name, and its time is not reported again for the task around it.
    let mut command = program("slow_poll");
    command.arg("scoped");
    let reports = reports(&run(command, &[]));
    assert_eq!(reports.len(), 2, "{reports:#?}");
    assert!(reports[1].contains("task `job(i)[1]`"), "{reports:#?}");
    assert!(reports[1].contains("slow_poll.rs:22:"), "{reports:#?}");
}

#[test]
fn a_task_stuck_2_s_is_reported_by_the_watchdog_before_it_finishes() {
    // The two programs (each stuck 2 s) run at the same time.
    let scoped =
        std::thread::spawn(|| run(program("stuck_poll_scoped"), &[("JOBLOOP_DEBUG", "1")]));
    let output = run(program("stuck_poll"), &[("JOBLOOP_DEBUG", "1")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let watchdog = stderr
        .find("still running")
        .unwrap_or_else(|| panic!("no watchdog report: {stderr}"));
    let done = stderr.find("stuck task done").expect("the task finished");
    assert!(
        watchdog < done,
        "the report came after the task ended: {stderr}"
    );
    assert!(stderr.contains("task spawned at"), "{stderr}");
    assert!(stderr.contains("stuck_poll.rs:7:"), "{stderr}");
    // The task tree follows the report, with the stuck task running.
    let tree = &stderr[watchdog..];
    assert!(tree.contains("task tree:"), "{stderr}");
    assert!(tree.contains(": running for"), "{stderr}");
    // A `scoped` group's task is stuck inside the poll of the group task around it: the report
    // names it, and only it (the task around it is not the one stuck).
    let output = scoped.join().expect("the scoped program's run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stuck: Vec<&str> = (stderr.lines())
        .filter(|line| line.contains("still running"))
        .collect();
    assert_eq!(stuck.len(), 1, "{stderr}");
    assert!(stuck[0].contains("stuck_in_place()"), "{stderr}");
}

#[test]
fn a_program_without_slow_polls_gets_no_report() {
    let output = run(program("well_behaved"), &[]);
    assert_eq!(reports(&output), Vec::<String>::new());
}

#[test]
fn tasks_left_running_when_main_returns_are_listed() {
    let output = run(program("left_running"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("main returned while 2 spawned tasks still ran"),
        "{stderr}"
    );
    assert!(stderr.contains("task spawned at"), "{stderr}");
    assert!(stderr.contains("left_running.rs:5:"), "{stderr}");
    // `spawn_named`: the name, and where.
    assert!(
        stderr.contains("task `heartbeat` (spawned at") && stderr.contains("left_running.rs:6:"),
        "{stderr}"
    );
}

#[test]
fn debug_mode_is_off_by_default() {
    let output = run(program("stuck_poll"), &[]);
    assert_eq!(reports(&output), Vec::<String>::new());
}

/// `JOBLOOP_TRACE=trace.json` on `three_jobs`, on the embedded loop, tokio and smol: the file
/// parses, has three task tracks (named), and their slices overlap in time: the jobs ran at
/// the same time.
#[test]
fn the_trace_of_three_jobs_has_three_overlapping_tracks() {
    crate::on_each_runtime(
        ["event-loop", "tokio", "tokio-multi-thread", "smol"],
        |runtime| {
            check_trace_of_three_jobs(runtime);
        },
    );
}

fn check_trace_of_three_jobs(runtime: &str) {
    let trace = json_trace(three_jobs(), "three_jobs", runtime);
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let named: Vec<u64> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .filter(|e| e["args"]["name"] != "group")
        .map(|e| e["tid"].as_u64().unwrap())
        .collect();
    assert_eq!(named.len(), 3, "{runtime}: one track per job: {named:?}");
    // The jobs' tracks are named after their expression and index.
    for index in 0..3 {
        let name = format!("job(id)[{index}] (three_jobs.rs:");
        assert!(
            events.iter().any(|e| e["args"]["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(&name))),
            "{runtime}: a track named {name}"
        );
    }
    // Each job's sleep shows as a wait of about 2 s between its two polls.
    for tid in &named {
        let sleeps: Vec<f64> = events
            .iter()
            .filter(|e| e["cat"] == "wait" && e["tid"].as_u64() == Some(*tid))
            .filter(|e| e["name"] == "sleep")
            .map(|e| e["dur"].as_f64().unwrap())
            .collect();
        assert!(
            sleeps.iter().any(|sleep| *sleep >= 1.9e6),
            "{runtime}: the job's 2 s sleep shows as a wait: {sleeps:?}"
        );
    }
    // One group, in a process of its own, whose slice encloses the three jobs.
    let groups = group_slices(events);
    assert_eq!(groups.len(), 1, "{runtime}: {groups:?}");
    check_nesting(events, &groups);
    // Each track's extent: from its first poll's start to its last poll's end.
    let extents: Vec<(f64, f64)> = named
        .iter()
        .map(|tid| {
            let slices: Vec<(f64, f64)> = events
                .iter()
                .filter(|e| e["ph"] == "X" && e["tid"].as_u64() == Some(*tid))
                .map(|e| {
                    let ts = e["ts"].as_f64().unwrap();
                    (ts, ts + e["dur"].as_f64().unwrap())
                })
                .collect();
            assert!(slices.len() >= 2, "a job polls at its start and at its end");
            let start = slices.iter().map(|s| s.0).fold(f64::INFINITY, f64::min);
            let end = slices.iter().map(|s| s.1).fold(0.0, f64::max);
            (start, end)
        })
        .collect();
    for (i, a) in extents.iter().enumerate() {
        assert!(a.1 - a.0 >= 1.9e6, "job {i} spans its 2 s sleep: {a:?}");
        for b in &extents[i + 1..] {
            assert!(
                a.0 < b.1 && b.0 < a.1,
                "the jobs overlap in time: {a:?} {b:?}"
            );
        }
    }
}

/// The group slices of a trace: (pid, start, end).
fn group_slices(events: &[serde_json::Value]) -> Vec<(u64, f64, f64)> {
    events
        .iter()
        .filter(|e| e["ph"] == "X" && e["cat"] == "group")
        .map(|e| {
            let ts = e["ts"].as_f64().unwrap();
            (
                e["pid"].as_u64().unwrap(),
                ts,
                ts + e["dur"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Every task track in a group's process has all its slices inside the group's slice.
fn check_nesting(events: &[serde_json::Value], groups: &[(u64, f64, f64)]) {
    for (pid, start, end) in groups {
        let members: Vec<&serde_json::Value> = events
            .iter()
            .filter(|e| e["ph"] == "X" && e["cat"] != "group" && e["pid"].as_u64() == Some(*pid))
            .collect();
        assert!(!members.is_empty(), "group {pid} has tasks");
        for slice in members {
            let ts = slice["ts"].as_f64().unwrap();
            let until = ts + slice["dur"].as_f64().unwrap();
            assert!(
                *start <= ts && until <= *end + 1.0,
                "a slice of group {pid}'s task lies inside the group's slice \
                 [{start}, {end}]: {slice}"
            );
        }
    }
}

/// Groups within groups: each group is a process whose slice encloses its tasks' slices; the
/// inner groups' tasks are in the inner groups' processes; a socket wait and the named task
/// show.
#[test]
fn the_trace_nests_tasks_in_their_groups_and_shows_their_waits() {
    crate::on_each_runtime(
        ["event-loop", "tokio", "tokio-multi-thread", "smol"],
        |runtime| {
            check_nested_trace(runtime);
        },
    );
}

fn check_nested_trace(runtime: &str) {
    let trace = json_trace(program("nested_groups"), "nested_groups", runtime);
    let events = trace["traceEvents"].as_array().expect("traceEvents");
    let groups = group_slices(events);
    assert_eq!(
        groups.len(),
        3,
        "{runtime}: one outer group, two inner ones: {groups:?}"
    );
    check_nesting(events, &groups);
    // The tracks whose name starts with `prefix`: (pid, tid).
    let tracks = |prefix: &str| -> Vec<(u64, u64)> {
        events
            .iter()
            .filter(|e| {
                e["name"] == "thread_name"
                    && e["args"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with(prefix))
            })
            .map(|e| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()))
            .collect()
    };
    // The longest wait of a track whose name contains `what`, in microseconds.
    let longest_wait = |tid: u64, what: &str| -> f64 {
        events
            .iter()
            .filter(|e| e["cat"] == "wait" && e["tid"].as_u64() == Some(tid))
            .filter(|e| e["name"].as_str().is_some_and(|n| n.contains(what)))
            .map(|e| e["dur"].as_f64().unwrap())
            .fold(0.0, f64::max)
    };
    let outer = tracks("outer(id)[0]");
    assert_eq!(outer.len(), 1, "{runtime}: {outer:?}");
    let outer_pid = outer[0].0;
    // Of the two inner groups' first tasks, the reader is the one that waited on its socket,
    // for about 100 ms.
    let readers: Vec<(u64, u64)> = tracks("inner(id, step)[0]")
        .into_iter()
        .filter(|(_, tid)| longest_wait(*tid, "I/O read") >= 90e3)
        .collect();
    assert_eq!(
        readers.len(),
        1,
        "{runtime}: one inner task waited about 100 ms on its socket"
    );
    let inner_pid = readers[0].0;
    assert_ne!(
        outer_pid, inner_pid,
        "{runtime}: an inner group is a process of its own"
    );
    // The outer group starts before the inner one and ends after it.
    let slice = |pid| *groups.iter().find(|g| g.0 == pid).unwrap();
    let (outer, inner) = (slice(outer_pid), slice(inner_pid));
    assert!(
        outer.1 <= inner.1 && inner.2 <= outer.2,
        "{runtime}: {outer:?} {inner:?}"
    );
    // The outer tasks waited on their groups.
    assert!(
        longest_wait(tracks("outer(id)[1]")[0].1, "group") > 0.0,
        "{runtime}"
    );
    // The task spawned with a name has a track under that name, outside every group.
    let peer = tracks("peer (nested_groups.rs:");
    assert_eq!(peer.len(), 1, "{runtime}: {peer:?}");
    assert_eq!(
        peer[0].0, 1,
        "{runtime}: a spawned task belongs to no group"
    );
}

/// `JOBLOOP_TRACE=timeline.svg`: a standalone SVG picture that parses as XML, with a row
/// (label) and blocks for each of the three jobs.
#[test]
fn the_svg_timeline_of_three_jobs_is_xml_with_a_row_per_job() {
    let path = std::env::temp_dir().join(format!("jobloop-trace-{}.svg", std::process::id()));
    let _ = std::fs::remove_file(&path);
    run(three_jobs(), &[("JOBLOOP_TRACE", path.to_str().unwrap())]);
    let text = std::fs::read_to_string(&path).expect("the picture was written");
    std::fs::remove_file(&path).unwrap();
    let svg = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = svg.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let labels: Vec<&str> = root
        .children()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .filter(|text| text.contains("three_jobs.rs") && !text.starts_with("group"))
        .collect();
    assert_eq!(labels.len(), 3, "{labels:?}");
    let group_rows = root
        .children()
        .filter(|node| node.has_tag_name("text"))
        .filter_map(|node| node.text())
        .filter(|text| text.starts_with("group tasks!["))
        .count();
    assert_eq!(group_rows, 1, "a row for the group");
    let polls = root
        .children()
        .filter(|node| node.has_tag_name("rect") && node.attribute("fill") == Some("#2a7"))
        .count();
    assert!(
        polls >= 6,
        "each job polls at its start and at its end: {polls}"
    );
}

/// The trace is written however main ends: a panic in main, a task's panic resumed in it, an
/// `Err`, Ctrl-C and SIGTERM (it used to be written only on a return and after Ctrl-C). Each time
/// the file is complete JSON with the three jobs' tracks. On the loop and on tokio.
#[test]
fn the_trace_is_written_however_main_ends() {
    crate::on_each_runtime(["event-loop", "tokio", "smol"], |runtime| {
        for way in ["panic", "task-panic", "err", "INT", "TERM"] {
            let path = std::env::temp_dir().join(format!(
                "jobloop-trace-failing-{}-{runtime}-{way}.json",
                std::process::id()
            ));
            let _ = std::fs::remove_file(&path);
            let mut child = program("failing_main")
                .arg(if way.len() == 3 && way != "err" {
                    "wait"
                } else {
                    way
                })
                .env("JOBLOOP_TRACE", &path)
                .env("JOBLOOP_RUNTIME", runtime)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("run the binary");
            if way == "INT" || way == "TERM" {
                use std::io::BufRead;
                let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
                let mut line = String::new();
                stdout.read_line(&mut line).unwrap();
                assert_eq!(line, "waiting\n");
                Command::new("kill")
                    .args([format!("-{way}"), child.id().to_string()])
                    .status()
                    .unwrap();
            }
            let status = child.wait().unwrap();
            assert!(!status.success(), "{runtime} {way}: {status}");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("{runtime} {way}: no trace: {error}"));
            std::fs::remove_file(&path).unwrap();
            let trace: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{runtime} {way}: not JSON ({error}): {text}"));
            let jobs = trace["traceEvents"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["name"] == "thread_name")
                .filter(|e| {
                    e["args"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("job(id)"))
                })
                .count();
            assert_eq!(jobs, 3, "{runtime} {way}: the jobs' tracks");
        }
    });
}

/// A trace path that cannot be written is an error at start-up that names it, before the work
/// (three jobs of 2 s), not a line after it.
#[test]
fn an_unwritable_trace_path_is_an_error_at_start_up() {
    let path = "/nonexistent-jobloop-folder/trace.json";
    let start = std::time::Instant::now();
    let output = three_jobs()
        .env("JOBLOOP_TRACE", path)
        .env_remove("JOBLOOP_RUNTIME")
        .output()
        .expect("run the binary");
    assert!(!output.status.success());
    assert!(
        start.elapsed() < std::time::Duration::from_millis(1500),
        "stopped before the jobs ran: {:?}",
        start.elapsed()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(path), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("start job"),
        "no work done"
    );
}

/// The trace keeps flat memory: 200 000 trivial tasks under `JOBLOOP_TRACE` peak at most 64 MB
/// above the same run without it (the trace streams to its file; it used to keep every poll in
/// memory, 2.7 GB for a million tasks). Linux (`VmHWM`).
#[cfg(target_os = "linux")]
#[test]
fn the_trace_of_many_tasks_keeps_flat_memory() {
    let peak = |trace: Option<&std::path::Path>| -> u64 {
        let mut command = program("many_tasks");
        command
            .arg("200000")
            .env_remove("JOBLOOP_TRACE")
            .env_remove("JOBLOOP_DEBUG");
        if let Some(path) = trace {
            command.env("JOBLOOP_TRACE", path);
        }
        let output = command.output().expect("run the binary");
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        let kb = text
            .trim()
            .strip_prefix("peak ")
            .and_then(|rest| rest.strip_suffix(" kB"))
            .unwrap_or_else(|| panic!("{text}"));
        kb.parse().unwrap()
    };
    let path = std::env::temp_dir().join(format!("jobloop-trace-many-{}.json", std::process::id()));
    let without = peak(None);
    let with = peak(Some(&path));
    let size = std::fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&path);
    assert!(
        size > 10_000_000,
        "every task is in the trace: {size} bytes"
    );
    assert!(
        with <= without + 64 * 1024,
        "peak {with} kB with the trace, {without} kB without"
    );
}

/// Under `#[job_main]`, debug mode names a deadlock once, with the tree, and the program waits
/// on (it is killed here).
#[test]
fn a_deadlocked_program_in_debug_mode_says_so_once_and_waits_on() {
    let (running, seen) = run_deadlocked(None);
    assert!(running, "it exited: {seen:#?}");
    let messages = seen
        .iter()
        .filter(|line| line.starts_with("jobloop: deadlock:"));
    assert_eq!(messages.count(), 1, "{seen:#?}");
    assert!(
        seen.iter().any(|line| line.contains("deadlocked.rs:7:")),
        "{seen:#?}"
    );
    assert!(
        seen.iter().any(|line| line.starts_with("task tree:")),
        "{seen:#?}"
    );
}

/// Runs the `deadlocked` binary (with `JOBLOOP_DEADLOCK` set to `setting`, or unset) until it
/// names its wait site, then a second more: whether it was still running, and its stderr.
fn run_deadlocked(setting: Option<&str>) -> (bool, Vec<String>) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let mut command = program("deadlocked");
    match setting {
        Some(setting) => command.env("JOBLOOP_DEADLOCK", setting),
        None => command.env_remove("JOBLOOP_DEADLOCK"),
    };
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|line: &String| line.contains("Queue::get at"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no deadlock message in 10 s: {seen:#?}");
            }
        }
    }
    // Still running a second later: it warned, and waits on.
    std::thread::sleep(Duration::from_secs(1));
    let running = child.try_wait().expect("wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    while let Ok(line) = lines.recv_timeout(Duration::from_millis(200)) {
        seen.push(line);
    }
    (running, seen)
}

/// A value of `JOBLOOP_DEADLOCK` other than `off` (a typo) is said, not ignored.
#[test]
fn a_jobloop_deadlock_value_it_does_not_know_is_said() {
    let (_, seen) = run_deadlocked(Some("of"));
    assert!(
        seen.iter()
            .any(|line| line.contains("JOBLOOP_DEADLOCK=\"of\" is not understood")),
        "{seen:#?}"
    );
}

/// A task that panics as a tokio-based type does without tokio's reactor is followed by
/// jobloop's line naming the fixes, once, also in a settling group that takes the panic as an
/// outcome, plain or `scoped` (a `scoped` group's tasks never said it before).
#[test]
fn the_missing_tokio_hint_comes_from_every_kind_of_group() {
    for kind in ["plain", "scoped"] {
        let output = program("no_tokio")
            .arg(kind)
            .output()
            .expect("run the binary");
        assert!(output.status.success(), "{kind}: {output:?}");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(stdout.trim(), "panicked: true, second: Some(1)", "{kind}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hints = stderr
            .matches("jobloop: a tokio-based type needs tokio's reactor")
            .count();
        assert_eq!(hints, 1, "{kind}: {stderr}");
    }
}
