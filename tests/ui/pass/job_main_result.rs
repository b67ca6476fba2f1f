#![deny(warnings)]
#[jobloop::job_main]
async fn main() -> Result<(), std::io::Error> {
    jobloop::yield_now().await;
    Ok(())
}
