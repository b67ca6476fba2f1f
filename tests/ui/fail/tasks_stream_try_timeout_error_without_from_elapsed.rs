use std::time::Duration;

#[derive(Debug)]
struct FetchError;

async fn fetch(url: &str) -> Result<usize, FetchError> {
    Ok(url.len())
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let mut pages = jobloop::tasks![stream, try, timeout = Duration::from_secs(2); for u in urls => fetch(u)];
    while let Some(page) = pages.next().await {
        println!("{page:?}");
    }
}
