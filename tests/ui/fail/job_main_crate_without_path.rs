#[jobloop::job_main(crate)]
async fn main() {}
