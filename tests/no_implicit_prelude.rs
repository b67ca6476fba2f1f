//! `tasks![]`, `#[job_test]` and `#[job_main]`'s expansion in a crate without the prelude: every
//! trait method and type is called by its full path. (Before, the mode forms failed here:
//! `Settle::default` was not found.)

#![no_implicit_prelude]

extern crate jobloop;
extern crate std;

use std::time::Duration;
use std::{assert, assert_eq};

async fn job(id: u32) -> u32 {
    jobloop::sleep(Duration::from_millis(1)).await;
    id
}

async fn fallible(id: u32) -> std::result::Result<u32, u32> {
    std::result::Result::Ok(job(id).await)
}

#[jobloop::job_test]
async fn every_form_of_tasks_works_without_the_prelude() {
    assert_eq!(jobloop::tasks![job(1), job(2)].await, (1, 2));
    assert_eq!(jobloop::tasks![for id in 0..2 => job(id)].await, [0, 1]);
    assert_eq!(
        jobloop::tasks![send; for id in 0..2 => job(id)].await,
        [0, 1]
    );
    let settled = jobloop::tasks![settle; job(1), job(2)].await;
    assert!(settled.0.is_ok() && settled.1.is_ok());
    let tried = jobloop::tasks![try; fallible(1), fallible(2)].await;
    assert_eq!(tried, std::result::Result::Ok((1, 2)));
    let (index, _) = jobloop::tasks![race; job(1), job(2)].await;
    assert_eq!(index, 0);
    let timed = jobloop::tasks![timeout = Duration::from_secs(5); job(1), job(2)].await;
    assert_eq!(timed, std::result::Result::Ok((1, 2)));
    let all = jobloop::tasks![settle; for id in 0..3 => job(id)].await;
    assert_eq!(all.len(), 3);
    let limited = jobloop::tasks![try, limit = 2; for id in 0..3 => fallible(id)].await;
    assert_eq!(limited, std::result::Result::Ok(std::vec![0, 1, 2]));
}

#[jobloop::job_test(virtual_time)]
async fn a_test_with_options_works_without_the_prelude() -> std::result::Result<(), u32> {
    jobloop::sleep(Duration::from_secs(60)).await;
    std::result::Result::Ok(())
}
