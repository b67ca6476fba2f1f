//! jobloop's benchmarks, side by side with their anchors in one run: each scenario runs jobloop
//! and the hand-written equivalents on tokio, async-executor and futures, and prints the median
//! time, the ratio to tokio current-thread (or to the hand-written code), and memory per task.
//!
//! ```sh
//! cargo bench -p jobloop-benches --bench suite                        # the whole suite, as tables
//! cargo bench -p jobloop-benches --bench suite -- --quick             # smaller sizes, fewer rounds
//! cargo bench -p jobloop-benches --bench suite -- spawn_join pingpong # only the scenarios named
//! cargo bench -p jobloop-benches --bench suite -- --markdown out.md   # also as Markdown
//! ```
//!
//! A custom harness rather than divan: the scenarios are whole-program runs of up to a million
//! tasks that need memory per task (a counting allocator) and ratios between rows of one run,
//! which a micro-benchmark harness does not report.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use jobloop::runtime::{Smol, Tokio};
use jobloop::{sleep, tasks, yield_now, EventLoop, Runtime};

// The two tasks of pingpong, shared with benches/instructions/main.rs (this package's library).
use pingpong::{channels, ping_task, pong_task};

// The macros' expansion functions, compiled into this bench from their sources (a proc-macro
// crate cannot export them), through the crate's own list of its modules.
include!("../macros/src/modules.rs");

/// Counts the bytes live now and at the peak, to measure memory per task.
#[global_allocator]
static ALLOCATOR: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// One measured row: a name, the median time, and the peak memory above the start.
struct Row {
    name: String,
    median: Duration,
    peak_bytes: usize,
}

/// Runs `run` `reps` times; the median time and the largest peak of live memory above what was
/// live before each run.
fn measure(name: &str, reps: usize, mut run: impl FnMut()) -> Row {
    let mut times = Vec::with_capacity(reps);
    let mut peak_bytes = 0;
    for _ in 0..reps {
        let base = ALLOCATOR.current_usage();
        ALLOCATOR.reset_peak_usage();
        let start = Instant::now();
        run();
        times.push(start.elapsed());
        peak_bytes = peak_bytes.max(ALLOCATOR.peak_usage().saturating_sub(base));
    }
    times.sort();
    Row {
        name: name.to_string(),
        median: times[times.len() / 2],
        peak_bytes,
    }
}

/// A table of rows with their ratio to a reference row.
struct Table {
    title: String,
    reference: String,
    /// What a row's count divides by for "per item" figures.
    items: usize,
    /// Subtracted from times before the ratio (the seed's 2 s, the 10 ms of a sleep).
    baseline: Duration,
    rows: Vec<Row>,
}

impl Table {
    fn new(title: String, reference: &str, items: usize, baseline: Duration) -> Table {
        Table {
            title,
            reference: reference.to_string(),
            items,
            baseline,
            rows: Vec::new(),
        }
    }

    fn add(&mut self, row: Row) {
        println!(
            "  {:<44} {:>12.3?}",
            row.name,
            row.median.saturating_sub(self.baseline)
        );
        self.rows.push(row);
    }

    fn markdown(&self) -> String {
        let reference = self
            .rows
            .iter()
            .find(|row| row.name == self.reference)
            .map(|row| row.median.saturating_sub(self.baseline));
        let mut out = format!("### {}\n\n", self.title);
        let above = if self.baseline.is_zero() {
            String::from("median")
        } else {
            format!("median above {:?}", self.baseline)
        };
        let _ = writeln!(
            out,
            "| | {above} | per item | ratio to {} | memory per item |",
            self.reference
        );
        out.push_str("|---|---|---|---|---|\n");
        for row in &self.rows {
            let time = row.median.saturating_sub(self.baseline);
            let ratio = reference.map_or(String::from("–"), |reference| {
                format!(
                    "{:.2}",
                    time.as_secs_f64() / reference.as_secs_f64().max(1e-12)
                )
            });
            let _ = writeln!(
                out,
                "| {} | {:.3?} | {:.0} ns | {} | {} B |",
                row.name,
                time,
                time.as_secs_f64() * 1e9 / self.items as f64,
                ratio,
                row.peak_bytes / self.items.max(1),
            );
        }
        out.push('\n');
        out
    }
}

/// The sizes and repetitions of a run.
struct Config {
    quick: bool,
    reps: usize,
}

