//! A server that takes Ctrl-C itself (or SIGTERM, given `term`): it stops, finishes the work in
//! flight, and exits 0.
use std::time::Duration;

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    if super::argument().as_deref() == Some("term") {
        println!("serving (send SIGTERM)");
        jobloop::signal::terminate()
            .await
            .expect("SIGTERM can be caught");
    } else {
        println!("serving (press Ctrl-C)");
        jobloop::signal::ctrl_c()
            .await
            .expect("Ctrl-C can be caught");
    }
    println!("draining");
    jobloop::sleep(Duration::from_millis(50)).await;
    println!("drained");
}
