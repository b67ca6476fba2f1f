#[jobloop::job_main(shuffle)]
async fn main() {}
