use std::rc::Rc;

// A `send` group runs its tasks on any thread: a task that holds an `Rc` is rejected at compile
// time, at the task's expression.
async fn run() {
    let shared = Rc::new(5);
    let _ = jobloop::tasks![send; for _ in 0..2 => {
        let shared = shared.clone();
        async move {
            jobloop::yield_now().await;
            *shared
        }
    }]
    .await;
}

fn main() {
    let _ = run();
}
