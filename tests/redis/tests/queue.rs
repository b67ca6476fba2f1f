//! `jobloop::redis::Queue` against a real `redis-server` (started by each test, see `src/lib.rs`):
//! jobs through worker processes, a worker killed with SIGKILL, the server restarted mid-run,
//! parked jobs, what each call does, and `examples/workers_redis.rs` as README runs it. The test
//! process is the producer. One test binary: what needs a process of its own (debug mode) runs
//! the `redis_worker` binary.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jobloop::redis::{self, Queue};
use jobloop::runtime::Runtime;
use jobloop::{timeout, EventLoop};
use jobloop_redis_tests::{free_port, RedisServer};

/// A `redis_worker` process, and the lines it printed so far.
struct Worker {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Worker {
    fn start(url: &str, name: &str, visibility_ms: u64, work_ms: u64, tasks: u32) -> Worker {
        let mut child = Command::new(env!("CARGO_BIN_EXE_redis_worker"))
            .args([url, name])
            .args([
                visibility_ms.to_string(),
                work_ms.to_string(),
                tasks.to_string(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .expect("the worker starts");
        let stdout = child.stdout.take().expect("its stdout");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Worker {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// How many jobs it said were done.
    fn done(&self) -> usize {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|line| line.starts_with("done "))
            .count()
    }

    /// Waits for it to exit (60 s at most), and returns its lines.
    fn finish(mut self) -> Vec<String> {
        let since = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("its status") {
                assert!(
                    status.success() || status.code().is_none(),
                    "worker: {status}"
                );
                break;
            }
            if since.elapsed() > Duration::from_secs(60) {
                let _ = self.child.kill();
                panic!("a worker did not end after the queue was shut down");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.reader.take().unwrap().join().unwrap();
        let lines = self.lines.lock().unwrap();
        lines.clone()
    }
}

/// How many times each job was started and done, over the lines of every worker.
fn tally(lines: &[String]) -> (HashMap<u32, usize>, HashMap<u32, usize>) {
    let (mut started, mut done) = (HashMap::new(), HashMap::new());
    for line in lines {
        let (what, job) = line.split_once(' ').expect("`start N` or `done N`");
        let job: u32 = job.parse().expect("a job number");
        match what {
            "start" => *started.entry(job).or_default() += 1,
            "done" => *done.entry(job).or_default() += 1,
            _ => panic!("unexpected line {line:?}"),
        }
    }
    (started, done)
}

/// Puts jobs `0..jobs` in a new queue `name`.
fn produce(url: &str, name: &str, jobs: u32) -> Queue<u32> {
    EventLoop::new().block_on(async {
        let queue = Queue::connect(url, name).await.expect("connects");
        queue.delete().await.expect("a new queue");
        for job in 0..jobs {
            queue.put(job).await.expect("put");
        }
        queue
    })
}

/// `join`, then `shutdown`, in the producer; fails after 120 s.
fn join_and_shut_down(queue: &Queue<u32>) {
    EventLoop::new().block_on(async {
        timeout(Duration::from_secs(120), queue.join())
            .await
            .expect("join returns")
            .expect("join");
        queue.shutdown().await.expect("shutdown");
    });
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let since = Instant::now();
    while !condition() {
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "waited 60 s for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_thousand_jobs_through_three_worker_processes_are_each_done_once() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let queue = produce(&server.url(), "thousand", 1000);
    let workers: Vec<Worker> = (0..3)
        .map(|_| Worker::start(&server.url(), "thousand", 30_000, 0, 2))
        .collect();
    join_and_shut_down(&queue);
    let lines: Vec<String> = workers.into_iter().flat_map(Worker::finish).collect();
    let (started, done) = tally(&lines);
    assert_eq!(done.len(), 1000, "every job is done");
    assert!(
        done.values().all(|&times| times == 1),
        "no job done twice: no worker died"
    );
    assert_eq!(started.len(), 1000);
}

#[cfg(unix)]
#[test]
fn the_jobs_of_a_worker_killed_mid_job_are_done_by_the_others() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let queue = produce(&server.url(), "killed", 300);
    // Four tasks each: the killed worker holds up to four jobs when it dies. The visibility
    // timeout is well above a job's 20 ms, even on a loaded machine: no live worker's job is
    // taken over.
    let mut victim = Worker::start(&server.url(), "killed", 3000, 20, 4);
    let others: Vec<Worker> = (0..2)
        .map(|_| Worker::start(&server.url(), "killed", 3000, 20, 4))
        .collect();
    wait_until("the victim's first 20 jobs", || victim.done() >= 20);
    victim.child.kill().expect("SIGKILL");
    let _ = victim.child.wait();
    join_and_shut_down(&queue);
    let victim_lines = victim.finish();
    let (victim_started, victim_done) = tally(&victim_lines);
    let held = victim_started.len() - victim_done.len();
    let mut lines = victim_lines;
    lines.extend(others.into_iter().flat_map(Worker::finish));
    let (started, done) = tally(&lines);
    assert_eq!(
        done.len(),
        300,
        "every job is done, those the victim held too"
    );
    let duplicates: usize = started.values().map(|times| times - 1).sum();
    eprintln!("the victim held {held} jobs when killed; {duplicates} jobs were started twice");
    assert!(
        duplicates <= held,
        "{duplicates} jobs done twice, the victim held {held}"
    );
    EventLoop::new().block_on(async {
        assert_eq!(queue.parked().await.expect("parked"), vec![]);
    });
}

#[test]
fn workers_reconnect_when_the_server_restarts_and_no_job_is_lost() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let queue = produce(&server.url(), "restart", 300);
    let workers: Vec<Worker> = (0..2)
        .map(|_| Worker::start(&server.url(), "restart", 1000, 10, 2))
        .collect();
    let done_so_far = || workers.iter().map(Worker::done).sum::<usize>();
    wait_until("50 jobs done", || done_so_far() >= 50);
    server.restart();
    let before = done_so_far();
    assert!(
        before < 300,
        "the server restarted after every job was done"
    );
    eprintln!("{before} jobs were done when the server was back");
    join_and_shut_down(&queue);
    let lines: Vec<String> = workers.into_iter().flat_map(Worker::finish).collect();
    let (_, done) = tally(&lines);
    assert_eq!(done.len(), 300, "every job is done (at least once)");
}

#[test]
fn a_job_that_does_not_deserialize_is_parked_with_its_id_and_the_others_go_on() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let text = Queue::<String>::connect(&server.url(), "parked")
            .await
            .unwrap();
        text.put("not a number".to_owned()).await.unwrap();
        let numbers = Queue::<u32>::connect(&server.url(), "parked")
            .await
            .unwrap();
        numbers.put(7).await.unwrap();
        let job = numbers.get().await.expect("the next job");
        assert_eq!(*job.item(), 7);
        job.done().await.unwrap();
        let parked = numbers.parked().await.unwrap();
        assert_eq!(parked.len(), 1, "{parked:?}");
        // The job's id in the queue: put before job 7 (the parked stream's own ids come after).
        let id = |id: &str| -> (u64, u64) {
            let (ms, seq) = id.split_once('-').expect("a stream id");
            (ms.parse().unwrap(), seq.parse().unwrap())
        };
        assert!(
            id(&parked[0].id) < id(job.id()),
            "{:?}, {:?}",
            parked[0].id,
            job.id()
        );
        assert_eq!(parked[0].job, "\"not a number\"");
        assert!(
            parked[0].reason.contains("does not read as u32"),
            "{}",
            parked[0].reason
        );
        // Parked counts as finished.
        timeout(Duration::from_secs(10), numbers.join())
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn a_job_not_done_within_the_visibility_timeout_is_taken_over() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let mut first = Queue::<u32>::connect(&server.url(), "visibility")
            .await
            .unwrap();
        // A second handle, as a worker elsewhere would have.
        let mut second = Queue::<u32>::connect(&server.url(), "visibility")
            .await
            .unwrap();
        for queue in [&mut first, &mut second] {
            queue.set_visibility_timeout(Duration::from_millis(200));
        }
        first.put(1).await.unwrap();
        let held = first.get().await.unwrap();
        let since = Instant::now();
        let taken_over = timeout(Duration::from_secs(10), second.get())
            .await
            .unwrap()
            .unwrap();
        assert!(
            since.elapsed() >= Duration::from_millis(150),
            "{:?}",
            since.elapsed()
        );
        assert_eq!((taken_over.id(), *taken_over.item()), (held.id(), 1));
        taken_over.done().await.unwrap();
        held.done().await.expect("done again does nothing");
        timeout(Duration::from_secs(10), first.join())
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn a_job_taken_too_many_times_is_parked() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let mut queue = Queue::<u32>::connect(&server.url(), "poison")
            .await
            .unwrap();
        queue.set_visibility_timeout(Duration::from_millis(50));
        queue.set_max_deliveries(2);
        queue.put(13).await.unwrap();
        queue.shutdown().await.unwrap();
        for _ in 0..2 {
            let job = timeout(Duration::from_secs(10), queue.get())
                .await
                .unwrap()
                .unwrap();
            drop(job); // as a worker that dies with it
        }
        let third = timeout(Duration::from_secs(10), queue.get()).await.unwrap();
        assert!(matches!(third, Err(redis::Error::ShutDown)), "{third:?}");
        let parked = queue.parked().await.unwrap();
        assert_eq!(parked.len(), 1);
        assert!(
            parked[0].reason.starts_with("taken 3 times"),
            "{}",
            parked[0].reason
        );
    });
}

#[test]
fn len_shutdown_and_join_behave_as_asyncio_s() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let queue = Queue::<u32>::connect(&server.url(), "calls").await.unwrap();
        assert!(queue.is_empty().await.unwrap());
        timeout(Duration::from_secs(5), queue.join())
            .await
            .unwrap()
            .unwrap();
        for job in 0..3 {
            queue.put(job).await.unwrap();
        }
        assert_eq!(queue.len().await.unwrap(), 3);
        let job = queue.get().await.unwrap();
        assert_eq!(*job.item(), 0, "first in, first out");
        assert_eq!(queue.len().await.unwrap(), 2, "a job taken is not waiting");
        queue.shutdown().await.unwrap();
        assert!(queue.is_shut_down().await.unwrap());
        assert!(matches!(queue.put(9).await, Err(redis::Error::ShutDown)));
        job.done().await.unwrap();
        for expected in 1..3 {
            let job = queue.get().await.expect("jobs put before the shutdown");
            assert_eq!(*job.item(), expected);
            job.done().await.unwrap();
        }
        let end = queue.get().await;
        assert!(
            end.as_ref().is_err_and(redis::Error::is_shut_down),
            "{end:?}"
        );
        timeout(Duration::from_secs(5), queue.join())
            .await
            .unwrap()
            .unwrap();
        queue.delete().await.unwrap();
        assert_eq!(queue.len().await.expect("len of a deleted queue"), 0);
        queue.put(1).await.expect("a deleted queue starts again");
        assert_eq!(queue.len().await.unwrap(), 1);
    });
}

