#[jobloop::job_test(paused)]
async fn clock() {}

fn main() {}
