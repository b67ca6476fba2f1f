//! A job whose destructor panics, beside one whose destructor prints: the exit goes on.
use std::time::Duration;

struct Panics;

impl Drop for Panics {
    fn drop(&mut self) {
        panic!("a destructor panicked during the cleanup");
    }
}

struct Prints(u32);

impl Drop for Prints {
    fn drop(&mut self) {
        println!("job {}: released", self.0);
    }
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    jobloop::tasks![
        async {
            let _guard = Panics;
            jobloop::sleep(Duration::from_secs(30)).await;
        },
        async {
            let _guard = Prints(1);
            println!("working");
            jobloop::sleep(Duration::from_secs(30)).await;
        },
    ]
    .await;
}
