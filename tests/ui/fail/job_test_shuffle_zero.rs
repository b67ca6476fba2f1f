#[jobloop::job_test(shuffle = 0)]
async fn races() {}

fn main() {}
