//! The first asyncio program, in jobloop:
//!
//! ```python
//! async def main():
//!     await asyncio.sleep(3)
//! asyncio.get_event_loop().run_until_complete(main())
//! ```
use std::time::{Duration, Instant};

#[jobloop::job_main]
async fn main() {
    let start = Instant::now();
    jobloop::sleep(Duration::from_secs(3)).await;
    println!("slept for {:?}", start.elapsed());
}
