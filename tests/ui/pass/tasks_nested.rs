#![deny(warnings)]
use jobloop::tasks;

async fn job(id: u32) -> u32 {
    id
}

#[jobloop::job_main]
async fn main() {
    let (inner, sum) = tasks![tasks![job(1), job(2)], async {
        tasks![for id in 0..4 => job(id)]
            .await
            .into_iter()
            .sum::<u32>()
    }]
    .await;
    assert_eq!(inner, (1, 2));
    assert_eq!(sum, 6);
    let grid = tasks![for row in 0..2 => async move {
        tasks![for col in 0..3 => job(row * 3 + col)].await
    }]
    .await;
    assert_eq!(grid, [vec![0, 1, 2], vec![3, 4, 5]]);
}
