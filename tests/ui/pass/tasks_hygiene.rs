#![deny(warnings)]
use jobloop::tasks;

async fn job(id: u32) -> u32 {
    id
}

#[jobloop::job_main]
async fn main() {
    // Variables named like the ones the expansion uses must keep their own meaning.
    let group = 7;
    let task_0 = 100;
    let (a, b) = tasks![job(group), job(task_0)].await;
    assert_eq!((a, b), (7, 100));
    let out = tasks![for i in 0..2 => job(group + i)].await;
    assert_eq!(out, [7, 8]);
    let group = vec![1, 2];
    let out = tasks![for id in group.clone() => job(id)].await;
    assert_eq!(out, group);
}
