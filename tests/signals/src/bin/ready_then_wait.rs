//! A server that makes its waits for Ctrl-C and SIGTERM before it says it is ready, then keeps
//! its thread busy for 500 ms (a slow start-up step) before it first polls them: a signal sent as
//! soon as it says so is taken by the waits (exit 0), not by the main task (exit 130 or 143).
use std::time::Duration;

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let ctrl_c = jobloop::signal::ctrl_c();
    let terminate = jobloop::signal::terminate();
    println!("ready");
    std::thread::sleep(Duration::from_millis(500));
    let (_, took) = jobloop::tasks![race;
        async move { ctrl_c.await.map(|()| "Ctrl-C") },
        async move { terminate.await.map(|()| "SIGTERM") },
    ]
    .await;
    let took = took.expect("the signals can be caught");
    println!("took {took}");
}
