#![deny(warnings)]
// A program that handles Ctrl-C itself: the attribute catches no signal.
#[jobloop::job_main(signals = false)]
async fn main() {
    jobloop::sleep(std::time::Duration::from_millis(1)).await;
}
