//! The loop's scenarios of the before/after tables (the jobloop rows of `benches/suite.rs`, the
//! same code), one run each, for `valgrind --tool=callgrind`: instructions are counted, not
//! timed, so a before/after difference of a few per cent is a fact and not the machine's noise.
//! `benches/compare.sh` builds this file twice, against this tree and against an earlier commit
//! (so it uses only what both have), and divides the instructions by the items.
//!
//!   instructions SCENARIO N    # spawn_join, tasks_overhead, sleep_many, pingpong, limit, scoped,
//!                              # task_set, local_executor (spawn_join's anchor: no jobloop)

use std::hint::black_box;
use std::time::Duration;

use jobloop::{sleep, tasks, yield_now, EventLoop};

// The two tasks of pingpong, the suite's own.
#[path = "../common/pingpong.rs"]
mod pingpong;
use pingpong::{channels, ping_task, pong_task};

fn main() {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().unwrap_or_default();
    let n: usize = match args.next().map(|n| n.parse()) {
        Some(Ok(n)) => n,
        _ => 100_000,
    };
    match scenario.as_str() {
        "spawn_join" => {
            let out = EventLoop::new()
                .block_on(async { tasks![for i in 0..n => async move { i }].await });
            assert_eq!(out.len(), n);
        }
        // Groups of 10, as the suite's first tasks_overhead table.
        "tasks_overhead" => EventLoop::new().block_on(async {
            for _ in 0..n / 10 {
                black_box(tasks![for i in 0..10 => async move { i }].await);
            }
        }),
        "sleep_many" => EventLoop::new().block_on(async {
            tasks![for _ in 0..n => sleep(Duration::from_millis(10))].await;
        }),
        "pingpong" => EventLoop::new().block_on(async {
            let (ping, pong) = channels();
            tasks![ping_task(ping, n), pong_task(pong)].await;
        }),
        "limit" => {
            let out = EventLoop::new().block_on(async {
                tasks![limit = 100; for i in 0..n => async move {
                    yield_now().await;
                    i
                }]
                .await
            });
            assert_eq!(out.len(), n);
        }
        // Tasks polled in place by their group, which waits for a yield of each.
        "scoped" => {
            let out = EventLoop::new().block_on(async {
                tasks![scoped; for i in 0..n => async move {
                    yield_now().await;
                    i
                }]
                .await
            });
            assert_eq!(out.len(), n);
        }
        // An accept loop's set: tasks spawned while it runs, outcomes taken as they finish,
        // at most 100 at once.
        "task_set" => EventLoop::new().block_on(async {
            let mut set = jobloop::TaskSet::new();
            let mut total = 0;
            for i in 0..n {
                while set.len() >= 100 {
                    total += set.next().await.expect("a task").expect("no panic");
                }
                set.spawn(async move {
                    yield_now().await;
                    i
                });
            }
            while let Some(outcome) = set.next().await {
                total += outcome.expect("no panic");
            }
            assert_eq!(total, n * (n - 1) / 2);
        }),
        // spawn_join's anchor in the suite, async-executor's `LocalExecutor` by hand: the same
        // on both sides of a before/after table, to set spawn_join's count beside it.
        "local_executor" => {
            let executor = async_executor::LocalExecutor::new();
            let out = async_io::block_on(executor.run(async {
                let tasks: Vec<_> = (0..n).map(|i| executor.spawn(async move { i })).collect();
                let mut out = Vec::with_capacity(n);
                for task in tasks {
                    out.push(task.await);
                }
                out
            }));
            assert_eq!(out.len(), n);
        }
        // `cargo bench` runs every bench target with `--bench`: nothing to count then.
        "--bench" => {}
        other => {
            eprintln!(
                "unknown scenario {other:?}: spawn_join, tasks_overhead, sleep_many, pingpong, \
                 limit, scoped, task_set, local_executor"
            );
            std::process::exit(2);
        }
    }
}
