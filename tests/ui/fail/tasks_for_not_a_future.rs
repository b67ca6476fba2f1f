#[jobloop::job_main]
async fn main() {
    let _ = jobloop::tasks![for id in 0..3 => id * 2].await;
}
