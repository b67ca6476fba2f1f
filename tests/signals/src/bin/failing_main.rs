//! A main that fails after three jobs ran: by the first argument, it panics (`panic`), a task's
//! panic resumes in it (`task-panic`), it returns `Err` (`err`), or it waits to be stopped by a
//! signal (`wait`). The trace must be written whichever way it ends.
use std::time::Duration;

async fn job(id: u32) -> u32 {
    jobloop::sleep(Duration::from_millis(10)).await;
    id
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() -> Result<(), String> {
    let way = super::argument().unwrap_or_default();
    jobloop::tasks![for id in 0..3 => job(id)].await;
    match way.as_str() {
        "panic" => panic!("main failed"),
        "task-panic" => {
            jobloop::tasks![async { panic!("a task failed") }].await;
            Ok(())
        }
        "err" => Err("main gave up".into()),
        _ => {
            println!("waiting");
            jobloop::sleep(Duration::from_secs(30)).await;
            Ok(())
        }
    }
}
