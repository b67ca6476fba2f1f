#[jobloop::job_test]
#[test]
async fn two_jobs() {}

fn main() {}
