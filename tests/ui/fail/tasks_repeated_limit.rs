use std::time::Duration;

async fn job(id: u32) -> Result<u32, String> {
    Ok(id)
}

async fn run() {
    let _ = jobloop::tasks![limit = 2, limit = 4; for id in 0..8 => job(id)].await;
}

fn main() {
    let _ = run();
    let _ = Duration::ZERO;
}
