// `continue` in a task expression with `limit`, where tasks are made in a closure of the group.
async fn job(id: u32) -> u32 {
    id
}

async fn run() -> Vec<u32> {
    jobloop::tasks![limit = 2; for id in 0..10 => if id % 2 == 0 { job(id) } else { continue }]
        .await
}

fn main() {
    let _ = run;
}
