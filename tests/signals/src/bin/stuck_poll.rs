//! Debug mode (from `JOBLOOP_DEBUG=1`): a spawned task is stuck in one poll for 2 s; the
//! watchdog reports it while it is still stuck, before it prints that it is done.
use std::time::Duration;

#[jobloop::job_main]
pub async fn main() {
    let stuck = jobloop::spawn(async {
        std::thread::sleep(Duration::from_secs(2));
        eprintln!("stuck task done");
    });
    stuck.await;
}

/// `stuck_poll_scoped`: the same for a `scoped` group's task, polled inside the poll of the
/// group task around it: the watchdog names the inner task alone.
#[jobloop::job_main]
pub async fn scoped() {
    jobloop::tasks![jobloop::tasks![scoped; stuck_in_place()]].await;
}

async fn stuck_in_place() {
    std::thread::sleep(Duration::from_secs(2));
    eprintln!("stuck task done");
}
