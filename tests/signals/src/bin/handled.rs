//! A server that takes Ctrl-C itself (or SIGTERM, given `term`): it stops, finishes the work in
//! flight, and exits 0.
use std::time::Duration;

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    // Each wait is made before the line that says the program serves: it takes the signal
    // from its call on.
    if super::argument().as_deref() == Some("term") {
        let stop = jobloop::signal::terminate();
        println!("serving (send SIGTERM)");
        stop.await.expect("SIGTERM can be caught");
    } else {
        let stop = jobloop::signal::ctrl_c();
        println!("serving (press Ctrl-C)");
        stop.await.expect("Ctrl-C can be caught");
    }
    println!("draining");
    jobloop::sleep(Duration::from_millis(50)).await;
    println!("drained");
}
