#[jobloop::job_test]
async fn two_jobs(count: u32) {
    let _ = count;
}

fn main() {}
