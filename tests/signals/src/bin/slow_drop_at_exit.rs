//! A program whose main returns while a task it spawned still runs; that task holds a value
//! whose destructor takes 10 s, run while the runtime drops the tasks left at exit. It prints
//! "dropping" when that starts: a signal sent then must still end the program at once. With the
//! argument `in-main`, main itself holds a value whose destructor takes 1 s, dropped in main's
//! last poll: a signal then must end the program too (once that destructor is done).
use std::io::Write;
use std::time::Duration;

struct SlowDrop(Duration);

impl Drop for SlowDrop {
    fn drop(&mut self) {
        println!("dropping");
        let _ = std::io::stdout().flush();
        std::thread::sleep(self.0);
        println!("dropped");
    }
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    if super::argument().as_deref() == Some("in-main") {
        let _held = SlowDrop(Duration::from_secs(1));
        jobloop::sleep(Duration::from_millis(10)).await;
        println!("main returns");
        return;
    }
    let held = SlowDrop(Duration::from_secs(10));
    // Detached: it runs on after main returns, until the runtime drops it.
    drop(jobloop::spawn(async move {
        let _held = held;
        std::future::pending::<()>().await;
    }));
    jobloop::sleep(Duration::from_millis(10)).await;
    println!("main returned");
}