#[test]
fn put_all_adds_every_item_in_order() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let queue = Queue::<u32>::connect(&server.url(), "put_all")
            .await
            .unwrap();
        queue
            .put_all(0..2500)
            .await
            .expect("two and a half batches");
        assert_eq!(queue.len().await.unwrap(), 2500);
        for expected in 0..2500 {
            let job = queue.get().await.unwrap();
            assert_eq!(*job.item(), expected);
            job.done().await.unwrap();
        }
        queue.shutdown().await.unwrap();
        let after = queue.put_all([1, 2]).await;
        assert!(matches!(after, Err(redis::Error::ShutDown)), "{after:?}");
        assert!(queue.is_empty().await.unwrap());
    });
}

#[test]
fn join_waits_for_a_job_taken_and_not_done() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let queue = Queue::<u32>::connect(&server.url(), "join").await.unwrap();
        queue.put(1).await.unwrap();
        queue.put(2).await.unwrap();
        let first = queue.get().await.unwrap();
        let early = timeout(Duration::from_millis(300), queue.join()).await;
        assert!(early.is_err(), "join returned with two jobs not done");
        first.done().await.unwrap();
        let second = queue.get().await.unwrap();
        assert!(timeout(Duration::from_millis(300), queue.join())
            .await
            .is_err());
        second.done().await.unwrap();
        timeout(Duration::from_secs(5), queue.join())
            .await
            .unwrap()
            .unwrap();
    });
}

