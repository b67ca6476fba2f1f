async fn job(id: u32) -> u32 {
    id
}

#[jobloop::job_main]
async fn main() {
    let _ = jobloop::tasks![for id => job(id)].await;
    let _ = job(0).await;
}
