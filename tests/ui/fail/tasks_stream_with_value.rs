async fn job(id: u32) -> u32 {
    id
}

async fn run() {
    let _ = jobloop::tasks![stream = true; for id in 0..3 => job(id)];
}

fn main() {
    let _ = run();
}
