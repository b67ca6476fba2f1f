#[jobloop::job_main(runtime)]
async fn main() {}
