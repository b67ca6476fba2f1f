#[jobloop::job_test(virtual_time, virtual_time)]
async fn clock() {}

fn main() {}
