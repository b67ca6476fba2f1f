//! Throughput of 10 000 small jobs through 4 workers: on `jobloop::sync::Queue` (tasks of one
//! process), on `jobloop::redis::Queue` with the 4 workers as tasks of the producer's process,
//! and with 4 worker processes (this program again, as `--worker URL NAME`), the producer
//! putting one job at a time or all of them with `put_all`. It starts its own `redis-server`
//! (see `tests/redis/src/lib.rs`). The time runs from the first `put` to `join`'s return; the
//! workers wait before it starts.
//!
//! `cargo bench -p jobloop-benches --bench redis_queue`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jobloop::{sync, tasks, EventLoop};
use jobloop_redis_tests::RedisServer;

const JOBS: u32 = 10_000;
const WORKERS: usize = 4;

fn on_sync_queue() -> Duration {
    EventLoop::new().block_on(async {
        let queue = sync::Queue::<u32>::new(0);
        let worker = |queue: sync::Queue<u32>| async move {
            while let Ok(job) = queue.get().await {
                std::hint::black_box(job);
                queue.task_done();
            }
        };
        let workers = tasks![for _ in 0..WORKERS => worker(queue.clone())];
        let start = Instant::now();
        let producer = async {
            for job in 0..JOBS {
                queue.put(job).await.unwrap();
            }
            queue.join().await;
            let took = start.elapsed();
            queue.shutdown();
            took
        };
        let (took, _) = tasks![scoped; producer, workers].await;
        took
    })
}

fn on_redis_queue_tasks(url: &str) -> Duration {
    EventLoop::new().block_on(async {
        let queue = jobloop::redis::Queue::<u32>::connect(url, "tasks")
            .await
            .unwrap();
        queue.delete().await.unwrap();
        let worker = |queue: jobloop::redis::Queue<u32>| async move {
            while let Ok(job) = queue.get().await {
                std::hint::black_box(job.item());
                job.done().await.unwrap();
            }
        };
        let workers = tasks![for _ in 0..WORKERS => worker(queue.clone())];
        let (took, _) = tasks![scoped; produce(&queue, false), workers].await;
        took
    })
}

/// Puts the jobs, waits until they are done, and shuts the queue down: the time until done.
/// With `batch`, the producer puts them with `put_all`, a thousand a round trip.
async fn produce(queue: &jobloop::redis::Queue<u32>, batch: bool) -> Duration {
    let start = Instant::now();
    if batch {
        queue.put_all(0..JOBS).await.unwrap();
    }
    for job in (0..JOBS).filter(|_| !batch) {
        queue.put(job).await.unwrap();
    }
    queue.join().await.unwrap();
    let took = start.elapsed();
    queue.shutdown().await.unwrap();
    took
}

fn on_redis_queue_processes(url: &str, batch: bool) -> Duration {
    let queue = EventLoop::new().block_on(async {
        let queue = jobloop::redis::Queue::<u32>::connect(url, "processes")
            .await
            .unwrap();
        queue.delete().await.unwrap();
        queue
    });
    let worker = std::env::current_exe().unwrap();
    let mut children: Vec<_> = (0..WORKERS)
        .map(|_| {
            Command::new(&worker)
                .args(["--worker", url, "processes"])
                .stdout(Stdio::null())
                .spawn()
                .expect("this program, as a worker")
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let took = EventLoop::new().block_on(produce(&queue, batch));
    for child in &mut children {
        child.wait().unwrap();
    }
    took
}

/// A worker process: takes jobs of the queue `name` until it is shut down.
fn work(url: &str, name: &str) {
    EventLoop::new().block_on(async {
        let queue = jobloop::redis::Queue::<u32>::connect(url, name)
            .await
            .unwrap();
        while let Ok(job) = queue.get().await {
            std::hint::black_box(job.item());
            job.done().await.unwrap();
        }
    });
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--worker") {
        return work(&args[at + 1], &args[at + 2]);
    }
    let rate = |took: Duration| f64::from(JOBS) / took.as_secs_f64();
    println!("| queue | {JOBS} jobs, {WORKERS} workers | jobs/s |");
    println!("|---|---|---|");
    let sync = on_sync_queue();
    println!(
        "| `sync::Queue`, 4 tasks | {:.3} s | {:.0} |",
        sync.as_secs_f64(),
        rate(sync)
    );
    for (durable, server) in [("in memory", false), ("`appendfsync always`", true)] {
        let server = RedisServer::start_with(server).expect("redis-server is installed");
        let tasks = on_redis_queue_tasks(&server.url());
        let processes = on_redis_queue_processes(&server.url(), false);
        let batched = on_redis_queue_processes(&server.url(), true);
        for (what, took) in [
            ("4 tasks", tasks),
            ("4 processes", processes),
            ("4 processes, `put_all`", batched),
        ] {
            println!(
                "| `redis::Queue`, {what}, server {durable} | {:.3} s | {:.0} |",
                took.as_secs_f64(),
                rate(took)
            );
        }
    }
}
