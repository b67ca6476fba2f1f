//! The names of `tasks![]`'s expansion never meet the user's: every form works beside user items
//! named after each name the expansion binds or defines, and beside user types that shadow the
//! prelude's. (Before, a `const value` made `tasks![settle; ..]` compile and then panic, a
//! `const error` broke `try`, and a type `Out` broke the list form of the modes.)

#![allow(non_upper_case_globals, non_camel_case_types, dead_code, clippy::all)]

use std::time::Duration;

use jobloop::{job_test, sleep, tasks};

// Named after the expansion's locals and parameters.
const value: u32 = 1_000;
const error: u32 = 1_001;
const group: u32 = 1_002;
const items: u32 = 1_003;
const futures: u32 = 1_004;
const outputs: u32 = 1_005;
const task_0: u32 = 1_006;
const task_1: u32 = 1_007;
const limit: u32 = 1_008;
const timeout: u32 = 1_009;
const jobloop_group: u32 = 1_010;
const jobloop_tasks: u32 = 1_011;
// Named after its functions, types and type parameters.
fn start() {}
struct Out;
struct T0;
struct T1;
struct F0;
struct O0;
struct A0;
struct E0;
struct T;
struct spawn;
struct sized;
// Shadowing the prelude.
type Result<V> = std::result::Result<V, String>;
struct Option;
struct Some;
struct None;
struct Vec;
struct Box;
struct Ok;
struct Err;
struct Default;
struct Iterator;
struct IntoIterator;
struct Future;
struct Send;

async fn job(id: u32) -> u32 {
    sleep(Duration::from_millis(1)).await;
    id
}

async fn fallible(id: u32) -> Result<u32> {
    job(id).await;
    if id < 100 {
        std::result::Result::Ok(id)
    } else {
        std::result::Result::Err(format!("{id} is too big"))
    }
}

#[job_test]
async fn the_plain_forms_work_beside_items_named_after_their_names() {
    assert_eq!(tasks![job(1), job(2)].await, (1, 2));
    assert_eq!(tasks![send; job(1), job(2)].await, (1, 2));
    assert_eq!(tasks![for id in 0..3 => job(id)].await, [0, 1, 2]);
    assert_eq!(tasks![send; for id in 0..3 => job(id)].await, [0, 1, 2]);
}

#[job_test]
async fn the_mode_forms_work_beside_items_named_after_their_names() {
    let settled = tasks![settle; job(1), async { 2u8 }].await;
    assert_eq!(
        settled,
        (std::result::Result::Ok(1), std::result::Result::Ok(2))
    );
    let tried: Result<(u32, u32)> = tasks![try; fallible(1), fallible(2)].await;
    assert_eq!(tried, std::result::Result::Ok((1, 2)));
    let failed: Result<(u32, u32)> = tasks![try; fallible(1), fallible(200)].await;
    assert_eq!(
        failed,
        std::result::Result::Err("200 is too big".to_string())
    );
    let (index, first) = tasks![race; job(1), async {
        sleep(Duration::from_secs(5)).await;
        2
    }]
    .await;
    assert_eq!((index, first), (0, 1));
    let timed = tasks![timeout = Duration::from_secs(5); job(1), job(2)].await;
    assert_eq!(timed, std::result::Result::Ok((1, 2)));
    let limited = tasks![limit = 1; job(1), job(2)].await;
    assert_eq!(limited, (1, 2));

    let all = tasks![settle; for id in 0..3 => job(id)].await;
    assert!(all.iter().all(std::result::Result::is_ok));
    let tried = tasks![try, limit = 2; for id in 0..3 => fallible(id)].await;
    assert_eq!(tried, std::result::Result::Ok(vec![0, 1, 2]));
    let timed = tasks![timeout = Duration::from_secs(5), send; for id in 0..2 => job(id)].await;
    assert_eq!(timed, std::result::Result::Ok(vec![0, 1]));
    let settled = tasks![settle, timeout = Duration::from_secs(5); for id in 0..2 => job(id)].await;
    assert_eq!(settled.len(), 2);
}

#[job_test]
async fn task_expressions_still_see_the_users_own_names() {
    // The user's own items of these names are what the task expressions see.
    let seen = tasks![async { value }, async { error + group }].await;
    assert_eq!(seen, (1_000, 2_003));
    let seen = tasks![for id in [task_0, task_1] => async move { id + limit }].await;
    assert_eq!(seen, [2_014, 2_015]);
    let seen = tasks![settle; for id in [futures, outputs] => async move { id }].await;
    assert_eq!(seen.len(), 2);
}
