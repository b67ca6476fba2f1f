#[jobloop::job_main(debug, debug)]
async fn main() {}
