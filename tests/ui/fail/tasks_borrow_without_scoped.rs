async fn run() {
    let names = vec!["a".to_string(), "bb".to_string()];
    // Spawned tasks may outlive this function: they cannot borrow `names` (write `scoped`).
    let _ = jobloop::tasks![for name in &names => async { name.len() }].await;
}

fn main() {
    let _ = run();
}
