//! Ctrl-C that cleans up. Three jobs of 30 s each hold a resource whose `Drop` releases it (a
//! temporary file, a lock, a connection). On Ctrl-C (or SIGTERM), `#[job_main]` cancels the
//! main task: the group is dropped, every job's destructor runs, and the program exits with
//! status 130 (143 for SIGTERM), as `asyncio.run` does after a `KeyboardInterrupt`:
//!
//! ```python
//! async def job(job_id):
//!     try:
//!         await asyncio.sleep(30)
//!     finally:
//!         print(f"job {job_id}: released")   # runs on Ctrl-C
//! ```
//!
//! ```sh
//! cargo run --features signal --example ctrl_c        # then press Ctrl-C
//! JOBLOOP_RUNTIME=tokio cargo run --features signal,tokio --example ctrl_c
//! ```
use std::time::Duration;

use jobloop::{job_main, sleep, tasks};

/// Something a job holds, released when the job ends however it ends.
struct Resource(u32);

impl Drop for Resource {
    fn drop(&mut self) {
        println!("job {}: released", self.0);
    }
}

async fn job(id: u32) {
    let _resource = Resource(id);
    println!("job {id}: working (press Ctrl-C)");
    sleep(Duration::from_secs(30)).await;
    println!("job {id}: done");
}

#[job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
async fn main() {
    tasks![for id in 0..3 => job(id)].await;
}
