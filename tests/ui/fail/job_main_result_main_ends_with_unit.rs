// `main` returns a `Result`, but the body ends with a statement: the error points into the body.
#[jobloop::job_main]
async fn main() -> Result<(), std::io::Error> {
    jobloop::sleep(std::time::Duration::from_millis(1)).await;
}
