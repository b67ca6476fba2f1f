async fn job() {}

async fn run() {
    let _ = jobloop::tasks![send, send; job()].await;
}

fn main() {
    let _ = run();
}
