#[jobloop::job_main(5)]
async fn main() {}
