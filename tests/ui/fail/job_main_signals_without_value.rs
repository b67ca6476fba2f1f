#[jobloop::job_main(signals)]
async fn main() {}
