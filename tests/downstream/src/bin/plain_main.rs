//! `#[job_main]` without the feature `signal`: the body runs on the loop (built without I/O
//! here), and its `Result` is the exit status.

use std::time::Duration;

#[jl::job_main(crate = jl)]
async fn main() -> Result<(), String> {
    let outs = jl::tasks![for id in 0..3u64 => async move {
        jl::sleep(Duration::from_millis(20)).await;
        id * 10
    }]
    .await;
    println!("{outs:?}");
    match std::env::args().nth(1).as_deref() {
        Some("fail") => Err("asked to fail".into()),
        _ => Ok(()),
    }
}
