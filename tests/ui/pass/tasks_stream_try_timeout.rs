// A `try` stream with a timeout: its tasks' error converts from `jobloop::Elapsed`
// (`std::io::Error` does), and the stream's last item says when the timeout cut work off.
use std::time::Duration;

async fn fetch(url: &str) -> std::io::Result<usize> {
    Ok(url.len())
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let mut pages = jobloop::tasks![stream, try, limit = 1, timeout = Duration::from_secs(2); for u in urls => fetch(u)];
    let mut sizes = Vec::new();
    while let Some(page) = pages.next().await {
        sizes.push(page.expect("in time").1);
    }
    assert_eq!(sizes, [1, 2]);
}