#[test]
fn a_server_gone_for_longer_than_the_reconnect_time_is_an_error() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let mut queue = EventLoop::new()
        .block_on(Queue::<u32>::connect(&url, "gone"))
        .unwrap();
    queue.set_reconnect_for(Duration::from_millis(500));
    server.stop();
    let since = Instant::now();
    let error = EventLoop::new()
        .block_on(queue.put(1))
        .expect_err("no server");
    assert!(
        since.elapsed() >= Duration::from_millis(500),
        "{:?}",
        since.elapsed()
    );
    assert!(
        matches!(error, redis::Error::Unreachable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(&url), "{error}");
}

#[test]
fn a_url_that_is_not_a_redis_url_is_said_so() {
    let error = EventLoop::new()
        .block_on(Queue::<u32>::connect("127.0.0.1:6379", "nowhere"))
        .expect_err("no scheme");
    assert!(
        matches!(error, redis::Error::InvalidUrl { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("write redis://HOST:PORT/DB"),
        "{error}"
    );
}

/// Debug mode reports a job dropped without `done`: most often a forgotten call.
#[test]
fn debug_mode_reports_a_job_dropped_without_done() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    EventLoop::new().block_on(async {
        let queue = Queue::<u32>::connect(&server.url(), "forgotten")
            .await
            .unwrap();
        queue.put(1).await.unwrap();
    });
    let output = Command::new(env!("CARGO_BIN_EXE_redis_worker"))
        .args([server.url().as_str(), "forgotten", "forget"])
        .env("JOBLOOP_DEBUG", "1")
        .output()
        .expect("the worker runs");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("of the Redis queue \"forgotten\" was dropped without `done()`"),
        "{stderr}"
    );
}

