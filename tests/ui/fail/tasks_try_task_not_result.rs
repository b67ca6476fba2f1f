async fn count(id: u32) -> u32 {
    id
}

async fn run() {
    // Every task of a `try` group must return a `Result`: the error points at the task.
    let _ = jobloop::tasks![try; for id in 0..3 => count(id)].await;
    let _ = jobloop::tasks![try; async { Ok::<u32, String>(1) }, count(2)].await;
}

fn main() {
    let _ = run();
}
