//! jobloop's macros under another name: this crate depends on jobloop as `jl`, so no path in
//! their expansions may start with `::jobloop`.

use std::time::Duration;

async fn job(id: u64) -> u64 {
    jl::sleep(Duration::from_millis(10)).await;
    id * 10
}

#[jl::job_test(crate = jl)]
async fn every_form_of_tasks_works_under_a_renamed_crate() {
    assert_eq!(jl::tasks![for id in 0..3 => job(id)].await, [0, 10, 20]);
    assert_eq!(jl::tasks![job(1), async { "hi" }].await, (10, "hi"));
    assert_eq!(
        jl::tasks![send; for id in 0..3 => job(id)].await,
        [0, 10, 20]
    );
    let ok: Result<Vec<u64>, String> = jl::tasks![try, limit = 2; for id in 0..3 => async move {
        Ok(job(id).await)
    }]
    .await;
    assert_eq!(ok, Ok(vec![0, 10, 20]));
    let (first, _) = jl::tasks![race; job(1), async {
        jl::sleep(Duration::from_secs(5)).await;
        0
    }]
    .await;
    assert_eq!(first, 0);
    let timed = jl::tasks![timeout = Duration::from_secs(5); job(2), job(3)].await;
    assert_eq!(timed, Ok((20, 30)));
    let outcomes = jl::tasks![settle; job(4), async { 5 }].await;
    assert_eq!(outcomes, (Ok(40), Ok(5)));
}

#[jl::job_test(crate = jl, virtual_time)]
async fn virtual_time_works_under_a_renamed_crate() {
    let start = jl::now();
    jl::sleep(Duration::from_secs(60)).await;
    assert_eq!(jl::now() - start, Duration::from_secs(60));
}

#[test]
fn tasks_reached_through_a_crate_that_re_exports_jobloop() {
    use jobloop_downstream::jobloop as reexported;
    let out = reexported::EventLoop::new()
        .block_on(async { reexported::tasks![for id in 0..2 => job(id)].await });
    assert_eq!(out, [0, 10]);
}

#[test]
fn misuse_without_the_features() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
