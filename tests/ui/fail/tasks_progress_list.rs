async fn job() -> u32 {
    1
}

#[jobloop::job_main]
async fn main() {
    let _ = jobloop::tasks![progress; job(), job()].await;
}
