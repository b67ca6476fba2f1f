//! `tasks![progress; ...]`: 20 jobs, 4 at a time, two of which fail; the bar is drawn on
//! stderr when it is a terminal.
use std::time::Duration;

async fn job(i: u64) -> Result<u64, String> {
    jobloop::sleep(Duration::from_millis(20 + i % 3 * 10)).await;
    if i % 10 == 3 {
        return Err(format!("job {i} failed"));
    }
    Ok(i)
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
async fn main() {
    let outcomes = jobloop::tasks![settle, progress, limit = 4; for i in 0..20 => job(i)].await;
    let ok = outcomes.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
    println!("{ok} ok");
}