// ---------------------------------------------------------------------------------------------
// 1. spawn_join: N trivial tasks returning their index, joined in order.

fn spawn_join(config: &Config, n: usize) -> Table {
    let mut table = Table::new(
        format!("spawn_join: {n} trivial tasks, joined in order"),
        "tokio current-thread (hand-written)",
        n,
        Duration::ZERO,
    );
    let check = |sum: usize| assert_eq!(sum, n * (n - 1) / 2);
    table.add(measure(
        "jobloop tasks![] on EventLoop",
        config.reps,
        || {
            let out = EventLoop::new()
                .block_on(async { tasks![for i in 0..n => async move { i }].await });
            check(out.iter().sum());
        },
    ));
    // Each runtime is made once, outside the timed runs, as the hand-written rows do.
    let jobloop_tokio = Tokio::current_thread();
    table.add(measure(
        "jobloop tasks![] on Tokio::current_thread()",
        config.reps,
        || {
            let out =
                jobloop_tokio.block_on(async { tasks![for i in 0..n => async move { i }].await });
            check(out.iter().sum());
        },
    ));
    let jobloop_smol = Smol::new();
    table.add(measure("jobloop tasks![] on Smol", config.reps, || {
        let out = jobloop_smol.block_on(async { tasks![for i in 0..n => async move { i }].await });
        check(out.iter().sum());
    }));
    let tokio_ct = tokio_current_thread();
    table.add(measure(
        "tokio current-thread (hand-written)",
        config.reps,
        || {
            check(tokio_ct.block_on(tokio_spawn_join(n)));
        },
    ));
    let tokio_mt = tokio_multi_thread();
    table.add(measure(
        "tokio multi-thread(2) (hand-written)",
        config.reps,
        || {
            check(tokio_mt.block_on(tokio_spawn_join(n)));
        },
    ));
    table.add(measure(
        "async-executor LocalExecutor (hand-written)",
        config.reps,
        || {
            let executor = async_executor::LocalExecutor::new();
            let sum = async_io::block_on(executor.run(async {
                let tasks: Vec<_> = (0..n).map(|i| executor.spawn(async move { i })).collect();
                let mut sum = 0;
                for task in tasks {
                    sum += task.await;
                }
                sum
            }));
            check(sum);
        },
    ));
    table.add(measure(
        "futures LocalPool (hand-written)",
        config.reps,
        || {
            use futures_task::LocalSpawn as _;
            let mut pool = futures_executor::LocalPool::new();
            let spawner = pool.spawner();
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (future, handle) =
                        futures_util::future::FutureExt::remote_handle(async move { i });
                    let _ = spawner.spawn_local_obj(Box::pin(future).into());
                    handle
                })
                .collect();
            let sum = pool.run_until(async {
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await;
                }
                sum
            });
            check(sum);
        },
    ));
    table.add(measure(
        "FuturesUnordered, no task (floor)",
        config.reps,
        || {
            let sum = futures_executor::block_on(async {
                let mut all: FuturesUnordered<_> = (0..n).map(|i| async move { i }).collect();
                let mut sum = 0;
                while let Some(i) = all.next().await {
                    sum += i;
                }
                sum
            });
            check(sum);
        },
    ));
    table
}

