#[jobloop::job_main(virtual_time)]
async fn main() {}
