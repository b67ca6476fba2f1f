use std::time::Duration;

async fn fetch(url: &str) -> usize {
    url.len()
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let sizes = jobloop::tasks![settle, task_timeout = Duration::from_secs(2), task_timeout = Duration::from_secs(3); for u in urls => fetch(u)].await;
    println!("{sizes:?}");
}
