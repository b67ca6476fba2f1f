async fn fetch(url: &str) -> usize {
    url.len()
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let sizes = jobloop::tasks![limit = 10, task_timeout = std::time::Duration::from_secs(2); for u in urls => fetch(u)].await;
    println!("{sizes:?}");
}
