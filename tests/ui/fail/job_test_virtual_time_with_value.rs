#[jobloop::job_test(virtual_time = true)]
async fn clock() {}

fn main() {}
