async fn job(id: u32) -> u32 {
    id
}

#[jobloop::job_main]
async fn main() {
    let ids = vec![1, 2, 3];
    let _ = jobloop::tasks![for id in ids].await;
    let _ = job(0).await;
}
