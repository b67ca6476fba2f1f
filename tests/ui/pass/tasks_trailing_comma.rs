#![deny(warnings)]
async fn job(id: u32) -> u32 {
    id * 10
}

#[jobloop::job_main]
async fn main() {
    let (a, b) = jobloop::tasks![job(1), job(2),].await;
    assert_eq!((a, b), (10, 20));
    let (only,) = jobloop::tasks![job(3),].await;
    assert_eq!(only, 30);
    let out = jobloop::tasks![for id in 0..3 => job(id),].await;
    assert_eq!(out, [0, 10, 20]);
}
