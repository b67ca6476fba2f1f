//! A group with `limit = 2`: six jobs of different lengths, at most two running at once; the
//! next starts as soon as either running one ends. Run it with a trace to see that:
//!
//! ```sh
//! JOBLOOP_TRACE=timeline.svg cargo run --example timeline    # then open timeline.svg
//! JOBLOOP_TRACE=trace.json cargo run --example timeline      # for ui.perfetto.dev
//! ```
use std::time::{Duration, Instant};

use jobloop::{job_main, sleep, tasks};

async fn job(id: u64) -> u64 {
    sleep(Duration::from_millis(100 + 80 * (id * 5 % 6))).await;
    id
}

#[job_main]
pub async fn main() {
    let start = Instant::now();
    let done = tasks![limit = 2; for id in 0..6 => job(id)].await;
    println!("{done:?} in {:.2?}", start.elapsed());
}
