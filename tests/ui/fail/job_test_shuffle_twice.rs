#[jobloop::job_test(shuffle, shuffle = 10)]
async fn races() {}

fn main() {}
