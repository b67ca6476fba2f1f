use std::time::Duration;

#[derive(Debug)]
struct FetchError;

async fn fetch(url: &str) -> Result<usize, FetchError> {
    Ok(url.len())
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let sizes = jobloop::tasks![try, limit = 10, task_timeout = Duration::from_secs(2); for u in urls => fetch(u)].await;
    println!("{sizes:?}");
}
