#[jobloop::job_test]
fn two_jobs() {}

fn main() {}
