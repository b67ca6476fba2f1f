#[jobloop::job_main]
fn main() {}
