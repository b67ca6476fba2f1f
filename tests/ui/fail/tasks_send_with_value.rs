async fn job() {}

async fn run() {
    let _ = jobloop::tasks![send = true; job()].await;
}

fn main() {
    let _ = run();
}
