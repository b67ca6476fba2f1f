use std::io;

async fn serve() -> io::Result<()> {
    Ok(())
}

async fn ticker() {}

async fn run() {
    // A race has one output: the error is at the task that returns another type.
    let _ = jobloop::tasks![race, scoped; serve(), serve(), ticker()];
}

fn main() {
    let _ = run();
}
