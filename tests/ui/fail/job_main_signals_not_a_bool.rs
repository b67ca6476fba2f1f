#[jobloop::job_main(signals = off)]
async fn main() {}
