//! `examples/workers_redis.rs` as README runs it: the producer, then worker processes, against a
//! real `redis-server`.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use jobloop_redis_tests::RedisServer;

/// Waits for `child` to exit, 60 s at most.
fn finish(mut child: std::process::Child, what: &str) -> Output {
    let since = Instant::now();
    while child.try_wait().expect("its status").is_none() {
        if since.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the {what} did not end");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("its output")
}

#[test]
fn the_producer_and_two_workers_do_the_twenty_jobs() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let run = |role: &str| {
        Command::new(env!("CARGO_BIN_EXE_workers_redis"))
            .args(["--role", role, "--url", &server.url()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts")
    };
    let producer = run("producer");
    // The producer first, as README says: it deletes what an earlier run left.
    std::thread::sleep(Duration::from_millis(300));
    let workers = [run("worker"), run("worker")];
    let producer = finish(producer, "producer");
    let stdout = String::from_utf8_lossy(&producer.stdout);
    assert!(producer.status.success(), "{producer:?}");
    assert!(
        stdout.contains("====\nthe workers slept in parallel for"),
        "{stdout}"
    );
    let slept: usize = workers
        .into_iter()
        .map(|worker| {
            let output = finish(worker, "worker");
            assert!(output.status.success(), "{output:?}");
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            stdout
                .lines()
                .filter(|line| line.contains(" has slept for "))
                .count()
        })
        .sum();
    assert_eq!(slept, 20, "each of the 20 jobs done once");
}
