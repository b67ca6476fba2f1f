#[jobloop::job_main]
const async fn main() {}
