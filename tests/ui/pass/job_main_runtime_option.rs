#![deny(warnings)]
#[jobloop::job_main(runtime = jobloop::EventLoop::new())]
async fn main() {
    let (a, b) = jobloop::tasks![async { 1 }, async { 2 }].await;
    assert_eq!(a + b, 3);
}
