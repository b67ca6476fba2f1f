#[jobloop::job_main(debug)]
async fn main() {
    jobloop::tasks![for i in 0..2 => async move { i }].await;
}
