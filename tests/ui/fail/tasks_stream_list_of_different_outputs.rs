async fn number() -> u32 {
    1
}

async fn word() -> &'static str {
    "one"
}

async fn run() {
    // A stream's items have one type: its tasks must return the same type.
    let _ = jobloop::tasks![stream; number(), word()];
}

fn main() {
    let _ = run();
}
