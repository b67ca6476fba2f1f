// A `return` in a task expression would leave the function while the group is being made.
async fn job(id: u32) -> u32 {
    id
}

async fn run(ready: bool) -> u32 {
    let (a,) = jobloop::tasks![if ready { job(1) } else { return 0 }].await;
    a
}

fn main() {
    let _ = run;
}
