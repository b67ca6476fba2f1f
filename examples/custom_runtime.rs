//! A runtime of your own: jobloop's `Runtime` trait over `futures::executor::LocalPool` and
//! `futures-timer`, and the three jobs of the seed running on it.
//!
//! ```sh
//! cargo run --example custom_runtime
//! ```
use std::cell::RefCell;
use std::future::Future;
use std::time::{Duration, Instant};

use futures_executor::{LocalPool, LocalSpawner};
use futures_task::LocalSpawn;
use jobloop::runtime::{Delay, LocalTask, SendTask};
use jobloop::{sleep, tasks, Runtime};

/// A single-threaded runtime: `LocalPool` runs the tasks, `futures-timer` provides the timers.
pub struct LocalPoolRuntime {
    pool: RefCell<LocalPool>,
    spawner: LocalSpawner,
}

impl LocalPoolRuntime {
    /// A new pool.
    pub fn new() -> LocalPoolRuntime {
        let pool = LocalPool::new();
        let spawner = pool.spawner();
        LocalPoolRuntime {
            pool: RefCell::new(pool),
            spawner,
        }
    }
}

impl Default for LocalPoolRuntime {
    fn default() -> Self {
        LocalPoolRuntime::new()
    }
}

impl Runtime for LocalPoolRuntime {
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        // Runs the pool's tasks until `future` completes.
        self.pool.borrow_mut().run_until(future)
    }

    fn spawn_send(&self, task: SendTask) {
        // One thread: a task that could go anywhere runs here too.
        self.spawn_local(task);
    }

    fn spawn_local(&self, task: LocalTask) {
        // Fails only once the pool is gone; the task is then dropped, which jobloop reports to
        // whoever awaits it.
        let _ = self.spawner.spawn_local_obj(task.into());
    }

    fn sleep_until(&self, deadline: Instant) -> Delay {
        let delay = futures_timer::Delay::new(deadline.saturating_duration_since(Instant::now()));
        Box::pin(delay)
    }
}

async fn job(id: u32) {
    println!("start job: {id}");
    sleep(Duration::from_secs(2)).await;
    println!("end job: {id}");
}

#[jobloop::job_main(runtime = LocalPoolRuntime::new())]
async fn main() {
    let start = Instant::now();
    tasks![for id in 0..3 => job(id)].await;
    println!("time: {:.6}", start.elapsed().as_secs_f64());
}
