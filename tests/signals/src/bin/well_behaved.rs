//! Debug mode with no slow poll and no task left behind: it prints no report.
use std::time::Duration;

#[jobloop::job_main(debug)]
pub async fn main() {
    let handle = jobloop::spawn(jobloop::sleep(Duration::from_millis(30)));
    jobloop::tasks![for i in 0..20u64 => jobloop::sleep(Duration::from_millis(i))].await;
    handle.await;
    println!("done");
}
