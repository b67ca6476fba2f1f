// The last expression is a `Result`, but `main` returns `()`: the error points at `Ok(())`.
#[jobloop::job_main]
async fn main() {
    Ok(())
}
