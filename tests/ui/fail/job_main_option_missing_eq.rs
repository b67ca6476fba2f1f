#[jobloop::job_main(runtime jobloop::EventLoop::new())]
async fn main() {}
