#[jobloop::job_main]
async fn main() {
    let _ = jobloop::tasks![1 + 1].await;
}