fn tokio_current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn tokio_multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn tokio_spawn_join(n: usize) -> usize {
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
    let mut sum = 0;
    for handle in handles {
        sum += handle.await.expect("task");
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// 2. tasks_overhead: tasks![] against the same spawn-and-join written by hand, same runtime.

fn tasks_overhead(config: &Config, n: usize) -> Vec<Table> {
    // Small groups are repeated so that one measurement lasts long enough to time.
    let rounds = (200_000 / n).max(1);
    let mut event_loop = Table::new(
        format!("tasks_overhead on EventLoop: groups of {n} tasks, {rounds} groups"),
        "jobloop::spawn by hand",
        n * rounds,
        Duration::ZERO,
    );
    event_loop.add(measure("tasks![]", config.reps, || {
        EventLoop::new().block_on(async {
            for _ in 0..rounds {
                black_box(tasks![for i in 0..n => async move { i }].await);
            }
        });
    }));
    event_loop.add(measure("jobloop::spawn by hand", config.reps, || {
        EventLoop::new().block_on(async {
            for _ in 0..rounds {
                let handles: Vec<_> = (0..n).map(|i| jobloop::spawn(async move { i })).collect();
                let mut out = Vec::with_capacity(n);
                for handle in handles {
                    out.push(handle.await);
                }
                black_box(out);
            }
        });
    }));
    let mut tokio = Table::new(
        format!("tasks_overhead on tokio current-thread: groups of {n} tasks, {rounds} groups"),
        "tokio::spawn by hand",
        n * rounds,
        Duration::ZERO,
    );
    let jobloop_tokio = Tokio::current_thread();
    tokio.add(measure(
        "tasks![send] on Tokio::current_thread()",
        config.reps,
        || {
            jobloop_tokio.block_on(async {
                for _ in 0..rounds {
                    black_box(tasks![send; for i in 0..n => async move { i }].await);
                }
            });
        },
    ));
    let tokio_ct = tokio_current_thread();
    tokio.add(measure("tokio::spawn by hand", config.reps, || {
        tokio_ct.block_on(async {
            for _ in 0..rounds {
                let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
                let mut out = Vec::with_capacity(n);
                for handle in handles {
                    out.push(handle.await.expect("task"));
                }
                black_box(out);
            }
        });
    }));
    let mut smol = Table::new(
        format!("tasks_overhead on smol: groups of {n} tasks, {rounds} groups"),
        "LocalExecutor::spawn by hand",
        n * rounds,
        Duration::ZERO,
    );
    let jobloop_smol = Smol::new();
    smol.add(measure("tasks![] on Smol", config.reps, || {
        jobloop_smol.block_on(async {
            for _ in 0..rounds {
                black_box(tasks![for i in 0..n => async move { i }].await);
            }
        });
    }));
    let executor = async_executor::LocalExecutor::new();
    smol.add(measure("LocalExecutor::spawn by hand", config.reps, || {
        async_io::block_on(executor.run(async {
            for _ in 0..rounds {
                let tasks: Vec<_> = (0..n).map(|i| executor.spawn(async move { i })).collect();
                let mut out = Vec::with_capacity(n);
                for task in tasks {
                    out.push(task.await);
                }
                black_box(out);
            }
        }));
    }));
    vec![event_loop, tokio, smol]
}

// ---------------------------------------------------------------------------------------------
// 3. sleep_many: N tasks that each sleep 10 ms, in one group.

fn sleep_many(config: &Config, n: usize) -> Table {
    let ten_ms = Duration::from_millis(10);
    let mut table = Table::new(
        format!("sleep_many: {n} tasks sleeping 10 ms, in one group"),
        "tokio current-thread (hand-written)",
        n,
        ten_ms,
    );
    table.add(measure(
        "jobloop tasks![] on EventLoop",
        config.reps,
        || {
            EventLoop::new().block_on(async {
                tasks![for _ in 0..n => sleep(ten_ms)].await;
            });
        },
    ));
    let tokio_ct = tokio_current_thread();
    table.add(measure(
        "tokio current-thread (hand-written)",
        config.reps,
        || {
            tokio_ct.block_on(async {
                let handles: Vec<_> = (0..n)
                    .map(|_| tokio::spawn(tokio::time::sleep(ten_ms)))
                    .collect();
                for handle in handles {
                    handle.await.expect("task");
                }
            });
        },
    ));
    table.add(measure(
        "async-io timers on LocalExecutor (hand-written)",
        config.reps,
        || {
            let executor = async_executor::LocalExecutor::new();
            async_io::block_on(executor.run(async {
                let tasks: Vec<_> = (0..n)
                    .map(|_| {
                        executor.spawn(async move {
                            async_io::Timer::after(ten_ms).await;
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await;
                }
            }));
        },
    ));
    table
}

/// How late a single 10 ms sleep fires on an idle loop.
fn sleep_precision(config: &Config) -> Table {
    let ten_ms = Duration::from_millis(10);
    let mut table = Table::new(
        String::from("sleep precision: one 10 ms sleep on an idle loop"),
        "tokio current-thread (hand-written)",
        1,
        ten_ms,
    );
    let reps = config.reps * 4;
    table.add(measure("jobloop::sleep on EventLoop", reps, || {
        EventLoop::new().block_on(sleep(ten_ms));
    }));
    let tokio_ct = tokio_current_thread();
    table.add(measure("tokio current-thread (hand-written)", reps, || {
        tokio_ct.block_on(async { tokio::time::sleep(ten_ms).await });
    }));
    table.add(measure("async-io Timer (hand-written)", reps, || {
        async_io::block_on(async_io::Timer::after(ten_ms));
    }));
    table
}

// ---------------------------------------------------------------------------------------------
// 4. limit: N items, at most 100 at once, outputs in order.

fn limit(config: &Config, n: usize) -> Table {
    let mut table = Table::new(
        format!("limit: {n} items, at most 100 at once"),
        "futures buffered(100), no task",
        n,
        Duration::ZERO,
    );
    let check = |out: &[usize]| assert_eq!(out.len(), n);
    table.add(measure(
        "jobloop tasks![limit = 100] on EventLoop",
        config.reps,
        || {
            let out = EventLoop::new().block_on(async {
                tasks![limit = 100; for i in 0..n => async move {
                    yield_now().await;
                    i
                }]
                .await
            });
            check(&out);
        },
    ));
    table.add(measure(
        "futures buffered(100), no task",
        config.reps,
        || {
            let out: Vec<usize> = futures_executor::block_on(
                futures_util::stream::iter(0..n)
                    .map(|i| async move {
                        yield_now().await;
                        i
                    })
                    .buffered(100)
                    .collect(),
            );
            check(&out);
        },
    ));
    let tokio_ct = tokio_current_thread();
    table.add(measure(
        "tokio Semaphore(100) + spawn, current-thread",
        config.reps,
        || {
            let out = tokio_ct.block_on(async {
                let permits = Arc::new(tokio::sync::Semaphore::new(100));
                let mut handles = Vec::with_capacity(n);
                for i in 0..n {
                    let permit = permits.clone().acquire_owned().await.expect("semaphore");
                    handles.push(tokio::spawn(async move {
                        tokio::task::yield_now().await;
                        drop(permit);
                        i
                    }));
                }
                let mut out = Vec::with_capacity(n);
                for handle in handles {
                    out.push(handle.await.expect("task"));
                }
                out
            });
            check(&out);
        },
    ));
    table
}

/// 4b. The uneven-latency case of issue 12: 50 requests, 8 at a time, one in eight taking
/// 400 ms and the others 20 ms (the slot schedule of a capacity limit ends at 620 ms; waiting
/// for the oldest, as `buffered` does, takes far longer).
fn uneven_latency(config: &Config) -> Table {
    let scale = if config.quick { 10 } else { 1 };
    let latency = move |i: u64| Duration::from_millis(if i % 8 == 0 { 400 } else { 20 } / scale);
    let mut table = Table::new(
        format!(
            "uneven latency: 50 requests, 8 at a time, 1 in 8 slow ({} ms / {} ms)",
            400 / scale,
            20 / scale
        ),
        "futures buffer_unordered(8) on EventLoop",
        50,
        Duration::ZERO,
    );
    let reps = config.reps.min(3);
    table.add(measure(
        "jobloop tasks![limit = 8] on EventLoop",
        reps,
        || {
            let out = EventLoop::new().block_on(async {
                tasks![limit = 8; for i in 0..50u64 => async move {
                    sleep(latency(i)).await;
                    i
                }]
                .await
            });
            assert_eq!(out.len(), 50);
        },
    ));
    table.add(measure(
        "futures buffer_unordered(8) on EventLoop",
        reps,
        || {
            let out: Vec<u64> = EventLoop::new().block_on(
                futures_util::stream::iter(0..50u64)
                    .map(|i| async move {
                        sleep(latency(i)).await;
                        i
                    })
                    .buffer_unordered(8)
                    .collect(),
            );
            assert_eq!(out.len(), 50);
        },
    ));
    table.add(measure(
        "futures buffered(8) on EventLoop (waits for the oldest)",
        reps,
        || {
            let out: Vec<u64> = EventLoop::new().block_on(
                futures_util::stream::iter(0..50u64)
                    .map(|i| async move {
                        sleep(latency(i)).await;
                        i
                    })
                    .buffered(8)
                    .collect(),
            );
            assert_eq!(out.len(), 50);
        },
    ));
    let tokio_ct = tokio_current_thread();
    table.add(measure(
        "tokio Semaphore(8) + spawn, current-thread",
        reps,
        || {
            let out = tokio_ct.block_on(async {
                let permits = Arc::new(tokio::sync::Semaphore::new(8));
                let mut handles = Vec::with_capacity(50);
                for i in 0..50u64 {
                    let permit = permits.clone().acquire_owned().await.expect("semaphore");
                    handles.push(tokio::spawn(async move {
                        tokio::time::sleep(latency(i)).await;
                        drop(permit);
                        i
                    }));
                }
                let mut out = Vec::with_capacity(50);
                for handle in handles {
                    out.push(handle.await.expect("task"));
                }
                out
            });
            assert_eq!(out.len(), 50);
        },
    ));
    table
}

/// 4c. Outcomes as they complete: N tasks that each yield once, taken in completion order.
fn stream(config: &Config, n: usize) -> Table {
    let mut table = Table::new(
        format!("stream: {n} tasks that yield once, taken as they complete"),
        "futures FuturesUnordered on EventLoop, no task",
        n,
        Duration::ZERO,
    );
    let check = |count: usize| assert_eq!(count, n);
    table.add(measure(
        "jobloop tasks![stream] on EventLoop",
        config.reps,
        || {
            let count = EventLoop::new().block_on(async {
                let mut done = tasks![stream; for i in 0..n => async move {
                    yield_now().await;
                    i
                }];
                let mut count = 0;
                while let Some((_, i)) = done.next().await {
                    count += black_box(i) - i + 1;
                }
                count
            });
            check(count);
        },
    ));
    table.add(measure(
        "jobloop tasks![stream, scoped] on EventLoop",
        config.reps,
        || {
            let count = EventLoop::new().block_on(async {
                let mut done = tasks![stream, scoped; for i in 0..n => async move {
                    yield_now().await;
                    i
                }];
                let mut count = 0;
                while let Some((_, i)) = done.next().await {
                    count += black_box(i) - i + 1;
                }
                count
            });
            check(count);
        },
    ));
    table.add(measure("jobloop TaskSet on EventLoop", config.reps, || {
        let count = EventLoop::new().block_on(async {
            let mut set = jobloop::TaskSet::new();
            for i in 0..n {
                set.spawn(async move {
                    yield_now().await;
                    i
                });
            }
            let mut count = 0;
            while let Some(outcome) = set.next().await {
                let i = outcome.expect("no panic");
                count += black_box(i) - i + 1;
            }
            count
        });
        check(count);
    }));
    table.add(measure(
        "futures FuturesUnordered on EventLoop, no task",
        config.reps,
        || {
            let count = EventLoop::new().block_on(async {
                let mut done: FuturesUnordered<_> = (0..n)
                    .map(|i| async move {
                        yield_now().await;
                        i
                    })
                    .collect();
                let mut count = 0;
                while let Some(i) = done.next().await {
                    count += black_box(i) - i + 1;
                }
                count
            });
            check(count);
        },
    ));
    let tokio_ct = tokio_current_thread();
    table.add(measure(
        "tokio JoinSet, current-thread",
        config.reps,
        || {
            let count = tokio_ct.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..n {
                    set.spawn(async move {
                        tokio::task::yield_now().await;
                        i
                    });
                }
                let mut count = 0;
                while let Some(outcome) = set.join_next().await {
                    let i = outcome.expect("no panic");
                    count += black_box(i) - i + 1;
                }
                count
            });
            check(count);
        },
    ));
    table
}

/// 4d. Tasks polled in place: N trivial tasks (`async move { i }`), outputs in order.
fn scoped(config: &Config, n: usize) -> Table {
    let mut table = Table::new(
        format!("scoped: {n} trivial tasks polled in place"),
        "futures FuturesUnordered on EventLoop",
        n,
        Duration::ZERO,
    );
    table.add(measure(
        "jobloop tasks![scoped] on EventLoop",
        config.reps,
        || {
            let out = EventLoop::new()
                .block_on(async { tasks![scoped; for i in 0..n => async move { i }].await });
            assert_eq!(out.len(), n);
        },
    ));
    table.add(measure(
        "futures FuturesUnordered on EventLoop",
        config.reps,
        || {
            let out: Vec<usize> = EventLoop::new().block_on(async {
                (0..n)
                    .map(|i| async move { i })
                    .collect::<FuturesUnordered<_>>()
                    .collect()
                    .await
            });
            assert_eq!(out.len(), n);
        },
    ));
    table.add(measure(
        "futures join_all on EventLoop",
        config.reps,
        || {
            let out: Vec<usize> = EventLoop::new().block_on(futures_util::future::join_all(
                (0..n).map(|i| async move { i }),
            ));
            assert_eq!(out.len(), n);
        },
    ));
    table
}

// ---------------------------------------------------------------------------------------------
// 5. pingpong: two tasks pass a message back and forth over channels.

fn pingpong(config: &Config, n: usize) -> Table {
    let mut table = Table::new(
        format!("pingpong: {n} round trips between two tasks"),
        "tokio current-thread (hand-written)",
        n,
        Duration::ZERO,
    );
    table.add(measure(
        "jobloop tasks![] on EventLoop",
        config.reps,
        || {
            EventLoop::new().block_on(async {
                let (ping, pong) = channels();
                tasks![ping_task(ping, n), pong_task(pong)].await;
            });
        },
    ));
    let tokio_ct = tokio_current_thread();
    table.add(measure(
        "tokio current-thread (hand-written)",
        config.reps,
        || {
            tokio_ct.block_on(tokio_pingpong(n));
        },
    ));
    let tokio_mt = tokio_multi_thread();
    table.add(measure(
        "tokio multi-thread(2) (hand-written)",
        config.reps,
        || {
            tokio_mt.block_on(tokio_pingpong(n));
        },
    ));
    table.add(measure(
        "async-executor LocalExecutor (hand-written)",
        config.reps,
        || {
            let executor = async_executor::LocalExecutor::new();
            async_io::block_on(executor.run(async {
                let (ping, pong) = channels();
                let a = executor.spawn(ping_task(ping, n));
                let b = executor.spawn(pong_task(pong));
                a.await;
                b.await;
            }));
        },
    ));
    table
}

async fn tokio_pingpong(n: usize) {
    let (ping, pong) = channels();
    let a = tokio::spawn(ping_task(ping, n));
    let b = tokio::spawn(pong_task(pong));
    a.await.expect("ping");
    b.await.expect("pong");
}

// ---------------------------------------------------------------------------------------------
// 6. seed: the three 2 s jobs.

fn seed(config: &Config) -> Table {
    let two_s = Duration::from_secs(2);
    let mut table = Table::new(
        String::from("seed: three jobs of 2 s, waited together"),
        "tokio current-thread (hand-written)",
        3,
        two_s,
    );
    let reps = config.reps.min(3);
    table.add(measure("jobloop tasks![] on EventLoop", reps, || {
        EventLoop::new().block_on(async {
            tasks![for _ in 0..3 => sleep(two_s)].await;
        });
    }));
    table.add(measure(
        "jobloop tasks![] on Tokio::current_thread()",
        reps,
        || {
            Tokio::current_thread().run(async {
                tasks![for _ in 0..3 => sleep(two_s)].await;
            });
        },
    ));
    let tokio_ct = tokio_current_thread();
    table.add(measure("tokio current-thread (hand-written)", reps, || {
        tokio_ct.block_on(async {
            let handles: Vec<_> = (0..3)
                .map(|_| tokio::spawn(tokio::time::sleep(two_s)))
                .collect();
            for handle in handles {
                handle.await.expect("task");
            }
        });
    }));
    table.add(measure(
        "async-io timers on LocalExecutor (hand-written)",
        reps,
        || {
            let executor = async_executor::LocalExecutor::new();
            async_io::block_on(executor.run(async {
                let tasks: Vec<_> = (0..3)
                    .map(|_| executor.spawn(async_io::Timer::after(two_s)))
                    .collect();
                for task in tasks {
                    task.await;
                }
            }));
        },
    ));
    table
}

// ---------------------------------------------------------------------------------------------
// 7. expansion: the macros on large inputs (only the signature of `main` is parsed).

fn expansion(config: &Config) -> Table {
    use proc_macro2::TokenStream;
    use std::str::FromStr;

    let mut main = String::from("async fn main() {\n");
    for i in 0..2000 {
        let _ = writeln!(
            main,
            "    let value_{i} = compute({i}, \"text\").await + {i};"
        );
    }
    main.push('}');
    let main = TokenStream::from_str(&main).expect("valid tokens");
    let entries: Vec<String> = (0..1000).map(|i| format!("job({i})")).collect();
    let list = TokenStream::from_str(&entries.join(", ")).expect("valid tokens");
    let mut table = Table::new(
        String::from("expansion: one macro invocation"),
        "#[job_main] on a 2 000-line main",
        1,
        Duration::ZERO,
    );
    let reps = if config.quick { 21 } else { 201 };
    table.add(measure("#[job_main] on a 2 000-line main", reps, || {
        black_box(entry::expand(
            entry::Entry::Main,
            TokenStream::new(),
            main.clone(),
        ));
    }));
    table.add(measure("tasks![] with 1 000 entries", reps, || {
        black_box(tasks::expand(list.clone()));
    }));
    table
}

// ---------------------------------------------------------------------------------------------
// debug_cost: spawn_join and pingpong with debug mode off, then on (it cannot be turned off
// again, so this runs last). With JOBLOOP_TRACE set in the environment the "off" rows are
// traced too: compare.sh runs without it.

fn debug_cost(config: &Config, n: usize) -> Vec<Table> {
    // Built with `--features tracing`, every task also gets a span (no subscriber installed).
    let tracing = if cfg!(feature = "tracing") {
        "feature `tracing` on"
    } else {
        "feature `tracing` off"
    };
    let mut spawn = Table::new(
        format!("debug mode: spawn_join, {n} trivial tasks ({tracing})"),
        "debug off",
        n,
        Duration::ZERO,
    );
    let mut ping = Table::new(
        format!("debug mode: pingpong, {n} round trips ({tracing})"),
        "debug off",
        n,
        Duration::ZERO,
    );
    let spawn_join = || {
        let out =
            EventLoop::new().block_on(async { tasks![for i in 0..n => async move { i }].await });
        assert_eq!(out.iter().sum::<usize>(), n * (n - 1) / 2);
    };
    let pingpong = || {
        EventLoop::new().block_on(async {
            let (ping, pong) = channels();
            tasks![ping_task(ping, n), pong_task(pong)].await;
        });
    };
    assert!(
        !jobloop::debug::is_enabled(),
        "debug_cost needs JOBLOOP_DEBUG unset"
    );
    spawn.add(measure("debug off", config.reps, spawn_join));
    ping.add(measure("debug off", config.reps, pingpong));
    jobloop::debug::enable();
    spawn.add(measure(
        "debug on (JOBLOOP_DEBUG=1)",
        config.reps,
        spawn_join,
    ));
    ping.add(measure("debug on (JOBLOOP_DEBUG=1)", config.reps, pingpong));
    vec![spawn, ping]
}

// ---------------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let markdown = args
        .iter()
        .position(|arg| arg == "--markdown")
        .and_then(|i| args.get(i + 1).cloned());
    // cargo passes `--bench`; names select scenarios.
    let selected: Vec<&String> = args
        .iter()
        .filter(|arg| !arg.starts_with("--") && Some(*arg) != markdown.as_ref())
        .collect();
    let wanted =
        |name: &str| selected.is_empty() || selected.iter().any(|s| name.contains(s.as_str()));
    let config = Config {
        quick,
        reps: if quick { 3 } else { 5 },
    };
    let big = if quick { 100_000 } else { 1_000_000 };
    let mut tables = Vec::new();
    let mut run = |name: &str, scenario: &dyn Fn() -> Vec<Table>| {
        if wanted(name) {
            println!("{name}");
            tables.extend(scenario());
        }
    };
    run("spawn_join", &|| vec![spawn_join(&config, 100_000)]);
    run("spawn_join", &|| vec![spawn_join(&config, big)]);
    run("tasks_overhead", &|| tasks_overhead(&config, 10));
    run("tasks_overhead", &|| tasks_overhead(&config, 100_000));
    run("sleep_many", &|| vec![sleep_many(&config, 10_000)]);
    run("sleep_many", &|| vec![sleep_many(&config, 100_000)]);
    run("sleep_many", &|| vec![sleep_many(&config, big)]);
    run("sleep_precision", &|| vec![sleep_precision(&config)]);
    run("limit", &|| vec![limit(&config, big)]);
    run("uneven_latency", &|| vec![uneven_latency(&config)]);
    run("stream", &|| vec![stream(&config, 100_000)]);
    run("scoped", &|| vec![scoped(&config, big)]);
    run("pingpong", &|| vec![pingpong(&config, big)]);
    run("seed", &|| vec![seed(&config)]);
    run("expansion", &|| vec![expansion(&config)]);
    // Last: it turns debug mode on for the rest of the process.
    run("debug_cost", &|| debug_cost(&config, 100_000));
    let text: String = tables.iter().map(Table::markdown).collect();
    println!("\n{text}");
    if let Some(path) = markdown {
        std::fs::write(&path, text).expect("write the Markdown tables");
    }
}
