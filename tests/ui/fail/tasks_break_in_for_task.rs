// A `break` in the task expression of the `for` form would end the loop that starts the tasks.
async fn job(id: u32) -> u32 {
    id
}

async fn run() -> Vec<u32> {
    jobloop::tasks![for id in 0..10 => if id < 5 { job(id) } else { break }].await
}

fn main() {
    let _ = run;
}
