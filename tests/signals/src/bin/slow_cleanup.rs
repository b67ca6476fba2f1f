//! A job whose destructor takes 10 s: a second signal during that cleanup exits at once.
use std::time::Duration;

struct SlowCleanup;

impl Drop for SlowCleanup {
    fn drop(&mut self) {
        println!("cleanup started");
        std::thread::sleep(Duration::from_secs(10));
        println!("cleanup finished");
    }
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let _cleanup = SlowCleanup;
    println!("working");
    jobloop::sleep(Duration::from_secs(30)).await;
}
