//! A worker process of the tests: takes jobs (`u32`) from a `jobloop::redis::Queue` with a few
//! tasks until the queue is shut down, and prints `start N` when it takes job N and `done N`
//! once `done` has returned.
//!
//! `redis_worker URL NAME VISIBILITY_MS WORK_MS TASKS`. Or `redis_worker URL NAME forget`: takes
//! one job and drops it without `done` (what debug mode reports); `redis_worker URL NAME tree`:
//! prints the task tree (in debug mode) while a task waits on `get`.

use std::time::Duration;

use jobloop::redis::{self, Queue};
use jobloop::{sleep, tasks};

async fn work(queue: Queue<u32>, work: Duration) -> Result<(), redis::Error> {
    loop {
        let job = match queue.get().await {
            Ok(job) => job,
            Err(redis::Error::ShutDown) => return Ok(()),
            Err(error) => return Err(error),
        };
        println!("start {}", job.item());
        sleep(work).await;
        job.done().await?;
        println!("done {}", job.item());
    }
}

#[jobloop::job_main]
async fn main() -> Result<(), redis::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match &args[..] {
        [url, name, mode] if mode == "forget" => {
            let queue = Queue::<u32>::connect(url, name).await?;
            drop(queue.get().await?);
            return Ok(());
        }
        [url, name, mode] if mode == "tree" => {
            let queue = Queue::<u32>::connect(url, name).await?;
            let waiter = jobloop::spawn_named("waiter", async move { queue.get().await.is_ok() });
            sleep(Duration::from_millis(300)).await;
            println!("{}", jobloop::debug::task_tree());
            waiter.cancel().await;
            return Ok(());
        }
        _ => {}
    }
    let [url, name, visibility, work_ms, count] = &args[..] else {
        panic!("usage: redis_worker URL NAME VISIBILITY_MS WORK_MS TASKS");
    };
    let number = |text: &str| text.parse::<u64>().expect("a number");
    let mut queue = Queue::<u32>::connect(url, name).await?;
    queue.set_visibility_timeout(Duration::from_millis(number(visibility)));
    let work_for = Duration::from_millis(number(work_ms));
    tasks![try; for _ in 0..number(count) => work(queue.clone(), work_for)].await?;
    Ok(())
}
