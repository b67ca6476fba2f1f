//! A program whose main returns while a task it spawned still runs; that task holds a value
//! whose destructor takes 3 s, run while the runtime drops the tasks left at exit. It prints
//! "dropping" when that starts: a signal sent then must still end the program at once.
use std::io::Write;
use std::time::Duration;

struct SlowDrop;

impl Drop for SlowDrop {
    fn drop(&mut self) {
        println!("dropping");
        let _ = std::io::stdout().flush();
        std::thread::sleep(Duration::from_secs(3));
        println!("dropped");
    }
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let held = SlowDrop;
    // Detached: it runs on after main returns, until the runtime drops it.
    drop(jobloop::spawn(async move {
        let _held = held;
        std::future::pending::<()>().await;
    }));
    jobloop::sleep(Duration::from_millis(10)).await;
    println!("main returned");
}
