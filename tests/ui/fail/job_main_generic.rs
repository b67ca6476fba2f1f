#[jobloop::job_main]
async fn main<T>() {}
