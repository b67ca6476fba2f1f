// A plain `tasks![]` group keeps its tasks on its own thread, so it is not `Send`: it cannot be
// held inside a task of a `send` group, which may move to another thread. The fix is
// `tasks![send; ...]` for the inner group too.
async fn job(id: u32) -> u32 {
    id
}

async fn run() {
    let _ = jobloop::tasks![send; for id in 0..2 => async move {
        let (a, b) = jobloop::tasks![job(id), job(id + 1)].await;
        a + b
    }]
    .await;
}

fn main() {
    let _ = run();
}
