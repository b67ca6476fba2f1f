//! The second asyncio program: three jobs that each wait 2 s, started as tasks and waited
//! together, finish in about 2 s instead of 6 s.
//!
//! ```python
//! async def job(job_id):
//!     print("start job: %s" % job_id)
//!     await asyncio.sleep(2)          # other tasks run meanwhile
//!     print("end job: %s" % job_id)
//!
//! async def main(_loop):
//!     tasks = [_loop.create_task(job(job_id)) for job_id in range(0, 3)]
//!     await asyncio.wait(tasks)
//! ```
//!
//! The same program runs on every runtime jobloop supports; `JOBLOOP_RUNTIME` picks one:
//!
//! ```sh
//! cargo run --example three_jobs                                          # the embedded loop
//! JOBLOOP_RUNTIME=tokio cargo run --features tokio --example three_jobs
//! JOBLOOP_RUNTIME=tokio-multi-thread cargo run --features tokio --example three_jobs
//! JOBLOOP_RUNTIME=smol cargo run --features smol --example three_jobs
//! cargo run --example custom_runtime                                      # a LocalPool runtime
//! ```
use std::time::{Duration, Instant};

use jobloop::{job_main, sleep, tasks};

async fn job(id: u32) {
    println!("start job: {id}");
    sleep(Duration::from_secs(2)).await; // other tasks run meanwhile
    println!("end job: {id}");
}

#[job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
async fn main() {
    let start = Instant::now();
    tasks![for id in 0..3 => job(id)].await;
    println!("time: {:.6}", start.elapsed().as_secs_f64());
}
