async fn job() -> u32 {
    1
}

#[jobloop::job_main]
async fn main() {
    let ids = vec![1, 2, 3];
    let _ = jobloop::tasks![for in ids => job()].await;
}
