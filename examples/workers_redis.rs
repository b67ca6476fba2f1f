//! `examples/workers.rs` with its queue on a Redis server: the producer and the workers are
//! separate processes, on one machine or many. The producer puts 20 sleeps of random length
//! and waits until every one is done; each worker process runs three workers that take them,
//! and ends when the producer shuts the queue down. Only where the queue is made, and where a
//! job is taken and said done, differ from `workers.rs`.
//!
//! ```sh
//! redis-server --port 6379 --save "" &    # Debian: apt-get install redis-server
//! cargo run --features redis --example workers_redis -- --role producer
//! # in other terminals, or on other machines with --url redis://HOST:6379/
//! cargo run --features redis --example workers_redis -- --role worker
//! ```
//!
//! Start the producer first: it deletes what an earlier run left (its shutdown mark too).
//! Kill a worker mid-run (`kill -9`): its jobs are done by the others after the visibility
//! timeout (5 s here).
use std::time::{Duration, Instant};

use jobloop::redis::{self, Queue};
use jobloop::{job_main, sleep, tasks};

async fn worker(name: String, queue: Queue<f64>) -> Result<(), redis::Error> {
    loop {
        let job = match queue.get().await {
            Err(redis::Error::ShutDown) => return Ok(()),
            job => job?,
        };
        let sleep_for = *job.item();
        sleep(Duration::from_secs_f64(sleep_for)).await;
        job.done().await?;
        println!("{name} has slept for {sleep_for:.2} seconds");
    }
}

async fn producer(queue: Queue<f64>) -> Result<(), redis::Error> {
    queue.delete().await?;
    let mut random = Instant::now().elapsed().as_nanos() as u64 | 1;
    let mut total_sleep_time = 0.0;
    for _ in 0..20 {
        let sleep_for = uniform(&mut random, 0.05, 1.0);
        total_sleep_time += sleep_for;
        queue.put(sleep_for).await?;
    }
    println!("20 jobs put; start workers with --role worker");
    let started_at = Instant::now();
    queue.join().await?;
    let total_slept_for = started_at.elapsed().as_secs_f64();
    // Ends the workers: `get` fails with `ShutDown` once every job is done.
    queue.shutdown().await?;
    println!("====");
    println!("the workers slept in parallel for {total_slept_for:.2} seconds");
    println!("total expected sleep time: {total_sleep_time:.2} seconds");
    Ok(())
}

/// `random.uniform(low, high)`, as in `workers.rs`.
fn uniform(state: &mut u64, low: f64, high: f64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    low + (high - low) * (*state >> 11) as f64 / (1u64 << 53) as f64
}

/// The value after `flag` on the command line.
fn option<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let at = args.iter().position(|arg| arg == flag)?;
    args.get(at + 1).map(String::as_str)
}

#[job_main]
pub async fn main() -> Result<(), redis::Error> {
    let args: Vec<String> = std::env::args().collect();
    let url = option(&args, "--url").unwrap_or("redis://127.0.0.1:6379/");
    let mut queue = Queue::connect(url, "jobloop-workers").await?;
    queue.set_visibility_timeout(Duration::from_secs(5));
    match option(&args, "--role") {
        Some("producer") => producer(queue).await,
        Some("worker") => {
            let id = std::process::id();
            tasks![try; for i in 0..3 => worker(format!("worker-{id}-{i}"), queue.clone())].await?;
            Ok(())
        }
        _ => {
            eprintln!("usage: workers_redis --role producer|worker [--url redis://HOST:PORT/]");
            std::process::exit(2);
        }
    }
}
