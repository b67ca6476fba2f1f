async fn job() {}

async fn run() {
    let _ = jobloop::tasks![fast; job()].await;
}

fn main() {
    let _ = run();
}
