//! Debug mode: one task of a group blocks its thread for 300 ms in one poll; the others
//! sleep. Expect exactly one report, naming `job(i)[1]` and this file, on every runtime
//! (`JOBLOOP_RUNTIME`). Given `scoped`, then the same in a `scoped` group: one report more.
use std::time::Duration;

async fn job(i: u32) -> Result<u32, String> {
    if i == 1 {
        std::thread::sleep(Duration::from_millis(300)); // blocks the loop: the bug to find
    } else {
        jobloop::sleep(Duration::from_millis(20)).await;
    }
    Ok(i)
}

#[jobloop::job_main(debug, runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let outputs = jobloop::tasks![try; for i in 0..3 => job(i)].await;
    println!("{outputs:?}");
    if super::argument().as_deref() == Some("scoped") {
        // Polled by the group, inside the poll of the task that awaits it: reported once.
        let (outputs,) =
            jobloop::tasks![jobloop::tasks![try, scoped; for i in 0..3 => job(i)]].await;
        println!("{outputs:?}");
    }
}
