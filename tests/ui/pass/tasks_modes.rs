#![deny(warnings)]
use std::time::Duration;

async fn job(id: u32) -> Result<u32, String> {
    jobloop::sleep(Duration::from_millis(u64::from(id))).await;
    Ok(id)
}

#[jobloop::job_main]
async fn main() {
    let all: Result<Vec<u32>, String> =
        jobloop::tasks![try, limit = 2; for id in 0..5 => job(id)].await;
    assert_eq!(all, Ok(vec![0, 1, 2, 3, 4]));
    let settled = jobloop::tasks![settle, send; job(1), async { 5u8 }].await;
    assert_eq!(settled.1, Ok(5));
    let (index, _) = jobloop::tasks![race, timeout = Duration::from_secs(5); job(3), job(1)]
        .await
        .unwrap();
    assert_eq!(index, 1);
    let combined = jobloop::tasks![try, limit = 8, timeout = Duration::from_secs(5); for id in 0..3 => job(id)].await;
    assert_eq!(combined, Ok(Ok(vec![0, 1, 2])));
}
