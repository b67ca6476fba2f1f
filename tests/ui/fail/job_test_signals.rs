#[jobloop::job_test(signals = false)]
async fn catches_nothing() {}

fn main() {}
