use std::time::Duration;

async fn job(id: u32) -> Result<u32, String> {
    Ok(id)
}

async fn run() {
    let _ = jobloop::tasks![race; job(1)].await;
}

fn main() {
    let _ = run();
    let _ = Duration::ZERO;
}