/// A server that refuses the connection (a password it does not have) is not retried.
#[test]
fn a_refused_connection_fails_at_once_with_the_server_s_reason() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server
        .url()
        .replace("redis://", "redis://:not-the-password@");
    let since = Instant::now();
    let error = EventLoop::new()
        .block_on(Queue::<u32>::connect(&url, "refused"))
        .expect_err("no such password");
    assert!(
        since.elapsed() < Duration::from_secs(5),
        "{:?}",
        since.elapsed()
    );
    assert!(matches!(error, redis::Error::Command { .. }), "{error:?}");
    assert!(!error.to_string().contains("not-the-password"), "{error}");
}

#[test]
fn an_unreachable_server_is_an_error_that_names_its_url() {
    let url = format!("redis://127.0.0.1:{}/", free_port());
    let error = EventLoop::new()
        .block_on(Queue::<u32>::connect(&url, "nowhere"))
        .expect_err("nothing listens there");
    assert!(
        matches!(error, redis::Error::Unreachable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&url) && message.contains("redis-server"),
        "{message}"
    );
}

/// The same calls on smol and on tokio: the client runs on tokio's driver wherever it is
/// polled.
#[test]
fn the_queue_works_on_every_runtime() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let round_trip = |name: &'static str| {
        let url = server.url();
        async move {
            let queue = Queue::<String>::connect(&url, name).await.unwrap();
            queue.put(name.to_owned()).await.unwrap();
            let job = queue.get().await.unwrap();
            job.done().await.unwrap();
            queue.join().await.unwrap();
            job.into_item()
        }
    };
    let smol = jobloop::runtime::Smol::new().block_on(round_trip("smol"));
    let tokio = jobloop::runtime::Tokio::current_thread().block_on(round_trip("tokio"));
    assert_eq!((smol.as_str(), tokio.as_str()), ("smol", "tokio"));
}

/// The queue's futures are `Send`: they can run in `tasks![send; ...]` on tokio's workers.
#[allow(dead_code)]
fn its_futures_are_send(queue: Queue<u32>, job: redis::Job<u32>) {
    fn send<T: Send>(_: T) {}
    send(Queue::<u32>::connect("redis://127.0.0.1/", "name"));
    send(queue.put(1));
    send(queue.get());
    send(queue.join());
    send(queue.len());
    send(queue.parked());
    send(job.done());
    send(queue);
}

/// A task waiting on `get` shows in debug mode's task tree with where it waits.
#[test]
fn a_task_waiting_on_get_shows_its_wait_site_in_the_tree() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let output = Command::new(env!("CARGO_BIN_EXE_redis_worker"))
        .args([server.url().as_str(), "tree", "tree"])
        .env("JOBLOOP_DEBUG", "1")
        .output()
        .expect("the worker runs");
    assert!(output.status.success(), "{output:?}");
    let tree = String::from_utf8_lossy(&output.stdout);
    let line = tree
        .lines()
        .find(|line| line.contains("redis::Queue::get at"))
        .unwrap_or_else(|| panic!("no wait site in:\n{tree}"));
    assert!(
        line.contains("tests/redis/src/bin/redis_worker.rs:"),
        "{line}"
    );
}

/// `examples/workers_redis.rs` as README runs it: the producer first, then two workers.
#[test]
fn the_example_s_producer_and_two_workers_do_the_twenty_jobs() {
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

/// Waits for `child` to exit (60 s at most), and returns its output.
fn finish(mut child: Child, what: &str) -> std::process::Output {
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
