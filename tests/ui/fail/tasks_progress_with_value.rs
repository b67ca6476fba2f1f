async fn job(i: u32) -> u32 {
    i
}

#[jobloop::job_main]
async fn main() {
    let _ = jobloop::tasks![progress = true; for i in 0..3 => job(i)].await;
}
