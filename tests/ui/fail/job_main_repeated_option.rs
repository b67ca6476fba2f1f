#[jobloop::job_main(runtime = jobloop::EventLoop::new(), runtime = jobloop::EventLoop::new())]
async fn main() {}
