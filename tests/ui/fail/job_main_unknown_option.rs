#[jobloop::job_main(threads = 4)]
async fn main() {}
