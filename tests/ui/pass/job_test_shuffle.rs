//! `shuffle` alone, with a number, with `virtual_time` and `debug`, and on a test that returns a
//! `Result`.

#[jobloop::job_test(shuffle)]
async fn default_number_of_schedules() {
    jobloop::yield_now().await;
}

#[jobloop::job_test(shuffle = 10, virtual_time, debug)]
async fn ten_schedules_on_the_virtual_clock() {
    jobloop::sleep(std::time::Duration::from_secs(1)).await;
}

#[jobloop::job_test(shuffle = 3)]
async fn a_result() -> Result<(), String> {
    Ok(())
}
