use std::time::Duration;

async fn fetch(url: &str) -> usize {
    url.len()
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let mut pages = jobloop::tasks![stream, limit = 10, timeout = Duration::from_secs(2); for u in urls => fetch(u)];
    while let Some((_, size)) = pages.next().await {
        println!("{size}");
    }
}
