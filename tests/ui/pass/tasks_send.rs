#![deny(warnings)]
use std::sync::Arc;

async fn job(id: u32) -> u32 {
    jobloop::yield_now().await;
    id * 2
}

#[jobloop::job_main]
async fn main() {
    let shared = Arc::new(1);
    let out = jobloop::tasks![send; for id in 0..3 => job(id + *shared)].await;
    assert_eq!(out, [2, 4, 6]);
    let (a, b) = jobloop::tasks![send, ; job(1), async { "hi" }].await;
    assert_eq!((a, b), (2, "hi"));
}
