//! Debug mode: main returns while a spawned task still runs; it is listed with where it was
//! spawned (asyncio's "Task was destroyed but it is pending!").
#[jobloop::job_main(debug)]
async fn main() {
    drop(jobloop::spawn(std::future::pending::<()>()));
    jobloop::yield_now().await;
}
