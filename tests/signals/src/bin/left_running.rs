//! Debug mode: main returns while spawned tasks still run; each is listed with where it was
//! spawned (asyncio's "Task was destroyed but it is pending!"), under its name when it has one.
#[jobloop::job_main(debug)]
pub async fn main() {
    drop(jobloop::spawn(std::future::pending::<()>()));
    drop(jobloop::spawn_named(
        "heartbeat",
        std::future::pending::<()>(),
    ));
    jobloop::yield_now().await;
}
