async fn job() {}

async fn run() {
    let _ = jobloop::tasks![; job()].await;
}

fn main() {
    let _ = run();
}
