async fn a() -> u32 {
    1
}

async fn b() -> u32 {
    2
}

#[jobloop::job_main]
async fn main() {
    let _ = jobloop::tasks![a(); b()].await;
}
