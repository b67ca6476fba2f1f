#[jobloop::job_main]
async fn main() {
    let () = jobloop::tasks![].await;
}
