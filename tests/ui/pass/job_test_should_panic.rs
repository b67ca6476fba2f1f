#![deny(warnings)]
#[jobloop::job_test]
#[should_panic(expected = "boom")]
async fn panics() {
    jobloop::yield_now().await;
    panic!("boom");
}

#[jobloop::job_test]
async fn returns_result() -> Result<(), std::io::Error> {
    Ok(())
}

#[jobloop::job_test(runtime = jobloop::EventLoop::new())]
#[ignore]
async fn with_runtime() {}
