async fn fetch(url: &str) -> usize {
    url.len()
}

#[jobloop::job_main]
async fn main() {
    let urls = ["a", "bb"];
    let sizes = jobloop::tasks![settle, task_timeout; for u in urls => fetch(u)].await;
    println!("{sizes:?}");
}
