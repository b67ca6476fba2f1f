//! A program whose `to_thread` work blocks for 30 s. With the argument `give-up`, main stops
//! waiting for it after 200 ms and returns; otherwise it waits (for a signal to cancel it). In
//! both cases the process must exit at once: nothing waits for blocking work at exit.
use std::time::Duration;

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let give_up = std::env::args().any(|arg| arg == "give-up");
    let work = jobloop::to_thread(|| std::thread::sleep(Duration::from_secs(30)));
    println!("working");
    if give_up {
        let waited = jobloop::timeout(Duration::from_millis(200), work).await;
        assert!(waited.is_err());
        println!("gave up");
    } else {
        work.await;
        println!("finished");
    }
}
