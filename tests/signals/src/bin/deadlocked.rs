//! Debug mode under `#[job_main]`: the main task waits on a `Queue` nobody fills. The loop
//! prints the deadlock message once and waits on (a thread it does not know of could still
//! put); the test reads the message and kills the program.
#[jobloop::job_main(debug)]
pub async fn main() {
    let queue = jobloop::sync::Queue::<u32>::new(0);
    let _ = queue.get().await;
}
