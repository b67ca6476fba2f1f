#[jobloop::job_test(shuffle, runtime = jobloop::EventLoop::new())]
async fn races() {}

fn main() {}
