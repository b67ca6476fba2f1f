//! The queue example of asyncio's documentation, line for line: 20 sleeps of random length put
//! in a queue, three workers take them, `join` waits until every one is done, then the workers
//! are cancelled.
//!
//! ```python
//! async def worker(name, queue):
//!     while True:
//!         sleep_for = await queue.get()
//!         await asyncio.sleep(sleep_for)
//!         queue.task_done()
//!         print(f'{name} has slept for {sleep_for:.2f} seconds')
//!
//! async def main():
//!     queue = asyncio.Queue()
//!     total_sleep_time = 0
//!     for _ in range(20):
//!         sleep_for = random.uniform(0.05, 1.0)
//!         total_sleep_time += sleep_for
//!         queue.put_nowait(sleep_for)
//!     tasks = []
//!     for i in range(3):
//!         task = asyncio.create_task(worker(f'worker-{i}', queue))
//!         tasks.append(task)
//!     started_at = time.monotonic()
//!     await queue.join()
//!     total_slept_for = time.monotonic() - started_at
//!     for task in tasks:
//!         task.cancel()
//!     await asyncio.gather(*tasks, return_exceptions=True)
//!     print('====')
//!     print(f'3 workers slept in parallel for {total_slept_for:.2f} seconds')
//!     print(f'total expected sleep time: {total_sleep_time:.2f} seconds')
//! ```
//!
//! ```sh
//! cargo run --features sync --example workers
//! ```
use std::time::{Duration, Instant};

use jobloop::sync::Queue;
use jobloop::{job_main, sleep, tasks};

async fn worker(name: String, queue: Queue<f64>) {
    loop {
        let Ok(sleep_for) = queue.get().await else {
            return;
        };
        sleep(Duration::from_secs_f64(sleep_for)).await;
        queue.task_done();
        println!("{name} has slept for {sleep_for:.2} seconds");
    }
}

/// `random.uniform(low, high)`, from a small generator seeded by the clock (the example needs
/// no more than that, and no other crate).
fn uniform(state: &mut u64, low: f64, high: f64) -> f64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    low + (high - low) * (*state >> 11) as f64 / (1u64 << 53) as f64
}

#[job_main]
pub async fn main() {
    let mut random = Instant::now().elapsed().as_nanos() as u64 | 1;
    let queue = Queue::new(0);
    let mut total_sleep_time = 0.0;
    for _ in 0..20 {
        let sleep_for = uniform(&mut random, 0.05, 1.0);
        total_sleep_time += sleep_for;
        queue
            .try_put(sleep_for)
            .expect("an unbounded queue has room");
    }
    let tasks = tasks![for i in 0..3 => worker(format!("worker-{i}"), queue.clone())];
    let started_at = Instant::now();
    queue.join().await;
    let total_slept_for = started_at.elapsed().as_secs_f64();
    // Cancels the workers: dropping their group drops every one (asyncio's `cancel` + `gather`).
    drop(tasks);
    println!("====");
    println!("3 workers slept in parallel for {total_slept_for:.2} seconds");
    println!("total expected sleep time: {total_sleep_time:.2} seconds");
}
