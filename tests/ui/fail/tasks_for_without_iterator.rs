async fn job(id: u32) -> u32 {
    id
}

async fn run() {
    let _ = jobloop::tasks![for id in => job(id)].await;
}

fn main() {
    let _ = run();
}
