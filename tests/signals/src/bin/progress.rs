//! `tasks![progress; ...]`: 20 jobs, 4 at a time, two of which fail; the bar is drawn on
//! stderr when it is a terminal. With the argument `timeout` (or `settle-timeout`), the jobs
//! take 1 s each and the group's timeout of 100 ms ends it.
use std::time::Duration;

async fn job(i: u64, slow: bool) -> Result<u64, String> {
    let wait = if slow { 1000 } else { 20 + i % 3 * 10 };
    jobloop::sleep(Duration::from_millis(wait)).await;
    if i % 10 == 3 {
        return Err(format!("job {i} failed"));
    }
    Ok(i)
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let timeout = Duration::from_millis(100);
    match super::argument().as_deref() {
        Some("timeout") => {
            let out =
                jobloop::tasks![progress, limit = 4, timeout = timeout; for i in 0..20 => job(i, true)]
                    .await;
            assert!(out.is_err());
            println!("gave up");
        }
        Some("settle-timeout") => {
            let outcomes = jobloop::tasks![settle, progress, limit = 4, timeout = timeout; for i in 0..20 => job(i, true)].await;
            println!("{} timed out", outcomes.len());
        }
        _ => {
            let outcomes =
                jobloop::tasks![settle, progress, limit = 4; for i in 0..20 => job(i, false)].await;
            let ok = outcomes.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
            println!("{ok} ok");
        }
    }
}
