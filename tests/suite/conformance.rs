//! One set of behaviour tests, run against every runtime jobloop supports: the embedded event
//! loop, tokio current-thread and multi-thread, smol, and the custom `LocalPool` runtime of
//! `examples/custom_runtime.rs`. Adding a runtime is one `conformance!` line at the bottom.

use std::future::Future;
use std::panic::catch_unwind;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{eventually, panic_message, within, CatchPanic, DropCounter, DropToken};
use jobloop::{sleep, spawn, spawn_send, tasks, yield_now, Runtime};

use crate::custom_runtime;

/// An event log that `Send` tasks can share.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, event: String) {
        self.0.lock().unwrap().push(event);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The cases, each an async fn run on the runtime under test.
mod cases {
    use super::*;

    async fn job(log: Log, id: u64, wait_ms: u64) -> u64 {
        log.push(format!("start {id}"));
        sleep(Duration::from_millis(wait_ms)).await;
        log.push(format!("end {id}"));
        id * 10
    }

    pub async fn outputs_come_back_in_written_order() {
        let log = Log::default();
        let out = tasks![for id in 0..4 => job(log.clone(), id, 40 - 10 * id)].await;
        assert_eq!(out, [0, 10, 20, 30]);
        let out = tasks![send; for id in 0..4 => job(log.clone(), id, 40 - 10 * id)].await;
        assert_eq!(out, [0, 10, 20, 30]);
        let (a, b, c) = tasks![
            job(log.clone(), 1, 20),
            async { "hi" },
            job(log.clone(), 2, 1)
        ]
        .await;
        assert_eq!((a, b, c), (10, "hi", 20));
    }

    pub async fn jobs_start_in_order_then_end_in_order() {
        let log = Log::default();
        tasks![for id in 0..3 => job(log.clone(), id, 30)].await;
        assert_eq!(
            log.take(),
            ["start 0", "start 1", "start 2", "end 0", "end 1", "end 2"]
        );
    }

    pub async fn three_jobs_run_concurrently() {
        let start = Instant::now();
        tasks![send; for id in 0..3 => job(Log::default(), id, 200)].await;
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(450), "{elapsed:?}");
    }

    pub async fn a_panic_resumes_at_the_await_and_cancels_the_siblings() {
        let counter = DropCounter::default();
        let group = tasks![send; for id in 0..4 => {
            let token = counter.token();
            async move {
                let _token = token;
                if id == 3 {
                    sleep(Duration::from_millis(5)).await;
                    panic!("job {id} failed");
                }
                sleep(Duration::from_secs(30)).await;
            }
        }];
        let start = Instant::now();
        let outcome = spawn(async move { CatchPanic::new(group).await }).await;
        let message = panic_message(outcome.expect_err("the group panicked"));
        assert_eq!(message, "job 3 failed");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "not held back by the slow tasks"
        );
        assert!(
            eventually(|| counter.dropped() == 4).await,
            "{}",
            counter.dropped()
        );

        // The list form, with tasks that stay on this thread.
        let outcome =
            CatchPanic::new(async { tasks![async { 1 }, async { panic!("second failed") }].await })
                .await;
        assert_eq!(
            panic_message(outcome.expect_err("panicked")),
            "second failed"
        );
    }

    pub async fn a_panicking_group_does_not_take_the_runtime_down() {
        let failing = spawn(async { tasks![async { panic!("this group fails") }].await });
        let healthy = tasks![for id in 0..3 => async move {
            sleep(Duration::from_millis(10)).await;
            id
        }];
        assert!(CatchPanic::new(failing).await.is_err());
        assert_eq!(healthy.await, [0, 1, 2]);
    }

    pub async fn dropping_a_group_cancels_its_tasks() {
        let counter = DropCounter::default();
        let finished = Arc::new(AtomicUsize::new(0));
        let group = tasks![send; for _ in 0..10 => {
            let token = counter.token();
            let finished = finished.clone();
            async move {
                let _token = token;
                sleep(Duration::from_millis(100)).await;
                finished.fetch_add(1, Ordering::SeqCst);
            }
        }];
        sleep(Duration::from_millis(10)).await; // the tasks start and go to sleep
        drop(group);
        assert!(
            eventually(|| counter.dropped() == 10).await,
            "{}",
            counter.dropped()
        );
        sleep(Duration::from_millis(150)).await;
        assert_eq!(finished.load(Ordering::SeqCst), 0);

        let list_counter = DropCounter::default();
        let (a, b) = (list_counter.token(), list_counter.token());
        let list = tasks![
            async move {
                let _a = a;
                sleep(Duration::from_secs(10)).await;
            },
            async move {
                let _b = b;
                sleep(Duration::from_secs(10)).await;
            },
        ];
        yield_now().await;
        drop(list);
        assert!(eventually(|| list_counter.dropped() == 2).await);
    }

    /// Boxed with `Send` written out: the compiler cannot infer `Send` for a recursive async fn.
    fn fan_out(depth: u32) -> std::pin::Pin<Box<dyn Future<Output = u32> + Send>> {
        Box::pin(async move {
            if depth == 0 {
                sleep(Duration::from_millis(1)).await;
                return 1;
            }
            let leaves: Vec<u32> = tasks![send; for _ in 0..3 => fan_out(depth - 1)].await;
            leaves.iter().sum()
        })
    }

    pub async fn nested_groups_work_to_any_depth() {
        assert_eq!(fan_out(4).await, 81);
        let (nested,) = tasks![async { tasks![for i in 0..3 => async move { i }].await }].await;
        assert_eq!(nested, [0, 1, 2]);
    }

    pub async fn ten_thousand_tasks_in_one_group() {
        let out = tasks![send; for i in 0..10_000u64 => async move {
            yield_now().await;
            i * 2
        }]
        .await;
        assert_eq!(out.len(), 10_000);
        assert!(out.iter().enumerate().all(|(i, &v)| v == i as u64 * 2));
    }

    pub async fn sleep_fires_neither_early_nor_far_too_late() {
        for ms in [1u64, 20, 50] {
            let start = Instant::now();
            sleep(Duration::from_millis(ms)).await;
            let elapsed = start.elapsed();
            assert!(
                elapsed >= Duration::from_millis(ms),
                "{elapsed:?} < {ms} ms"
            );
            // Generous: a loaded 2-core CI machine, and tokio rounds up to whole milliseconds.
            assert!(
                elapsed < Duration::from_millis(ms + 200),
                "{elapsed:?} for {ms} ms"
            );
        }
    }

    pub async fn a_spawned_task_runs_unawaited_and_is_awaited_later() {
        let ran = Arc::new(AtomicUsize::new(0));
        let flag = ran.clone();
        let handle = spawn(async move {
            flag.store(1, Ordering::SeqCst);
            sleep(Duration::from_millis(10)).await;
            7
        });
        let other = spawn_send(async { 8 });
        assert!(eventually(|| ran.load(Ordering::SeqCst) == 1).await);
        sleep(Duration::from_millis(30)).await;
        assert_eq!(handle.await + other.await, 15);
    }

    /// Yields until `flag` is set; how many times it yielded, or `None` if it gave up first.
    async fn spin_until(flag: Arc<AtomicUsize>) -> Option<u32> {
        for round in 0..100_000 {
            if flag.load(Ordering::SeqCst) == 1 {
                return Some(round);
            }
            yield_now().await;
        }
        None
    }

    /// Tasks that keep their group busy (each yields and is ready again at once) do not starve
    /// the runtime's other tasks: off the loop, a group's tasks share one task of the runtime
    /// (`task/runner.rs`), which must give the others their turn.
    pub async fn a_busy_group_lets_the_other_tasks_run() {
        for send in [false, true] {
            let flag = Arc::new(AtomicUsize::new(0));
            let setter = {
                let flag = flag.clone();
                spawn_send(async move {
                    yield_now().await;
                    flag.store(1, Ordering::SeqCst);
                })
            };
            let seen = if send {
                tasks![send; for _ in 0..4 => spin_until(flag.clone())].await
            } else {
                tasks![for _ in 0..4 => spin_until(flag.clone())].await
            };
            setter.await;
            assert!(
                seen.iter().all(Option::is_some),
                "a busy group (send: {send}) kept the task that sets the flag from running: {seen:?}"
            );
        }
    }

    /// A task whose sleeps are always due (`sleep(ZERO)` in a loop, a deadline long past) still
    /// yields now and then: a 10 ms ticker on its thread keeps at least 80 % of its ticks.
    pub async fn a_task_whose_sleeps_are_always_due_lets_a_ticker_tick() {
        let ticker = common::Ticker::start();
        let busy = spawn(async {
            let start = Instant::now();
            while start.elapsed() < Duration::from_millis(300) {
                sleep(Duration::ZERO).await;
            }
        });
        busy.await;
        let kept = ticker.kept_percent();
        assert!(kept >= 80, "the ticker kept {kept} % of its ticks");
    }
}

/// The modes and options of `tasks![]`, with cases ported from CPython's `test_taskgroups.py`
/// and `test_asyncio/test_waitfor.py` where they apply. Cleanup is proved with drop counters.
mod mode_cases {
    use super::*;
    use jobloop::{timeout, Elapsed};

    /// A job that holds a drop token, sleeps, then returns `Ok(id)` or, if `fail`, `Err`.
    async fn job(token: DropToken, id: u32, wait_ms: u64, fail: bool) -> Result<u32, String> {
        let _token = token;
        sleep(Duration::from_millis(wait_ms)).await;
        if fail {
            Err(format!("job {id} failed"))
        } else {
            Ok(id)
        }
    }

    #[derive(Debug, PartialEq)]
    struct OtherError(u32);

    impl From<OtherError> for String {
        fn from(error: OtherError) -> String {
            format!("other error {}", error.0)
        }
    }

    pub async fn try_gives_every_ok_value_in_order() {
        let counter = DropCounter::default();
        let out =
            tasks![try; for id in 0..5 => job(counter.token(), id, 25 - 5 * u64::from(id), false)]
                .await;
        assert_eq!(out, Ok(vec![0, 1, 2, 3, 4]));
        // Different error types convert into the first task's, as `?` does.
        let out: Result<(u32, &str), String> = tasks![try;
            job(counter.token(), 7, 1, false),
            async { Ok::<_, OtherError>("fine") },
        ]
        .await;
        assert_eq!(out, Ok((7, "fine")));
        let out: Result<(u32, ()), String> = tasks![try;
            job(counter.token(), 8, 50, false),
            async { Err::<(), _>(OtherError(3)) },
        ]
        .await;
        assert_eq!(out, Err("other error 3".to_string()));
    }

    /// test_taskgroups: one failing child cancels the others.
    pub async fn try_first_error_cancels_the_others() {
        let counter = DropCounter::default();
        let start = Instant::now();
        let out = tasks![try, send; for id in 0..6 => job(counter.token(), id, if id == 4 { 10 } else { 30_000 }, id == 4)]
            .await;
        assert_eq!(out, Err("job 4 failed".to_string()));
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the error was seen at once"
        );
        assert!(
            eventually(|| counter.dropped() == 6).await,
            "{}",
            counter.dropped()
        );
    }

    /// test_taskgroups: an error in a nested group reaches the outer group, which cancels its
    /// other children.
    pub async fn try_error_in_a_nested_group_cancels_the_outer_group() {
        let counter = DropCounter::default();
        let inner_counter = counter.clone();
        let out = tasks![try, send;
            job(counter.token(), 0, 30_000, false),
            async move {
                let inner = tasks![try, send; for id in 10..13 => job(inner_counter.token(), id, if id == 12 { 5 } else { 30_000 }, id == 12)];
                inner.await.map(|values| values.len() as u32)
            },
        ]
        .await;
        assert_eq!(out, Err("job 12 failed".to_string()));
        assert!(
            eventually(|| counter.dropped() == 4).await,
            "{}",
            counter.dropped()
        );
    }

    /// test_taskgroups: an outer group dropped while inner groups run cancels them all.
    pub async fn dropping_an_outer_group_cancels_the_inner_groups() {
        let counter = DropCounter::default();
        let outer = tasks![send; for _ in 0..3 => {
            let counter = counter.clone();
            async move {
                tasks![send; for id in 0..3 => job(counter.token(), id, 30_000, false)].await
            }
        }];
        sleep(Duration::from_millis(20)).await; // the inner groups start
        drop(outer);
        assert!(
            eventually(|| counter.dropped() == 9).await,
            "{}",
            counter.dropped()
        );
    }

    /// One rule for a timeout of zero, on every runtime and for both timeouts (`timeout` and a
    /// group's): the work is polled once before the deadline is looked at, so what completes
    /// in that poll, without waiting, finishes (asyncio's `timeout(0)` does the same); the
    /// tasks of a spawned group run after that poll, so they get no time.
    pub async fn a_zero_timeout_follows_one_rule_on_every_runtime() {
        use jobloop::TaskErrorKind;
        assert_eq!(timeout(Duration::ZERO, async { 3 }).await, Ok(3));
        // Scoped tasks are polled in the group's first poll.
        assert_eq!(
            tasks![scoped, timeout = Duration::ZERO; async { 1 }].await,
            Ok((1,))
        );
        let settled = tasks![scoped, settle, timeout = Duration::ZERO; async { 1 }].await;
        assert_eq!(settled.0.as_ref().ok(), Some(&1));
        let mut stream = tasks![scoped, stream, settle, timeout = Duration::ZERO; for i in 0..2 => async move { i }];
        assert_eq!(
            stream.next().await.map(|(i, r)| (i, r.ok())),
            Some((0, Some(0)))
        );
        assert_eq!(
            stream.next().await.map(|(i, r)| (i, r.ok())),
            Some((1, Some(1)))
        );
        assert!(stream.next().await.is_none());
        // Spawned tasks (on this thread: a `send` task could finish on another thread first).
        assert!(tasks![timeout = Duration::ZERO; async { 1 }].await.is_err());
        let settled = tasks![settle, timeout = Duration::ZERO; async { 1 }].await;
        assert_eq!(
            settled.0.as_ref().map_err(jobloop::TaskError::kind),
            Err(&TaskErrorKind::TimedOut)
        );
        // A `try` stream says that its timeout cut the tasks off: its last item.
        let mut stream = tasks![stream, try, timeout = Duration::ZERO; for i in 0..2 => async move {
            Ok::<u32, Elapsed>(i)
        }];
        assert!(matches!(stream.next().await, Some(Err(Elapsed { .. }))));
        assert!(stream.next().await.is_none());
        assert!(stream.timed_out());
    }

    /// test_waitfor: a timeout while children hold resources releases them all.
    pub async fn a_timeout_cancels_the_children_and_releases_what_they_hold() {
        let counter = DropCounter::default();
        let out = tasks![timeout = Duration::from_millis(30); for id in 0..4 => job(counter.token(), id, 30_000, false)]
            .await;
        assert_eq!(out, Err(Elapsed::default()));
        assert!(
            eventually(|| counter.dropped() == 4).await,
            "{}",
            counter.dropped()
        );
        // In time: the outputs, wrapped in `Ok`.
        let out = tasks![timeout = Duration::from_secs(20); job(counter.token(), 1, 5, false), async { 2 }]
            .await;
        assert_eq!(out, Ok((Ok(1), 2)));
        // One future alone: `jobloop::timeout`.
        assert_eq!(
            timeout(Duration::from_millis(5), sleep(Duration::from_secs(30))).await,
            Err(Elapsed::default())
        );
    }

    /// Settle loses nothing: each outcome, a panic told from a timeout, with the task's name; a
    /// cancelled child is an outcome, not a failure of the group.
    pub async fn settle_reports_every_outcome() {
        let counter = DropCounter::default();
        let (a, b, c) = tasks![settle;
            job(counter.token(), 1, 5, false),
            async { panic!("b failed") },
            async { 3 },
        ]
        .await;
        assert_eq!(a, Ok(Ok(1)));
        let b: Result<(), jobloop::TaskError> = b;
        let error = b.unwrap_err();
        assert!(error.is_panic());
        assert_eq!(error.panic_message(), Some("b failed"));
        assert_eq!(c, Ok(3));

        let outcomes = tasks![settle, timeout = Duration::from_millis(40); for id in 0..4 => {
            let token = counter.token();
            async move {
                let _token = token;
                if id == 1 {
                    panic!("job 1 failed");
                }
                sleep(Duration::from_millis(if id == 3 { 30_000 } else { 5 })).await;
                id
            }
        }]
        .await;
        assert_eq!(outcomes.len(), 4);
        assert_eq!(outcomes[0], Ok(0));
        let panicked = outcomes[1].clone().unwrap_err();
        assert!(panicked.is_panic());
        // Named after the `for` form's expression, with the item's index.
        assert!(panicked.task().ends_with("}[1]"), "{}", panicked.task());
        assert!(
            panicked.task().contains(r#"panic!("job 1 failed");"#),
            "{}",
            panicked.task()
        );
        assert_eq!(outcomes[2], Ok(2));
        let timed_out = outcomes[3].clone().unwrap_err();
        assert!(timed_out.is_timeout(), "{timed_out}");
        assert!(
            eventually(|| counter.dropped() == 5).await,
            "{}",
            counter.dropped()
        );
    }

    /// Names: the expression as written, with the item's index in the `for` form.
    pub async fn task_errors_name_the_task() {
        async fn failing(id: u32) -> u32 {
            if id == 2 {
                panic!("no {id}");
            }
            id
        }
        let outcomes = tasks![settle; for id in 0..3 => failing(id)].await;
        let error = outcomes[2].clone().unwrap_err();
        assert_eq!(error.task(), "failing(id)[2]");
        assert_eq!(error.to_string(), "task `failing(id)[2]` panicked: no 2");
        let (_, second) = tasks![settle; failing(0), failing(2)].await;
        assert_eq!(second.unwrap_err().task(), "failing(2)");
    }

    /// The first to finish wins; the others are cancelled.
    pub async fn race_gives_the_first_to_finish_and_cancels_the_rest() {
        let counter = DropCounter::default();
        let (index, value) = tasks![race, send; for id in 0..5 => job(counter.token(), id, if id == 3 { 5 } else { 30_000 }, false)]
            .await;
        assert_eq!((index, value), (3, Ok(3)));
        assert!(
            eventually(|| counter.dropped() == 5).await,
            "{}",
            counter.dropped()
        );
        let (index, value) =
            tasks![race; async { sleep(Duration::from_secs(30)).await; "slow" }, async { "fast" }]
                .await;
        assert_eq!((index, value), (1, "fast"));
    }

    /// A task that sleeps `wait_ms`, holding a drop token; `io::Result`, whose error converts
    /// from `Elapsed`.
    async fn io_job(token: DropToken, id: u32, wait_ms: u64) -> std::io::Result<u32> {
        let _token = token;
        sleep(Duration::from_millis(wait_ms)).await;
        Ok(id)
    }

    /// `task_timeout` gives each task its own deadline, counted from its start: under `limit =
    /// 1`, task 3 waits longer than the timeout for its place and still finishes; task 2, slow,
    /// times out alone, and the next task starts in its place. Every future is gone when the
    /// group returns. The same in every kind of group: local, `send`, `scoped`, the list form.
    pub async fn task_timeout_counts_from_each_tasks_start() {
        let counter = DropCounter::default();
        let wait = |id: u32| if id == 2 { 30_000 } else { 20 };
        let check = |outcomes: &[Result<Result<u32, String>, jobloop::TaskError>]| {
            assert_eq!(outcomes.len(), 4);
            for id in [0, 1, 3] {
                assert_eq!(outcomes[id as usize], Ok(Ok(id)));
            }
            let late = outcomes[2].clone().unwrap_err();
            assert!(late.is_timeout(), "{late}");
            assert_eq!(late.task(), "job(counter.token(), id, wait(id), false)[2]");
            assert_eq!(
                late.to_string(),
                "task `job(counter.token(), id, wait(id), false)[2]` timed out"
            );
        };
        let outcomes = tasks![settle, limit = 1, task_timeout = Duration::from_millis(500);
            for id in 0..4 => job(counter.token(), id, wait(id), false)]
        .await;
        check(&outcomes);
        assert_eq!(
            counter.dropped(),
            4,
            "every future is gone when the group returns"
        );
        let outcomes = tasks![send, settle, limit = 1, task_timeout = Duration::from_millis(500);
            for id in 0..4 => job(counter.token(), id, wait(id), false)]
        .await;
        check(&outcomes);
        assert_eq!(counter.dropped(), 8);
        let outcomes = tasks![scoped, settle, limit = 1, task_timeout = Duration::from_millis(500);
            for id in 0..4 => job(counter.token(), id, wait(id), false)]
        .await;
        check(&outcomes);
        assert_eq!(counter.dropped(), 12);
        let (fast, slow) = tasks![settle, task_timeout = Duration::from_millis(50);
            job(counter.token(), 0, 1, false),
            job(counter.token(), 1, 30_000, false),
        ]
        .await;
        assert_eq!(fast, Ok(Ok(0)));
        assert!(slow.unwrap_err().is_timeout());
        assert_eq!(counter.dropped(), 14);
    }

    /// Under `try`, a task that times out fails the group with `Err(Elapsed.into())` and the
    /// others are cancelled, gone when the group returns; tasks that finish in time make no
    /// error.
    pub async fn task_timeout_under_try_fails_the_group_with_the_elapsed_error() {
        let counter = DropCounter::default();
        let wait = |id: u32| if id == 1 { 30_000 } else { 20 };
        let result = tasks![try, task_timeout = Duration::from_millis(100);
            for id in 0..3 => io_job(counter.token(), id, wait(id))]
        .await;
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(
            counter.dropped(),
            3,
            "every future is gone when the group returns"
        );
        let result = tasks![try, send, limit = 2, task_timeout = Duration::from_millis(500);
            for id in 0..4 => io_job(counter.token(), id, 20)]
        .await;
        assert_eq!(result.unwrap(), [0, 1, 2, 3]);
        let (a, b) = tasks![try, task_timeout = Duration::from_millis(50);
            io_job(counter.token(), 0, 1),
            async { std::io::Result::Ok("b") },
        ]
        .await
        .unwrap();
        assert_eq!((a, b), (0, "b"));
        let result = tasks![try, task_timeout = Duration::from_millis(50);
            io_job(counter.token(), 0, 1),
            io_job(counter.token(), 1, 30_000),
        ]
        .await;
        assert_eq!(result.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    }

    /// A `scoped` group's tasks start at its first poll, and their timeouts count from there:
    /// a group made, then first polled after longer than its tasks' timeout, still gives every
    /// task its full time.
    pub async fn a_scoped_tasks_timeout_counts_from_the_groups_first_poll() {
        let mut stream = tasks![stream, scoped, settle, task_timeout = Duration::from_millis(300);
        for i in 0..2u32 => async move {
            sleep(Duration::from_millis(10)).await;
            i
        }];
        sleep(Duration::from_millis(500)).await;
        let mut items = Vec::new();
        while let Some((index, outcome)) = stream.next().await {
            items.push((index, outcome.map_err(|error| error.to_string())));
        }
        items.sort_unstable();
        assert_eq!(items, [(0, Ok(0)), (1, Ok(1))]);
    }

    /// A stream dropped right after it yielded a task that timed out drops that task's future
    /// before the drop returns, as it drops those of the tasks still running.
    pub async fn dropping_a_stream_after_a_timed_out_item_drops_that_tasks_future() {
        let counter = DropCounter::default();
        let mut stream = tasks![stream, settle, task_timeout = Duration::from_millis(20);
            for id in 0..1 => job(counter.token(), id, 30_000, false)];
        let (_, outcome) = stream.next().await.unwrap();
        assert!(outcome.unwrap_err().is_timeout());
        drop(stream);
        assert_eq!(
            counter.dropped(),
            1,
            "the timed-out task's future outlived its stream"
        );
    }

    /// In a stream, a task that times out is an item: under `settle` its error, in the order
    /// things happen; under `try` the `Err` that ends the stream.
    pub async fn a_stream_yields_each_task_that_timed_out() {
        let counter = DropCounter::default();
        let wait = |id: u32| if id == 0 { 30_000 } else { 20 * id as u64 };
        let mut stream = tasks![stream, settle, task_timeout = Duration::from_millis(300);
            for id in 0..3 => job(counter.token(), id, wait(id), false)];
        let mut items = Vec::new();
        while let Some((index, outcome)) = stream.next().await {
            items.push((index, outcome.map_err(|error| error.is_timeout())));
        }
        assert_eq!(items, [(1, Ok(Ok(1))), (2, Ok(Ok(2))), (0, Err(true))]);
        assert!(!stream.timed_out(), "the stream itself has no timeout");
        drop(stream);
        assert_eq!(counter.dropped(), 3);

        let mut stream = tasks![stream, try, task_timeout = Duration::from_millis(300);
            for id in 0..3 => io_job(counter.token(), id, wait(id))];
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item.map_err(|error| error.kind()));
        }
        assert_eq!(
            items,
            [Ok((1, 1)), Ok((2, 2)), Err(std::io::ErrorKind::TimedOut)]
        );
    }

    /// A timeout stops a lazy group where it is: the items it never started stay in the
    /// iterator, unevaluated (their expressions have side effects), and the outcomes cover the
    /// tasks that started.
    pub async fn a_timeout_leaves_the_rest_of_a_lazy_source_untouched() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let items = {
            let pulled = pulled.clone();
            (0u64..100_000).inspect(move |_| {
                pulled.fetch_add(1, Ordering::SeqCst);
            })
        };
        let outcomes = tasks![settle, limit = 2, timeout = Duration::from_millis(20); for i in items => async move {
            sleep(Duration::from_secs(30)).await;
            i
        }]
        .await;
        assert_eq!(
            pulled.load(Ordering::SeqCst),
            2,
            "only the started items were taken"
        );
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes
            .iter()
            .all(|outcome| outcome.as_ref().is_err_and(jobloop::TaskError::is_timeout)));
    }

    async fn loser(message: &'static str) -> u32 {
        yield_now().await;
        panic!("{message}")
    }

    /// Once a race has a winner, a loser that panics in the same turn does not change the
    /// outcome (on a single thread both run in one turn: the winner first).
    pub async fn a_losers_panic_after_the_winner_does_not_change_a_race() {
        let (index, value) = tasks![race; async {
            yield_now().await;
            1u32
        }, loser("a loser panicked")]
        .await;
        assert_eq!((index, value), (0, 1));
    }

    /// Once a `try` group has its first `Err`, a sibling's later panic does not replace it.
    pub async fn a_panic_after_the_first_err_does_not_replace_it() {
        let out: Result<(u32, u32), &str> = tasks![try; async {
            yield_now().await;
            Err("the first error")
        }, async { Ok::<_, &str>(loser("a sibling panicked").await) }]
        .await;
        assert_eq!(out, Err("the first error"));
    }

    /// `limit`: at most N run at once, outputs in order, the iterator consumed lazily.
    pub async fn limit_bounds_how_many_tasks_run_at_once() {
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let pulled = Arc::new(AtomicUsize::new(0));
        let items = {
            let pulled = pulled.clone();
            (0..20u64).inspect(move |_| {
                pulled.fetch_add(1, Ordering::SeqCst);
            })
        };
        let group = tasks![limit = 3, send; for id in items => {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now_running = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now_running, Ordering::SeqCst);
                sleep(Duration::from_millis(2 + id % 3)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                id * 2
            }
        }];
        // Created, not yet awaited: only the first 3 items were taken from the iterator.
        assert_eq!(pulled.load(Ordering::SeqCst), 3);
        let out = group.await;
        assert_eq!(out, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 3);
        // An endless iterator is fine when the group ends early.
        let (index, _) = tasks![race, limit = 2; for id in 0u64.. => async move {
            sleep(Duration::from_millis(5 * (id + 1))).await;
        }]
        .await;
        assert_eq!(index, 0);
    }

    /// `limit` is a capacity, as `asyncio.Semaphore`: one slow task does not hold up the others;
    /// the next starts as soon as any running one finishes.
    pub async fn limit_starts_the_next_task_when_any_running_one_finishes() {
        let log = Log::default();
        let out = tasks![limit = 2, send; for id in 0..6u64 => {
            let log = log.clone();
            async move {
                log.push(format!("start {id}"));
                sleep(Duration::from_millis(if id == 0 { 300 } else { 5 })).await;
                log.push(format!("end {id}"));
                id
            }
        }]
        .await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
        let log = log.take();
        let end_0 = log.iter().position(|e| e == "end 0").unwrap();
        let start_5 = log.iter().position(|e| e == "start 5").unwrap();
        assert!(
            start_5 < end_0,
            "tasks 1 to 5 ran beside the slow task 0: {log:?}"
        );
    }
}

/// Cancellation that completes: when a group ends early, every cancelled task's future (and what
/// it holds) is gone before its `.await` returns; when a group is dropped, before the drop
/// returns. The counters are read right after, with no turn of the runtime in between.
mod cancel_cases {
    use super::*;
    use jobloop::Elapsed;

    /// Holds `token` for `wait_ms`, then gives `id`, or `Err(id)` if `fail`.
    async fn holder(token: DropToken, id: u32, wait_ms: u64, fail: bool) -> Result<u32, u32> {
        let _token = token;
        sleep(Duration::from_millis(wait_ms)).await;
        if fail {
            Err(id)
        } else {
            Ok(id)
        }
    }

    /// 6 tasks, of which task 4 fails after 10 ms and the others would hold on for 30 s.
    fn fails_at_4(counter: &DropCounter, id: u32) -> impl Future<Output = Result<u32, u32>> {
        holder(
            counter.token(),
            id,
            if id == 4 { 10 } else { 30_000 },
            id == 4,
        )
    }

    /// A future that counts itself alive until its drop is over, and takes 20 ms to drop (on a
    /// multi-threaded runtime, long enough for a group on another thread to act meanwhile).
    struct SlowToDrop(Arc<AtomicUsize>);

    impl SlowToDrop {
        /// Counts one more alive; returns it, and how many are alive with it.
        fn new(alive: &Arc<AtomicUsize>) -> (SlowToDrop, usize) {
            let now = alive.fetch_add(1, Ordering::SeqCst) + 1;
            (SlowToDrop(alive.clone()), now)
        }
    }

    impl Drop for SlowToDrop {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(20));
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Gives `id` at its second poll, holding `guard` until the future itself is dropped (after
    /// it gave its output: an `async` block would drop its locals before that).
    struct HeldUntilDropped {
        guard: SlowToDrop,
        id: u32,
        polled: bool,
    }

    impl Future for HeldUntilDropped {
        type Output = u32;

        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<u32> {
            let _ = &self.guard;
            if !self.polled {
                self.polled = true;
                cx.waker().wake_by_ref();
                return std::task::Poll::Pending;
            }
            std::task::Poll::Ready(self.id)
        }
    }

    /// A task's outcome is handed out once its future is gone, also when it ran on another
    /// thread: a task set's outcome comes after the task's drop, and under a limit the next
    /// task starts only once the finished one's future is dropped (never `limit + 1` alive).
    pub async fn an_outcome_is_handed_out_once_the_tasks_future_is_gone() {
        let alive = Arc::new(AtomicUsize::new(0));
        let mut set = jobloop::TaskSet::new_send();
        for id in 0..3u32 {
            let (guard, _) = SlowToDrop::new(&alive);
            set.spawn(HeldUntilDropped {
                guard,
                id,
                polled: false,
            });
        }
        let mut seen = Vec::new();
        while let Some(outcome) = set.next().await {
            seen.push(outcome.expect("no task panics"));
        }
        seen.sort_unstable();
        assert_eq!(seen, [0, 1, 2]);
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "a task's future was still alive when the set handed out its last outcome"
        );
        let alive = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        // Each future is made as its task starts, under the limit.
        let out = tasks![limit = 2, send; for id in 0..6u32 => {
            let (guard, now) = SlowToDrop::new(&alive);
            most.fetch_max(now, Ordering::SeqCst);
            HeldUntilDropped { guard, id, polled: false }
        }]
        .await;
        assert_eq!(out, [0, 1, 2, 3, 4, 5]);
        assert!(
            most.load(Ordering::SeqCst) <= 2,
            "{} futures were alive at once under `limit = 2`",
            most.load(Ordering::SeqCst)
        );
    }

    /// `handle.cancel().await` returns once the task's future has been dropped, destructors
    /// run: `None` for a task cancelled while it waited, `Some(output)` for one that had already
    /// finished; the same for a `Send` task, which a multi-threaded runtime may be polling on
    /// another thread (asyncio: `task.cancel()` then `await` it).
    pub async fn cancelling_a_handle_and_awaiting_it_waits_for_the_futures_drop() {
        let alive = Arc::new(AtomicUsize::new(0));
        let (guard, _) = SlowToDrop::new(&alive);
        let local = spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(60)).await;
        });
        let (guard, _) = SlowToDrop::new(&alive);
        let sent = spawn_send(async move {
            let _guard = guard;
            loop {
                // Busy between short waits, so a worker thread may be polling it right now.
                std::thread::sleep(Duration::from_millis(1));
                yield_now().await;
            }
        });
        sleep(Duration::from_millis(5)).await;
        assert_eq!(local.cancel().await, None);
        assert_eq!(sent.cancel().await, None::<()>);
        assert_eq!(
            alive.load(Ordering::SeqCst),
            0,
            "a cancelled task's future was still alive after its cancellation was awaited"
        );
        let finished = spawn(async { 7 });
        let finished_send = spawn_send(async { 8 });
        sleep(Duration::from_millis(5)).await;
        assert_eq!(finished.cancel().await, Some(7));
        assert_eq!(finished_send.cancel().await, Some(8));
    }

    pub async fn try_returns_once_the_cancelled_tasks_are_dropped() {
        let counter = DropCounter::default();
        let out = tasks![try; for id in 0..6 => fails_at_4(&counter, id)].await;
        assert_eq!((out, counter.dropped()), (Err(4), 6));
        let counter = DropCounter::default();
        let out = tasks![try, send; for id in 0..6 => fails_at_4(&counter, id)].await;
        assert_eq!((out, counter.dropped()), (Err(4), 6));
        let counter = DropCounter::default();
        // Under a limit the source is pulled only as slots open: tasks 0 and 2 end at 10 ms,
        // which starts 3 and 4; 4 fails 10 ms later, 1 and 3 are cancelled, and task 5 is never
        // made. (Every task but the failing one ending at 30 s would make this test take 30 s.)
        let out = tasks![try, limit = 3; for id in 0..6 => {
            let ms = if matches!(id, 0 | 2 | 4) { 10 } else { 30_000 };
            holder(counter.token(), id, ms, id == 4)
        }]
        .await;
        assert_eq!((out, counter.dropped()), (Err(4), 5));
        let counter = DropCounter::default();
        let out = tasks![try; fails_at_4(&counter, 0), fails_at_4(&counter, 4)].await;
        assert_eq!((out, counter.dropped()), (Err(4), 2));
    }

    pub async fn race_returns_once_the_losers_are_dropped() {
        let counter = DropCounter::default();
        let (index, _) =
            tasks![race, send; for id in 0..5 => holder(counter.token(), id, if id == 3 { 5 } else { 30_000 }, false)]
                .await;
        assert_eq!((index, counter.dropped()), (3, 5));
        let counter = DropCounter::default();
        let (index, _) = tasks![race;
            holder(counter.token(), 0, 30_000, false),
            holder(counter.token(), 1, 5, false),
            holder(counter.token(), 2, 30_000, false),
        ]
        .await;
        assert_eq!((index, counter.dropped()), (1, 3));
    }

    /// A commit that must not be cut short: counts itself in `done` after `ms`.
    async fn commit(done: Arc<AtomicUsize>, ms: u64) {
        sleep(Duration::from_millis(ms)).await;
        done.fetch_add(1, Ordering::SeqCst);
    }

    /// asyncio's `shield`: a race's loser inside `shield(commit())` is cancelled, and the race
    /// returns once the commit is done, for a local race and a `send` one.
    pub async fn a_race_returns_once_the_losers_shielded_commit_is_done() {
        let done = Arc::new(AtomicUsize::new(0));
        let winner = tasks![race;
            {
                let done = done.clone();
                async move {
                    jobloop::shield(commit(done, 30)).await;
                    "loser"
                }
            },
            async {
                sleep(Duration::from_millis(5)).await;
                "winner"
            },
        ]
        .await;
        assert_eq!((winner, done.load(Ordering::SeqCst)), ((1, "winner"), 1));
        let (index, ()) = tasks![race, send; for id in 0..3 => {
            let done = done.clone();
            async move {
                if id == 0 {
                    sleep(Duration::from_millis(5)).await;
                } else {
                    jobloop::shield_send(commit(done, 30)).await;
                    sleep(Duration::from_secs(30)).await;
                }
            }
        }]
        .await;
        assert_eq!((index, done.load(Ordering::SeqCst)), (0, 3));
    }

    /// The other cancellations that a group waits for: `try`'s first `Err`, a panic in a plain
    /// group, a `scoped` race; and a shield that is not cancelled gives its output.
    pub async fn a_group_that_ends_early_waits_for_its_tasks_shielded_futures() {
        let done = Arc::new(AtomicUsize::new(0));
        let out: Result<Vec<u32>, u32> = tasks![try; for id in 0..3 => {
            let done = done.clone();
            async move {
                if id == 0 {
                    sleep(Duration::from_millis(5)).await;
                    return Err(0);
                }
                let output = jobloop::shield(async move {
                    commit(done, 30).await;
                    id
                });
                let id = output.await;
                sleep(Duration::from_secs(30)).await;
                Ok(id)
            }
        }]
        .await;
        assert_eq!((out, done.load(Ordering::SeqCst)), (Err(0), 2));
        let caught = CatchPanic::new(tasks![for id in 0..2 => {
            let done = done.clone();
            async move {
                if id == 0 {
                    sleep(Duration::from_millis(5)).await;
                    panic!("task failed");
                }
                jobloop::shield(commit(done, 30)).await;
            }
        }])
        .await;
        assert_eq!(panic_message(caught.expect_err("panicked")), "task failed");
        assert_eq!(done.load(Ordering::SeqCst), 3);
        let winner = tasks![scoped, race;
            async {
                jobloop::shield(commit(done.clone(), 30)).await;
                0
            },
            async {
                sleep(Duration::from_millis(5)).await;
                1
            },
        ]
        .await;
        assert_eq!((winner, done.load(Ordering::SeqCst)), ((1, 1), 4));
        assert_eq!(jobloop::shield(async { 7 }).await, 7);
    }

    /// A shield cancelled by `timeout` (which drops, not waits) runs on alone; a panic in a
    /// shielded future after its task was cancelled does not hang the group that waits for it.
    pub async fn a_shield_outlives_a_timeout_and_its_panic_does_not_hang_the_group() {
        let done = Arc::new(AtomicUsize::new(0));
        let out = jobloop::timeout(
            Duration::from_millis(5),
            jobloop::shield(commit(done.clone(), 30)),
        )
        .await;
        assert_eq!(
            (out, done.load(Ordering::SeqCst)),
            (Err(Elapsed::default()), 0)
        );
        assert!(
            eventually(|| done.load(Ordering::SeqCst) == 1).await,
            "the commit ran on"
        );
        let winner = tasks![race;
            async {
                jobloop::shield(async {
                    sleep(Duration::from_millis(10)).await;
                    panic!("the shielded cleanup failed");
                })
                .await;
                "loser"
            },
            async {
                sleep(Duration::from_millis(2)).await;
                "winner"
            },
        ]
        .await;
        assert_eq!(winner, (1, "winner"));
    }

    /// Tasks that time out at once (`task_timeout = ZERO`, over an endless source) do not keep
    /// the group's poll from returning: each one timed out spends a unit of the task's budget,
    /// so the group yields now and then, a ticker ticks, and the group's own deadline ends it.
    /// (Run under a watchdog: before the fix, the group's first poll never returned.)
    pub async fn tasks_timing_out_at_once_let_the_group_yield() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = spawn_send({
            let ticks = ticks.clone();
            async move {
                loop {
                    yield_now().await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let outcomes = tasks![settle, limit = 1, task_timeout = Duration::ZERO,
            timeout = Duration::from_millis(50);
            for _ in 0u64.. => sleep(Duration::from_secs(60))]
        .await;
        drop(ticker);
        assert!(outcomes.len() > 1, "{}", outcomes.len());
        assert!(
            ticks.load(Ordering::SeqCst) > 0,
            "the ticker never ran while the group timed tasks out"
        );
    }

    /// A shielded future whose poll panics is dropped with the panic (the task's outcome), not
    /// handed to a task of its own and polled again.
    pub async fn a_shielded_future_whose_poll_panics_is_not_polled_again() {
        struct PanicsAtPoll(Arc<AtomicUsize>);
        impl Future for PanicsAtPoll {
            type Output = ();
            fn poll(
                self: std::pin::Pin<&mut Self>,
                _: &mut std::task::Context<'_>,
            ) -> std::task::Poll<()> {
                self.0.fetch_add(1, Ordering::SeqCst);
                panic!("the shielded work failed");
            }
        }
        let polls = Arc::new(AtomicUsize::new(0));
        let outcomes = tasks![settle, send; for _ in 0..1 => {
            let polls = polls.clone();
            async move { jobloop::shield_send(PanicsAtPoll(polls)).await }
        }]
        .await;
        assert!(outcomes[0].as_ref().is_err_and(|error| error.is_panic()));
        sleep(Duration::from_millis(20)).await;
        assert_eq!(polls.load(Ordering::SeqCst), 1);
    }

    /// A cancelled task's destructors, and its shielded future that goes on alone, run in the
    /// task's context variables; what the destructors set does not reach the parent.
    #[cfg(feature = "context")]
    pub async fn a_cancelled_tasks_destructors_and_shield_keep_its_context() {
        use jobloop::sync::Event;
        use jobloop::ContextVar;
        static ID: ContextVar<u64> = ContextVar::new();
        struct Record(Log, Event);
        impl Drop for Record {
            fn drop(&mut self) {
                self.0.push(format!("drop {:?}", ID.get()));
                ID.set(99);
                self.1.set();
            }
        }
        ID.set(1);
        let log = Log::default();
        // The winner wins once the loser is in its shield, which ends once the loser is
        // dropped: the order of the log is the same under any load (with sleeps of 5 and
        // 10 ms it was not, on a busy multi-threaded runtime).
        let loser = |log: Log, shielded: Event| async move {
            ID.set(5);
            let dropped = Event::new();
            let _record = Record(log.clone(), dropped.clone());
            jobloop::shield(async move {
                shielded.set();
                dropped.wait().await;
                log.push(format!("shield {:?}", ID.get()));
            })
            .await;
            sleep(Duration::from_secs(30)).await;
            0
        };
        let winner = |shielded: Event| async move {
            shielded.wait().await;
            1
        };
        let shielded = Event::new();
        assert_eq!(
            tasks![race; loser(log.clone(), shielded.clone()), winner(shielded)].await,
            (1, 1)
        );
        assert_eq!(log.take(), ["drop Some(5)", "shield Some(5)"]);
        assert_eq!(ID.get(), Some(1));
        let shielded = Event::new();
        assert_eq!(
            tasks![scoped, race; loser(log.clone(), shielded.clone()), winner(shielded)].await,
            (1, 1)
        );
        assert_eq!(log.take(), ["drop Some(5)", "shield Some(5)"]);
        assert_eq!(ID.get(), Some(1));
    }

    pub async fn a_timeout_returns_once_the_tasks_are_dropped() {
        let counter = DropCounter::default();
        let out = tasks![timeout = Duration::from_millis(20); for id in 0..4 => holder(counter.token(), id, 30_000, false)]
            .await;
        assert_eq!((out, counter.dropped()), (Err(Elapsed::default()), 4));
        let counter = DropCounter::default();
        let outcomes = tasks![settle, send, timeout = Duration::from_millis(20); for id in 0..4 => holder(counter.token(), id, if id == 0 { 1 } else { 30_000 }, false)]
            .await;
        assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 3);
        assert_eq!(counter.dropped(), 4);
    }

    pub async fn a_panic_reaches_the_caller_once_the_siblings_are_dropped() {
        async fn panics_later(token: DropToken) -> Result<u32, u32> {
            let _token = token;
            sleep(Duration::from_millis(10)).await;
            panic!("task failed");
        }
        let counter = DropCounter::default();
        let caught = CatchPanic::new(tasks![for id in 0..5 => {
            let token = counter.token();
            async move {
                if id == 2 {
                    panics_later(token).await
                } else {
                    holder(token, id, 30_000, false).await
                }
            }
        }])
        .await;
        assert_eq!(
            panic_message(caught.expect_err("the group panicked")),
            "task failed"
        );
        assert_eq!(counter.dropped(), 5);
        let counter = DropCounter::default();
        let caught = CatchPanic::new(tasks![send;
            holder(counter.token(), 0, 30_000, false),
            panics_later(counter.token()),
        ])
        .await;
        assert!(caught.is_err());
        assert_eq!(counter.dropped(), 2);
        let counter = DropCounter::default();
        let caught = CatchPanic::new(tasks![try, limit = 2; for id in 0..4 => {
            let token = counter.token();
            async move {
                if id == 1 {
                    panics_later(token).await
                } else {
                    holder(token, id, 30_000, false).await
                }
            }
        }])
        .await;
        assert!(caught.is_err());
        assert_eq!(
            counter.dropped(),
            2,
            "the two started; the others never were made"
        );
    }

    /// A task that yields at every step (cooperative CPU work: `asyncio.sleep(0)` in a loop) until
    /// it has taken `steps` of them, holding `token`. Its steps are counted in `taken`.
    async fn yielder(token: DropToken, taken: Arc<AtomicUsize>, steps: usize) {
        let _token = token;
        while taken.fetch_add(1, Ordering::Relaxed) < steps {
            yield_now().await;
        }
    }

    pub async fn a_list_group_cancels_a_task_that_yields_at_every_step() {
        // When a list group's task panics, or the group is dropped, its tasks are cancelled one
        // after the other. Each is dropped at once; the others must not be run meanwhile: one
        // that wakes itself as it runs was run again and again, and the program hung (here, until
        // the task has taken all its steps).
        const STEPS: usize = 1_000_000;
        let (counter, taken) = (DropCounter::default(), Arc::new(AtomicUsize::new(0)));
        let caught = CatchPanic::new(tasks![
            async {
                for _ in 0..3 {
                    yield_now().await;
                }
                panic!("first failed");
            },
            yielder(counter.token(), taken.clone(), STEPS),
            yielder(counter.token(), taken.clone(), STEPS),
        ])
        .await;
        assert_eq!(panic_message(caught.expect_err("panicked")), "first failed");
        assert_eq!(counter.dropped(), 2);
        let taken_at_the_panic = taken.load(Ordering::Relaxed);
        assert!(taken_at_the_panic < STEPS, "{taken_at_the_panic} steps");

        let (counter, taken) = (DropCounter::default(), Arc::new(AtomicUsize::new(0)));
        let out = jobloop::timeout(
            Duration::from_millis(20),
            tasks![send;
                sleep(Duration::from_secs(30)),
                yielder(counter.token(), taken.clone(), STEPS),
                yielder(counter.token(), taken.clone(), STEPS),
            ],
        )
        .await;
        assert_eq!(out, Err(Elapsed::default()));
        // On a multi-threaded runtime, one being polled on a worker at that moment is dropped
        // as that poll returns.
        assert!(eventually(|| counter.dropped() == 2).await);
        let taken_at_the_timeout = taken.load(Ordering::Relaxed);
        assert!(taken_at_the_timeout < STEPS, "{taken_at_the_timeout} steps");
    }

    pub async fn a_list_group_cancelling_its_tasks_polls_none_of_them() {
        // The list group's tasks are cancelled one at a time. A finished task's output is
        // dropped with its handle, and its destructor may wake another task of the group: that
        // one is cancelled in its turn, never polled in the cancel of another.
        #[derive(Default)]
        struct Shared {
            woken: AtomicBool,
            polled_after: AtomicBool,
            waker: Mutex<Option<std::task::Waker>>,
        }
        struct WakesOnDrop(Arc<Shared>);
        impl Drop for WakesOnDrop {
            fn drop(&mut self) {
                self.0.woken.store(true, Ordering::SeqCst);
                if let Some(waker) = self.0.waker.lock().unwrap().take() {
                    waker.wake();
                }
            }
        }
        let shared = Arc::new(Shared::default());
        let waiting = {
            let shared = shared.clone();
            std::future::poll_fn(move |cx| {
                if shared.woken.load(Ordering::SeqCst) {
                    shared.polled_after.store(true, Ordering::SeqCst);
                } else {
                    *shared.waker.lock().unwrap() = Some(cx.waker().clone());
                }
                std::task::Poll::<()>::Pending
            })
        };
        let finished = {
            let shared = shared.clone();
            async move { WakesOnDrop(shared) }
        };
        let out = jobloop::timeout(
            Duration::from_millis(20),
            tasks![sleep(Duration::from_secs(30)), finished, waiting],
        )
        .await;
        assert!(out.is_err());
        assert!(
            shared.woken.load(Ordering::SeqCst),
            "the output was dropped"
        );
        assert!(
            !shared.polled_after.load(Ordering::SeqCst),
            "a task was polled in the cancel of another"
        );
    }

    pub async fn dropping_a_group_drops_its_tasks_before_the_drop_returns() {
        let counter = DropCounter::default();
        let plain = tasks![for id in 0..4 => holder(counter.token(), id, 30_000, false)];
        let send = tasks![send; for id in 0..4 => holder(counter.token(), id, 30_000, false)];
        let list = tasks![holder(counter.token(), 0, 30_000, false), async { 1 }];
        let moded =
            tasks![settle, limit = 2; for id in 0..4 => holder(counter.token(), id, 30_000, false)];
        let nested = tasks![send; for _ in 0..2 => {
            let counter = counter.clone();
            async move {
                tasks![send; for id in 0..3 => holder(counter.token(), id, 30_000, false)].await
            }
        }];
        sleep(Duration::from_millis(20)).await; // every task has started and waits
        assert_eq!(counter.dropped(), 0);
        drop(plain);
        assert_eq!(counter.dropped(), 4);
        drop(send);
        assert_eq!(counter.dropped(), 8);
        drop(list);
        assert_eq!(counter.dropped(), 9);
        drop(moded);
        // The two that started, and the two items never taken from the range.
        assert_eq!(counter.dropped(), 11);
        drop(nested);
        assert_eq!(counter.dropped(), 17, "the inner groups' tasks too");
    }

    /// A gate that tasks wait at until it opens.
    #[derive(Clone, Default)]
    struct Gate(Arc<Mutex<(bool, Vec<std::task::Waker>)>>);

    impl Gate {
        fn open(&self) {
            let wakers = {
                let mut gate = self.0.lock().unwrap();
                gate.0 = true;
                std::mem::take(&mut gate.1)
            };
            wakers.into_iter().for_each(std::task::Waker::wake);
        }

        async fn wait(&self) {
            std::future::poll_fn(|cx| {
                let mut gate = self.0.lock().unwrap();
                if gate.0 {
                    return std::task::Poll::Ready(());
                }
                gate.1.push(cx.waker().clone());
                std::task::Poll::Pending
            })
            .await
        }
    }

    /// A task woken and waiting for its turn when its group is dropped is dropped all the same,
    /// and never runs again; the other tasks of the runtime keep their turns.
    pub async fn a_task_woken_but_not_yet_run_is_dropped_with_its_group() {
        let counter = DropCounter::default();
        let (gate, ran) = (Gate::default(), Arc::new(AtomicUsize::new(0)));
        let group = tasks![send; for id in 0..3 => {
            let (token, gate, ran) = (counter.token(), gate.clone(), ran.clone());
            async move {
                let _token = token;
                gate.wait().await;
                ran.fetch_add(1, Ordering::SeqCst);
                id
            }
        }];
        sleep(Duration::from_millis(20)).await; // the tasks wait at the gate
        let bystander = spawn_send(async { 7 });
        gate.open(); // woken: queued to run
        drop(group);
        assert_eq!(counter.dropped(), 3);
        assert_eq!(bystander.await, 7);
        sleep(Duration::from_millis(5)).await;
        assert_eq!(
            ran.load(Ordering::SeqCst),
            0,
            "a dropped task never runs again"
        );
    }
}

/// Results as they complete (`stream`), work that arrives while a group runs (`TaskSet`), and
/// tasks that borrow (`scoped`).
mod group_cases {
    use super::*;
    use jobloop::{Elapsed, TaskErrorKind, TaskSet};

    async fn after(ms: u64, value: u64) -> u64 {
        sleep(Duration::from_millis(ms)).await;
        value
    }

    /// The error of the `try` streams with a timeout: the timeout cut them off.
    #[derive(Debug, PartialEq, Eq)]
    struct CutOff;

    impl From<Elapsed> for CutOff {
        fn from(_: Elapsed) -> CutOff {
            CutOff
        }
    }

    /// [`after`], as a task of a `try` stream.
    async fn ok_after(ms: u64, value: u64) -> Result<u64, CutOff> {
        Ok(after(ms, value).await)
    }

    /// Drains a stream with its inherent `next()`.
    macro_rules! drain {
        ($stream:expr) => {{
            let mut stream = $stream;
            let mut items = Vec::new();
            while let Some(item) = stream.next().await {
                items.push(item);
            }
            items
        }};
    }

    /// `timed_out()` says that the timeout cut work off: a stream whose every task finished
    /// in time ends without timing out, whether its items were taken before the deadline or
    /// after it.
    pub async fn a_stream_whose_tasks_all_finished_in_time_has_not_timed_out() {
        let mut taken_in_time = tasks![stream, try, timeout = Duration::from_millis(40); for id in 0..3u64 => ok_after(1, id)];
        for _ in 0..3 {
            assert!(taken_in_time.next().await.is_some());
        }
        sleep(Duration::from_millis(60)).await; // past the deadline
        assert_eq!(taken_in_time.next().await, None);
        assert!(!taken_in_time.timed_out(), "every item was delivered");

        let mut taken_late = tasks![stream, try, timeout = Duration::from_millis(40); for id in 0..3u64 => ok_after(1, id)];
        sleep(Duration::from_millis(60)).await;
        let mut items = Vec::new();
        while let Some(item) = taken_late.next().await {
            items.push(item.unwrap());
        }
        items.sort_unstable();
        assert_eq!(items, [(0, 0), (1, 1), (2, 2)]);
        assert!(
            !taken_late.timed_out(),
            "every task finished before the deadline"
        );

        // Under a limit, the source is known to be empty without pulling it past its end.
        let mut limited = tasks![stream, try, limit = 1, timeout = Duration::from_millis(40); for id in 0..2u64 => ok_after(1, id)];
        assert_eq!(limited.next().await, Some(Ok((0, 0))));
        sleep(Duration::from_millis(60)).await;
        assert_eq!(limited.next().await, Some(Ok((1, 1))));
        assert_eq!(limited.next().await, None);
        assert!(!limited.timed_out(), "under a limit too");

        // A source that does not say when it is empty (its size has no upper bound), under a
        // limit: polled once while its tasks run, then its items taken after the deadline, so
        // the source is never pulled past its end before it. Nothing was cut off: no `Err`
        // comes and `timed_out()` is false.
        let source = (0..2u64).chain(std::iter::from_fn(|| None));
        let mut unsized_source = tasks![stream, try, limit = 2, timeout = Duration::from_millis(40); for id in source => ok_after(20, id)];
        assert!(
            jobloop::timeout(Duration::from_millis(1), unsized_source.next())
                .await
                .is_err()
        );
        sleep(Duration::from_millis(60)).await;
        let mut items = Vec::new();
        while let Some(item) = unsized_source.next().await {
            items.push(item);
        }
        items.sort_unstable_by_key(|item| item.as_ref().ok().map(|(index, _)| *index));
        assert_eq!(items, [Ok((0, 0)), Ok((1, 1))]);
        assert!(
            !unsized_source.timed_out(),
            "every item was started and delivered"
        );
    }

    /// A stream over an endless source of tasks that are always done at once still ends at
    /// its timeout: once the deadline has passed, no task starts.
    pub async fn a_stream_of_tasks_always_done_still_ends_at_its_timeout() {
        let mut scoped = tasks![scoped, stream, try, limit = 4, timeout = Duration::from_millis(30); for i in 0u64.. => async move { Ok::<u64, CutOff>(i) }];
        let (mut items, mut last) = (0u64, None);
        while let Some(item) = scoped.next().await {
            items += 1;
            last = Some(item);
            assert!(items < 50_000_000, "the stream did not end at its deadline");
        }
        assert_eq!(
            last,
            Some(Err(CutOff)),
            "the last item says the timeout cut it off"
        );
        assert!(scoped.timed_out());
        let mut spawned = tasks![stream, try, limit = 4, timeout = Duration::from_millis(30); for i in 0u64.. => async move { Ok::<u64, CutOff>(i) }];
        let (mut items, mut last) = (0u64, None);
        while let Some(item) = spawned.next().await {
            items += 1;
            last = Some(item);
            assert!(items < 50_000_000, "the stream did not end at its deadline");
        }
        assert_eq!(last, Some(Err(CutOff)));
        assert!(spawned.timed_out());
    }

    pub async fn a_stream_gives_outcomes_as_tasks_finish() {
        let items = drain!(tasks![stream; for ms in [60u64, 20, 40] => after(ms, ms)]);
        assert_eq!(items, [(1, 20), (2, 40), (0, 60)]);
        let items =
            drain!(tasks![stream, send, limit = 2; for ms in [60u64, 20, 40] => after(ms, ms)]);
        // 0 and 1 start; 1 ends at 20 ms and 2 starts, ending at 60 ms, beside 0.
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], (1, 20));
        let items = drain!(tasks![stream; after(30, 1), after(10, 2)]);
        assert_eq!(items, [(1, 2), (0, 1)]);
    }

    pub async fn a_settle_stream_gives_every_outcome() {
        let items = drain!(tasks![stream, settle; for id in 0..3u64 => async move {
            sleep(Duration::from_millis(10 * (3 - id))).await;
            if id == 1 {
                panic!("task 1 failed");
            }
            id
        }]);
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], (2, Ok(2)));
        assert_eq!(items[1].0, 1);
        let error = items[1].1.clone().unwrap_err();
        assert_eq!(error.panic_message(), Some("task 1 failed"));
        assert_eq!(items[2], (0, Ok(0)));
    }

    pub async fn a_try_stream_ends_at_the_first_err_and_cancels_the_rest() {
        let counter = DropCounter::default();
        let mut stream = tasks![stream, try; for id in 0..4u64 => {
            let token = counter.token();
            async move {
                let _token = token;
                sleep(Duration::from_millis(if id == 3 { 30_000 } else { 10 * (id + 1) })).await;
                if id == 1 { Err(format!("job {id} failed")) } else { Ok(id) }
            }
        }];
        assert_eq!(stream.next().await, Some(Ok((0, 0))));
        assert_eq!(stream.next().await, Some(Err("job 1 failed".to_string())));
        // The others were cancelled, and their futures dropped, before the `Err` came.
        assert_eq!(counter.dropped(), 4);
        assert_eq!(stream.next().await, None);
    }

    pub async fn a_panic_in_a_stream_cancels_the_rest_and_resumes_at_next() {
        let counter = DropCounter::default();
        let mut stream = tasks![stream, send; for id in 0..3u64 => {
            let token = counter.token();
            async move {
                let _token = token;
                sleep(Duration::from_millis(if id == 0 { 10 } else { 30_000 })).await;
                panic!("task {id} failed");
            }
        }];
        let caught = CatchPanic::new(stream.next()).await;
        assert_eq!(
            panic_message(caught.expect_err("the panic resumes")),
            "task 0 failed"
        );
        assert_eq!(counter.dropped(), 3);
    }

    /// The crawler of a server that never answers: 100 items, 10 in flight, a deadline for the
    /// whole stream. Each of the 10 running tasks is an item that timed out, and the 90 never
    /// started are counted: every item is accounted for. A source that does not say its size
    /// has no count; an exhausted one has none left.
    pub async fn a_stream_at_its_deadline_accounts_for_every_item() {
        let mut stream = tasks![stream, settle, limit = 10, timeout = Duration::from_millis(50);
            for _ in 0..100 => sleep(Duration::from_secs(60))];
        let mut timed_out = 0;
        while let Some((_, outcome)) = stream.next().await {
            assert!(outcome.unwrap_err().is_timeout());
            timed_out += 1;
        }
        assert!(stream.timed_out());
        assert_eq!((timed_out, stream.not_started()), (10, Some(90)));
        assert!(
            format!("{stream:?}").contains("not_started: Some(90)"),
            "{stream:?}"
        );
        let mut stream = tasks![stream, settle, limit = 2, timeout = Duration::from_millis(50);
            for _ in (0..100).filter(|_| true) => sleep(Duration::from_secs(60))];
        while stream.next().await.is_some() {}
        assert_eq!(
            stream.not_started(),
            None,
            "a filter does not say how many it has left"
        );
        let mut stream =
            tasks![stream, settle; for i in (0..3).filter(|_| true) => async move { i }];
        while stream.next().await.is_some() {}
        assert_eq!(stream.not_started(), Some(0));
    }

    pub async fn a_stream_ends_at_its_timeout() {
        let counter = DropCounter::default();
        let mut stream = tasks![stream, try, timeout = Duration::from_millis(40); for id in 0..3u64 => {
            let token = counter.token();
            async move {
                let _token = token;
                sleep(Duration::from_millis(if id == 1 { 5 } else { 30_000 })).await;
                Ok::<u64, CutOff>(id)
            }
        }];
        assert_eq!(stream.next().await, Some(Ok((1, 1))));
        // The two tasks cut off: said by the last item, once their futures are gone.
        assert_eq!(stream.next().await, Some(Err(CutOff)));
        assert_eq!(counter.dropped(), 3);
        assert_eq!(stream.next().await, None);
        assert!(stream.timed_out());
        assert_eq!(counter.dropped(), 3);
        // Under `settle`, the unfinished tasks come as timed out, then the end.
        let items = drain!(
            tasks![stream, settle, timeout = Duration::from_millis(30); after(5, 1), after(30_000, 2)]
        );
        assert_eq!(items[0], (0, Ok(1)));
        assert_eq!(items[1].0, 1);
        assert_eq!(
            items[1].1.as_ref().unwrap_err().kind(),
            &TaskErrorKind::TimedOut
        );
        assert_eq!(items.len(), 2);
        let _ = Elapsed::default();
    }

    pub async fn dropping_a_stream_cancels_its_tasks() {
        let counter = DropCounter::default();
        let mut stream = tasks![stream, limit = 2; for id in 0..10u64 => {
            let token = counter.token();
            async move {
                let _token = token;
                sleep(Duration::from_millis(if id == 0 { 5 } else { 30_000 })).await;
                id
            }
        }];
        assert_eq!(stream.next().await, Some((0, 0)));
        drop(stream);
        assert_eq!(
            counter.dropped(),
            3,
            "the finished task, and the two running"
        );
        let counter = DropCounter::default();
        let mut stream = tasks![stream, send; for _ in 0..3 => {
            let token = counter.token();
            async move {
                let _token = token;
                sleep(Duration::from_secs(30)).await;
            }
        }];
        stream.cancel().await;
        assert_eq!(counter.dropped(), 3);
        assert_eq!(stream.next().await, None);
    }

    /// `futures_core::Stream`, for the combinators of other crates.
    pub async fn a_stream_is_a_futures_stream() {
        use futures_util::StreamExt;
        let stream = tasks![stream; for ms in [30u64, 10] => after(ms, ms)];
        let items: Vec<(usize, u64)> = StreamExt::collect(stream).await;
        assert_eq!(items, [(1, 10), (0, 30)]);
    }

    pub async fn a_task_set_takes_tasks_while_it_runs() {
        let mut set = TaskSet::new();
        for ms in [30u64, 10] {
            set.spawn(after(ms, ms));
        }
        let mut seen = Vec::new();
        while let Some(outcome) = set.next().await {
            let value = outcome.expect("no task panics");
            seen.push(value);
            if value == 10 {
                set.spawn(after(5, 5)); // arrives while the set runs: ends before the 30 ms one
            }
        }
        assert_eq!(seen, [10, 5, 30]);
        assert!(set.is_empty());
        // A panic is the task's outcome, not the set's end.
        let mut set = TaskSet::new_send();
        let first = set.spawn(async { panic!("handler failed") });
        set.spawn(after(10, 7));
        // In either order: on a multi-threaded runtime, the panic hook (printing a backtrace)
        // may take longer than the other task's 10 ms.
        let (mut failed, mut fine) = (None, None);
        while let Some(outcome) = set.next().await {
            match outcome {
                Ok(value) => fine = Some(value),
                Err(error) => failed = Some(error),
            }
        }
        let failed = failed.expect("the panic is an outcome");
        assert_eq!(failed.task(), format!("#{first}"));
        assert_eq!(failed.panic_message(), Some("handler failed"));
        assert_eq!(fine, Some(7), "the set went on after the panic");
    }

    pub async fn dropping_a_task_set_cancels_its_tasks() {
        let counter = DropCounter::default();
        let mut set = TaskSet::new_send();
        for _ in 0..5 {
            let token = counter.token();
            set.spawn(async move {
                let _token = token;
                sleep(Duration::from_secs(30)).await;
            });
        }
        sleep(Duration::from_millis(10)).await;
        drop(set);
        assert_eq!(counter.dropped(), 5);
        let counter = DropCounter::default();
        let mut set = TaskSet::new();
        let token = counter.token();
        set.spawn(async move {
            let _token = token;
            sleep(Duration::from_secs(30)).await;
        });
        set.cancel().await;
        assert_eq!((counter.dropped(), set.len()), (1, 0));
    }

    /// asyncio's `task.cancel()` for one task of a set: its future is dropped before
    /// `cancel_task` returns, its outcome is a `Cancelled` error, the other tasks run on
    /// (untouched: a task that yields at every step is not run by the cancel), a task that had
    /// finished keeps its outcome, a task waiting for a place is dropped unstarted and the place
    /// of a running one goes to the next waiting.
    pub async fn a_task_set_cancels_one_task() {
        async fn holding(token: DropToken, value: u32) -> u32 {
            let _token = token;
            sleep(Duration::from_secs(30)).await;
            value
        }
        let counter = DropCounter::default();
        let steps = Arc::new(AtomicUsize::new(0));
        let mut set = TaskSet::new_send();
        let slow = set.spawn(holding(counter.token(), 1));
        let quick = set.spawn(async { 2 });
        let yielding = {
            let steps = steps.clone();
            set.spawn(async move {
                while steps.fetch_add(1, Ordering::Relaxed) < 1_000_000 {
                    yield_now().await;
                }
                3
            })
        };
        sleep(Duration::from_millis(10)).await; // `quick` has finished; its outcome waits
        assert!(set.cancel_task(slow));
        assert_eq!(counter.dropped(), 1, "dropped before cancel_task returned");
        assert!(!set.cancel_task(slow), "cancelled once");
        assert!(!set.cancel_task(quick), "finished: keeps its outcome");
        assert!(!set.cancel_task(99), "never spawned");
        assert!(set.cancel_task(yielding));
        let taken = steps.load(Ordering::Relaxed);
        assert!(taken < 1_000_000, "{taken}: run by the cancel to its end");
        assert_eq!(set.len(), 3, "each number comes out once");
        let mut outcomes = Vec::new();
        while let Some(outcome) = set.next().await {
            outcomes.push(outcome.map_err(|error| (error.to_string(), error.is_cancelled())));
        }
        outcomes.sort();
        assert_eq!(
            outcomes,
            [
                Ok(2),
                Err(("task `#0` was cancelled".to_string(), true)),
                Err(("task `#2` was cancelled".to_string(), true)),
            ]
        );

        let counter = DropCounter::default();
        let mut set = TaskSet::new().with_limit(1);
        let running = set.spawn(holding(counter.token(), 1));
        let waiting = set.spawn(holding(counter.token(), 2));
        let next = set.spawn(async { 3 });
        assert!(set.cancel_task(waiting));
        assert_eq!(counter.dropped(), 1, "dropped unstarted");
        assert!(set.cancel_task(running));
        assert_eq!(counter.dropped(), 2);
        let mut numbers = Vec::new();
        while let Some((number, outcome)) = set.next_numbered().await {
            numbers.push((number, outcome.map_err(|error| error.is_cancelled())));
        }
        numbers.sort();
        assert_eq!(
            numbers,
            [(running, Err(true)), (waiting, Err(true)), (next, Ok(3))],
            "the place went to the next"
        );
    }

    /// asyncio's `tg.create_task` inside a task of the group: a set's tasks spawn into it
    /// through a `TaskSetSpawner` (a crawl, each page finding more, under a limit), and so do
    /// other tasks and threads; the owner waiting in `next_or` on an empty set is woken by a
    /// task sent to it; sent tasks are counted by `len`, numbered in the set's one sequence,
    /// dropped by `cancel` and by the set's drop, and a spawner of a dropped set starts
    /// nothing and drops what it is given.
    pub async fn a_task_set_takes_tasks_from_its_spawners() {
        use jobloop::group::{FinishedOr, Sendable, TaskSetSpawner};
        type Counts = Arc<(AtomicUsize, AtomicUsize)>; // running, most at once
        async fn page(depth: u32, spawner: TaskSetSpawner<u32, Sendable>, counts: Counts) -> u32 {
            let now = counts.0.fetch_add(1, Ordering::SeqCst) + 1;
            counts.1.fetch_max(now, Ordering::SeqCst);
            sleep(Duration::from_millis(1)).await;
            if depth < 3 {
                for _ in 0..2 {
                    links(depth + 1, &spawner, &counts);
                }
            }
            counts.0.fetch_sub(1, Ordering::SeqCst);
            depth
        }
        // Outside `page`, whose body cannot prove its own future `Send` (README says so).
        fn links(depth: u32, spawner: &TaskSetSpawner<u32, Sendable>, counts: &Counts) {
            let page = page(depth, spawner.clone(), counts.clone());
            assert!(spawner.spawn(page).is_some());
        }
        let counts = Counts::default();
        let mut set = TaskSet::new_send().with_limit(3);
        let root = set.spawn(page(0, set.spawner(), counts.clone()));
        let mut numbers = Vec::new();
        let mut depths = Vec::new();
        while let Some((number, outcome)) = set.next_numbered().await {
            numbers.push(number);
            depths.push(outcome.unwrap());
        }
        numbers.sort_unstable();
        depths.sort_unstable();
        assert_eq!(root, 0);
        assert_eq!(
            numbers,
            (0..15).collect::<Vec<_>>(),
            "one sequence of numbers"
        );
        assert_eq!(depths, [0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3]);
        let most = counts.1.load(Ordering::SeqCst);
        assert!(most <= 3, "{most} ran at once");

        // From a task outside the set, and from another thread, while the owner waits in
        // `next_or` on an empty set (its other future would take 30 s).
        let mut set = TaskSet::new_send();
        let spawner = set.spawner();
        let from_task = spawner.clone();
        let _sender = spawn_send(async move {
            sleep(Duration::from_millis(10)).await;
            from_task.spawn(async { 1 })
        });
        let outcome = set.next_or(sleep(Duration::from_secs(30))).await;
        assert!(
            matches!(outcome, FinishedOr::Finished(Ok(1))),
            "{outcome:?}"
        );
        let from_thread = spawner.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(10));
            from_thread.spawn(async { 2 })
        });
        let outcome = set.next_or(sleep(Duration::from_secs(30))).await;
        assert!(
            matches!(outcome, FinishedOr::Finished(Ok(2))),
            "{outcome:?}"
        );
        assert_eq!(thread.join().unwrap(), Some(1), "numbered after the first");

        // Counted while not taken; dropped by `cancel`, and by the set's drop.
        let counter = DropCounter::default();
        for _ in 0..2 {
            let token = counter.token();
            spawner.spawn(async move {
                let _token = token;
                0
            });
        }
        assert_eq!(set.len(), 2);
        set.cancel().await;
        assert_eq!((counter.dropped(), set.len()), (2, 0));
        let token = counter.token();
        assert_eq!(
            spawner.spawn(async move {
                drop(token);
                0
            }),
            Some(4)
        );
        assert!(!spawner.is_closed());
        drop(set);
        assert_eq!(counter.dropped(), 3, "the set's drop drops what was sent");
        assert!(spawner.is_closed());
        let token = counter.token();
        assert_eq!(
            spawner.spawn(async move {
                drop(token);
                0
            }),
            None
        );
        assert_eq!(counter.dropped(), 4, "a closed spawner drops the future");

        // Sent before the owner's own spawn: started first (under a limit of 1, in order). A
        // sent task cancelled before it was taken in is dropped unstarted.
        let log = Log::default();
        let mut set = TaskSet::new_send().with_limit(1);
        let spawner = set.spawner();
        for name in ["sent", "cancelled"] {
            let log = log.clone();
            spawner.spawn(async move { log.push(name.to_string()) });
        }
        let spawned = {
            let log = log.clone();
            set.spawn(async move { log.push("spawned".to_string()) })
        };
        assert_eq!(spawned, 2);
        assert!(set.cancel_task(1));
        let mut numbers = Vec::new();
        while let Some((number, outcome)) = set.next_numbered().await {
            numbers.push((number, outcome.map_err(|error| error.is_cancelled())));
        }
        numbers.sort();
        assert_eq!(numbers, [(0, Ok(())), (1, Err(true)), (2, Ok(()))]);
        assert_eq!(log.take(), ["sent", "spawned"]);

        // A task cancels another through the spawner, and goes on: the cancel alone wakes the
        // owner, and drops the other's future. A finished task's cancel does nothing.
        let counter = DropCounter::default();
        let mut set = TaskSet::new_send();
        let spawner = set.spawner();
        let token = counter.token();
        let job = set.spawn(async move {
            let _token = token;
            sleep(Duration::from_secs(30)).await;
            0
        });
        let quick = set.spawn(async { 1 });
        set.spawn(async move {
            sleep(Duration::from_millis(10)).await;
            assert!(spawner.cancel_task(quick), "finished: nothing to do");
            assert!(spawner.cancel_task(job));
            sleep(Duration::from_secs(30)).await;
            2
        });
        assert_eq!(set.next().await, Some(Ok(1)));
        let outcome = jobloop::timeout(Duration::from_secs(10), set.next()).await;
        let error = outcome
            .expect("the cancel woke the owner")
            .unwrap()
            .unwrap_err();
        assert_eq!((error.is_cancelled(), counter.dropped()), (true, 1));
        set.cancel().await;

        // From outside the set, the job its only task: the cancelled outcome comes, not the
        // end of the set. And a task being started, cancelled before it is ready: `start`
        // says so (it waited for ever before).
        let mut set = TaskSet::new_send();
        let spawner = set.spawner();
        let job = set.spawn(async {
            sleep(Duration::from_secs(30)).await;
            0
        });
        let _canceller = spawn_send(async move {
            sleep(Duration::from_millis(10)).await;
            spawner.cancel_task(job)
        });
        let outcome = jobloop::timeout(Duration::from_secs(10), set.next()).await;
        let outcome = outcome.expect("the cancel woke the owner");
        assert!(
            matches!(&outcome, Some(Err(error)) if error.is_cancelled()),
            "{outcome:?}"
        );
        assert!(set.next().await.is_none());
        let spawner = set.spawner();
        let started = jobloop::timeout(
            Duration::from_secs(10),
            set.start(|_ready: jobloop::group::Ready<()>| async move {
                let me = spawner.spawn(async { 1 }).unwrap() - 1; // the number before
                spawner.cancel_task(me);
                sleep(Duration::from_secs(30)).await;
                0
            }),
        )
        .await;
        let started = started.expect("start returned");
        assert!(
            matches!(&started, Err(jobloop::group::StartError::Cancelled(error)) if error.is_cancelled()),
            "{started:?}"
        );
        assert_eq!(set.next().await, Some(Ok(1)));

        // A task that a cancelled task's destructor sends is dropped by the same `cancel`, and
        // one sent by a destructor as the set is dropped is refused.
        struct SendsOnDrop(
            TaskSetSpawner<u32, Sendable>,
            Arc<Mutex<Option<Option<usize>>>>,
        );
        impl Drop for SendsOnDrop {
            fn drop(&mut self) {
                *self.1.lock().unwrap() = Some(self.0.spawn(async { 9 }));
            }
        }
        let sent = Arc::new(Mutex::new(None));
        let mut set = TaskSet::new_send();
        let guard = SendsOnDrop(set.spawner(), sent.clone());
        set.spawn(async move {
            let _guard = guard;
            sleep(Duration::from_secs(30)).await;
            0
        });
        sleep(Duration::from_millis(10)).await;
        set.cancel().await;
        assert!(
            sent.lock().unwrap().unwrap().is_some(),
            "sent as it was dropped"
        );
        assert_eq!(set.len(), 0, "and dropped by the cancel");
        assert!(set.next().await.is_none());
        drop(set);
        let mut set = TaskSet::new_send().with_limit(1);
        let guard = SendsOnDrop(set.spawner(), sent.clone());
        set.spawn(async {
            sleep(Duration::from_secs(30)).await;
            0
        });
        set.spawn(async move {
            drop(guard); // never runs: waits for a place, and goes with the set
            0
        });
        drop(set);
        assert_eq!(
            *sent.lock().unwrap(),
            Some(None),
            "refused: the set was going"
        );

        fn send_and_sync<S: Send + Sync>(_: &S) {}
        send_and_sync(&TaskSet::<u32, Sendable>::new_send().spawner());

        // A set of tasks on this thread: its spawner is not `Send`, its tasks need not be.
        let mut set = TaskSet::new();
        let spawner = set.spawner();
        let shared = std::rc::Rc::new(5);
        set.spawn(async move {
            spawner.spawn(async move { *shared });
            4
        });
        let mut outputs = Vec::new();
        while let Some(outcome) = set.next().await {
            outputs.push(outcome.unwrap());
        }
        assert_eq!(outputs, [4, 5]);
    }

    /// `spawn_numbered` tells a task its number (asyncio's `current_task()`), from the owner
    /// (also for a task queued under a limit) and from a spawner; a `make` that panics leaves
    /// the set's count as it was.
    pub async fn a_task_set_tells_each_task_its_number() {
        let mut set = TaskSet::new().with_limit(1);
        let first = set.spawn_numbered(|number| async move { number });
        let queued = set.spawn_numbered(|number| async move { number });
        let spawner = set.spawner();
        let from_task = set.spawn_numbered(move |number| async move {
            // A follow-up that knows its own number.
            spawner.spawn_numbered(|follow_up| async move { follow_up * 100 });
            number
        });
        assert_eq!((first, queued, from_task), (0, 1, 2));
        let mut outcomes = Vec::new();
        while let Some((number, outcome)) = set.next_numbered().await {
            outcomes.push((number, outcome.unwrap()));
        }
        assert_eq!(outcomes, [(0, 0), (1, 1), (2, 2), (3, 300)]);

        // A `make` that panics, the owner's and a spawner's: nothing is spawned, and `len`
        // does not count it (the spawner's number was counted for ever without the count of
        // unmade numbers).
        let mut set = TaskSet::new_send();
        let spawner = set.spawner();
        let panicked = catch_unwind(std::panic::AssertUnwindSafe(|| {
            set.spawn_numbered(|_| -> std::future::Ready<usize> { panic!("no future") })
        }));
        assert!(panicked.is_err());
        assert_eq!(set.len(), 0);
        let sent = spawner.clone();
        let panicked = std::thread::spawn(move || {
            sent.spawn_numbered(|_| -> std::future::Ready<usize> { panic!("no future") })
        })
        .join();
        assert!(panicked.is_err());
        assert_eq!(spawner.spawn_numbered(std::future::ready), Some(2));
        assert_eq!(set.len(), 1, "only the task made");
        assert_eq!(
            set.next_numbered().await.map(|(n, o)| (n, o.unwrap())),
            Some((2, 2))
        );
        assert_eq!(set.len(), 0);
        assert!(set.next().await.is_none());

        // A cancel of a task that reaches the set while a spawner's `make` still runs (the
        // number handed out, to a table of jobs, say) cancels it when it comes: sent by
        // `make` itself through a spawner, and by the owner while `make` runs on a thread.
        let canceller = spawner.clone();
        let number = spawner.spawn_numbered(move |number| {
            canceller.cancel_task(number);
            std::future::ready(number)
        });
        let (told, number_told) = std::sync::mpsc::channel();
        let (go_on, gone_on) = std::sync::mpsc::channel::<()>();
        let maker = spawner.clone();
        let thread = std::thread::spawn(move || {
            maker.spawn_numbered(move |number| {
                told.send(number).unwrap();
                gone_on.recv().unwrap();
                std::future::ready(number)
            })
        });
        let made = number_told.recv().unwrap();
        // Counted in `len` while it is made; cancelled (once) before it comes.
        assert_eq!(set.len(), 2);
        assert!(set.cancel_task(made), "cancelled while being made");
        assert!(!set.cancel_task(made), "once");
        go_on.send(()).unwrap();
        assert_eq!(thread.join().unwrap(), Some(made));
        let mut cancelled = Vec::new();
        while let Some((number, outcome)) = set.next_numbered().await {
            assert!(outcome.unwrap_err().is_cancelled(), "#{number} ran");
            cancelled.push(number);
        }
        cancelled.sort_unstable();
        assert_eq!(cancelled, [number.unwrap(), made]);

        // Once the set is gone, `make` is not called.
        drop(set);
        assert_eq!(
            spawner.spawn_numbered(|_| -> std::future::Ready<usize> { unreachable!() }),
            None
        );
    }

    /// `TaskSet::with_limit(8)` over 100 spawns: never more than 8 run, the others wait
    /// unstarted and start in spawn order as outcomes are taken; `len` counts both; every
    /// outcome comes. Dropping a full set drops the waiting futures too; `cancel` empties it.
    pub async fn a_task_set_with_a_limit_runs_at_most_that_many() {
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let started = Log::default();
        let mut set = TaskSet::new_send().with_limit(8);
        for i in 0..100 {
            let (running, most, started) = (running.clone(), most.clone(), started.clone());
            let number = set.spawn(async move {
                started.push(i.to_string());
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                sleep(Duration::from_millis(1)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i
            });
            assert_eq!(number, i);
        }
        assert_eq!(set.len(), 100);
        assert!(set.is_full());
        let mut outputs = Vec::new();
        while let Some(outcome) = set.next().await {
            outputs.push(outcome.unwrap());
        }
        outputs.sort_unstable();
        assert_eq!(outputs, (0..100).collect::<Vec<_>>());
        assert!(
            most.load(Ordering::SeqCst) <= 8,
            "{} ran at once",
            most.load(Ordering::SeqCst)
        );
        assert_eq!(started.take().len(), 100);

        let counter = DropCounter::default();
        let mut set = TaskSet::new().with_limit(2);
        for _ in 0..5 {
            let token = counter.token();
            set.spawn(async move {
                let _token = token;
                sleep(Duration::from_secs(30)).await;
            });
        }
        assert_eq!(set.len(), 5);
        set.cancel().await;
        assert_eq!((counter.dropped(), set.len()), (5, 0));
        for _ in 0..5 {
            let token = counter.token();
            set.spawn(async move {
                let _token = token;
                sleep(Duration::from_secs(30)).await;
            });
        }
        drop(set);
        assert_eq!(counter.dropped(), 10);
    }

    /// trio's `nursery.start`: `TaskSet::start` returns the value the task gives
    /// `ready.started`, while the task runs on in the set; outcomes of other tasks that finish
    /// meanwhile wait for `next`. A task that ends or panics before it is ready gives its
    /// outcome to `start` as the error.
    pub async fn task_set_start_returns_once_the_task_is_ready() {
        use jobloop::group::{Ready, StartError};
        let mut set = TaskSet::new();
        set.spawn(after(1, 100u64));
        let value = set
            .start(|ready| async move {
                sleep(Duration::from_millis(20)).await;
                ready.started(7u64);
                sleep(Duration::from_millis(10)).await;
                8u64
            })
            .await
            .unwrap();
        assert_eq!(value, 7);
        assert_eq!(
            set.len(),
            2,
            "the other task's outcome waits, the started task runs on"
        );
        assert_eq!(set.next().await, Some(Ok(100)));
        assert_eq!(set.next().await, Some(Ok(8)));

        let ended = set.start(|_ready: Ready<u64>| async { 5u64 }).await;
        assert!(matches!(ended, Err(StartError::Ended(5))), "{ended:?}");
        let panicked = set
            .start(|_ready: Ready<u64>| async {
                yield_now().await;
                panic!("no port")
            })
            .await;
        let Err(StartError::Panicked(error)) = panicked else {
            panic!("{panicked:?}")
        };
        assert_eq!(error.panic_message(), Some("no port"));
        assert!(
            set.is_empty(),
            "a task that failed to start is not left in the set"
        );

        let mut set = TaskSet::new_send();
        let up = set
            .start(|ready| async move {
                ready.started("up");
                sleep(Duration::from_millis(5)).await;
                1
            })
            .await;
        assert_eq!(up.unwrap(), "up");
        assert_eq!(set.next().await, Some(Ok(1)));
    }

    /// Work from another thread through a `Handle` (asyncio's `run_coroutine_threadsafe`): a
    /// std thread calls `block_on` 1 000 times while a ticker on the runtime keeps ticking; a
    /// task spawned from a thread is awaited here; `block_on` on the runtime's own thread is
    /// a panic that says why.
    pub async fn a_handle_takes_work_from_other_threads() {
        let handle = jobloop::Handle::current();
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = spawn_send({
            let ticks = ticks.clone();
            async move {
                loop {
                    sleep(Duration::from_millis(1)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let worker = std::thread::spawn({
            let handle = handle.clone();
            move || {
                let mut sum = 0;
                for i in 0..1_000u64 {
                    sum += handle
                        .block_on(async move {
                            yield_now().await;
                            i
                        })
                        .unwrap();
                }
                sum
            }
        });
        assert!(
            eventually(|| worker.is_finished()).await,
            "1 000 block_on calls in 5 s"
        );
        assert_eq!(worker.join().unwrap(), 499_500);
        assert!(
            ticks.load(Ordering::SeqCst) > 0,
            "the ticker ticked meanwhile"
        );
        ticker.cancel().await;

        let spawned = std::thread::spawn({
            let handle = handle.clone();
            move || handle.spawn(async { 5 }).unwrap()
        })
        .join()
        .unwrap();
        assert_eq!(spawned.await, 5);

        let blocked = catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle.block_on(async { 1 })
        }));
        let message = panic_message(blocked.unwrap_err());
        assert!(message.contains("`.await` the future here"), "{message}");
    }

    pub async fn scoped_tasks_borrow() {
        let names = vec!["a".to_string(), "bb".to_string(), "ccc".to_string()];
        let mut total = 0usize;
        let lengths = tasks![scoped; for name in &names => async {
            sleep(Duration::from_millis(5)).await;
            name.len()
        }]
        .await;
        assert_eq!(lengths, [1, 2, 3]);
        let config = String::from("config");
        let (read, ()) = tasks![scoped; async { config.len() }, async { total += 10 }].await;
        assert_eq!((read, total), (6, 10));
        // Every mode and option.
        let out = tasks![scoped, try, limit = 2; for name in &names => async {
            if name.len() < 3 { Ok(name.len()) } else { Err(name.as_str()) }
        }]
        .await;
        assert_eq!(out, Err("ccc"));
        let (index, _) = tasks![scoped, race; for ms in [30u64, 5, 20] => after(ms, ms)].await;
        assert_eq!(index, 1);
        let out = tasks![scoped, timeout = Duration::from_millis(20); for name in &names => async {
            sleep(Duration::from_secs(30)).await;
            name.len()
        }]
        .await;
        assert_eq!(out, Err(Elapsed::default()));
        let outcomes = tasks![scoped, settle; for name in &names => async {
            if name.len() == 2 { panic!("two") } else { name.len() }
        }]
        .await;
        assert!(outcomes[1].as_ref().unwrap_err().is_panic());
        let items = drain!(
            tasks![scoped, stream; for (i, name) in names.iter().enumerate() => async move {
                sleep(Duration::from_millis(10 * (3 - i as u64))).await;
                name.as_str()
            }]
        );
        assert_eq!(items, [(2, "ccc"), (1, "bb"), (0, "a")]);
    }

    /// A scoped task's panic reaches the caller with its payload, once the other tasks are
    /// dropped; the scoped tasks start only when the group is first polled.
    pub async fn scoped_tasks_start_when_polled_and_panics_reach_the_caller() {
        let started = std::cell::Cell::new(0);
        let group = tasks![scoped; for _ in 0..3 => async { started.set(started.get() + 1) }];
        yield_now().await;
        assert_eq!(started.get(), 0, "not polled yet");
        group.await;
        assert_eq!(started.get(), 3);
        let counter = DropCounter::default();
        let caught = CatchPanic::new(tasks![scoped; for id in 0..3 => {
            let token = counter.token();
            async move {
                let _token = token;
                if id == 1 {
                    sleep(Duration::from_millis(5)).await;
                    panic!("scoped task failed");
                }
                sleep(Duration::from_secs(30)).await;
            }
        }])
        .await;
        assert_eq!(panic_message(caught.unwrap_err()), "scoped task failed");
        assert_eq!(counter.dropped(), 3);
    }

    /// Scoped groups start their tasks in the written order, as spawned groups do (FIFO): in
    /// the list form, the for form, and under a limit; and a panic of the second task does not
    /// keep the first from running.
    pub async fn scoped_tasks_start_in_written_order() {
        let order = std::cell::RefCell::new(Vec::new());
        let start = |id: u32| {
            let order = &order;
            async move {
                order.borrow_mut().push(id);
                yield_now().await;
            }
        };
        tasks![scoped; start(1), start(2), start(3)].await;
        assert_eq!(order.take(), [1, 2, 3], "list form");
        tasks![scoped; for id in 1..=4 => start(id)].await;
        assert_eq!(order.take(), [1, 2, 3, 4], "for form");
        tasks![scoped, limit = 2; for id in 1..=4 => start(id)].await;
        assert_eq!(order.take(), [1, 2, 3, 4], "limit = 2");
        let caught = CatchPanic::new(tasks![scoped; start(1), async {
            order.borrow_mut().push(2);
            panic!("the second task failed");
        }])
        .await;
        assert!(caught.is_err());
        assert_eq!(
            order.take(),
            [1, 2],
            "the first task ran before the second panicked"
        );
        // A first task that ends the group at its first poll keeps the next from starting (as
        // asyncio's TaskGroup cancels a task that has not run yet).
        let second_ran = std::cell::Cell::new(false);
        let failed = tasks![scoped, try; async { Err::<u32, &str>("the first failed") }, async {
            second_ran.set(true);
            Ok::<_, &str>(2)
        }]
        .await;
        assert_eq!(failed, Err("the first failed"));
        assert!(
            !second_ran.get(),
            "the second task started after the first ended the group"
        );
    }
}

/// asyncio's toolkit: `Queue`, `Event`, `Mutex`, `Semaphore`, `Barrier` and `to_thread`.
mod toolkit_cases {
    use super::*;
    use jobloop::sync::{
        Barrier, Condvar, Event, LifoQueue, Mutex as AsyncMutex, PriorityQueue, Queue,
        QueueShutDown, Semaphore, TryGetError, TryPutError,
    };
    use jobloop::to_thread;

    /// asyncio's queue example: workers take items, `join` waits until each is marked done,
    /// then the workers are cancelled.
    pub async fn a_queue_feeds_workers_and_join_waits_for_task_done() {
        let queue = Queue::new(10);
        let total = Arc::new(AtomicUsize::new(0));
        let workers = tasks![send; for _ in 0..3 => {
            let (queue, total) = (queue.clone(), total.clone());
            async move {
                loop {
                    let n: usize = queue.get().await.expect("not shut down");
                    sleep(Duration::from_millis(1)).await;
                    total.fetch_add(n, Ordering::SeqCst);
                    queue.task_done();
                }
            }
        }];
        for n in 1..=20 {
            queue.put(n).await.unwrap();
        }
        queue.join().await;
        assert_eq!(
            total.load(Ordering::SeqCst),
            210,
            "every item was done before join returned"
        );
        assert!(queue.is_empty());
        drop(workers); // cancelled, as asyncio's example cancels its workers
    }

    pub async fn a_full_queue_makes_put_wait_and_try_put_fail() {
        let queue = Queue::new(2);
        queue.put(1).await.unwrap();
        queue.try_put(2).unwrap();
        assert!(queue.is_full());
        assert_eq!(queue.try_put(3), Err(TryPutError::Full(3)));
        let putter = spawn_send({
            let queue = queue.clone();
            async move { queue.put(3).await }
        });
        sleep(Duration::from_millis(10)).await;
        assert_eq!(queue.len(), 2, "the third put waits");
        assert_eq!(queue.get().await, Ok(1));
        assert_eq!(putter.await, Ok(()));
        assert_eq!((queue.try_get(), queue.try_get()), (Ok(2), Ok(3)));
        assert_eq!(queue.try_get(), Err(TryGetError::Empty));
        // A cancelled put leaves no unfinished item behind: `join` does not wait for it.
        let full = Queue::new(1);
        full.put(0).await.unwrap();
        let cancelled = jobloop::timeout(Duration::from_millis(5), full.put(1)).await;
        assert!(cancelled.is_err());
        assert_eq!(full.get().await, Ok(0));
        full.task_done();
        jobloop::timeout(Duration::from_secs(5), full.join())
            .await
            .expect("join returns");
    }

    /// asyncio's `PriorityQueue` and `LifoQueue`: `get` takes the smallest item, or the newest;
    /// a bounded one makes `put` wait until a `get` makes room, and a waiting `get` is woken by
    /// a `put` from another task; `task_done`/`join` and `shutdown` as in `Queue`.
    pub async fn priority_and_lifo_queues_give_their_order() {
        let priority = PriorityQueue::new(0);
        for item in [(3, "c"), (1, "a"), (2, "b"), (1, "a2")] {
            priority.put(item).await.unwrap();
        }
        let mut order = Vec::new();
        while let Ok(item) = priority.try_get() {
            order.push(item);
        }
        assert_eq!(order, [(1, "a"), (1, "a2"), (2, "b"), (3, "c")]);

        let lifo = LifoQueue::new(2);
        lifo.put(1).await.unwrap();
        lifo.put(2).await.unwrap();
        assert!(lifo.is_full());
        assert!(matches!(lifo.try_put(3), Err(TryPutError::Full(3))));
        let putter = spawn_send({
            let lifo = lifo.clone();
            async move { lifo.put(3).await }
        });
        sleep(Duration::from_millis(5)).await;
        assert_eq!(lifo.len(), 2, "the put waits while the queue is full");
        assert_eq!(lifo.get().await, Ok(2));
        putter.await.unwrap();
        assert_eq!(lifo.get().await, Ok(3));
        assert_eq!(lifo.get().await, Ok(1));

        // A getter waiting on an empty queue, woken by a put from another task.
        let getter = spawn_send({
            let lifo = lifo.clone();
            async move { lifo.get().await }
        });
        sleep(Duration::from_millis(5)).await;
        lifo.put(7).await.unwrap();
        assert_eq!(getter.await, Ok(7));
        for _ in 0..4 {
            lifo.task_done();
        }
        lifo.join().await;

        lifo.put(8).await.unwrap();
        assert!(lifo.shutdown());
        assert_eq!(lifo.put(9).await, Err(QueueShutDown(9)));
        assert_eq!(lifo.get().await, Ok(8));
        assert_eq!(lifo.get().await, Err(QueueShutDown(())));
        assert_eq!(lifo.try_get(), Err(TryGetError::ShutDown));
    }

    /// asyncio's `shutdown(immediate=True)`: the items left are dropped and counted as done, so
    /// a `join` waiting for them returns; `get` and `put` fail at once, a waiting getter too.
    pub async fn shutdown_now_drops_the_items_and_releases_join() {
        let queue = Queue::new(0);
        for n in 0..5 {
            queue.put(n).await.unwrap();
        }
        let joined = spawn_send({
            let queue = queue.clone();
            async move { queue.join().await }
        });
        sleep(Duration::from_millis(5)).await;
        assert!(!joined.is_finished(), "five items are unfinished");
        assert!(queue.shutdown_now());
        joined.await;
        assert!(queue.is_empty());
        assert_eq!(queue.get().await, Err(QueueShutDown(())));
        assert_eq!(queue.put(6).await, Err(QueueShutDown(6)));

        let priority = PriorityQueue::new(0);
        priority.put(2).await.unwrap();
        priority.put(1).await.unwrap();
        assert_eq!(priority.get().await, Ok(1));
        priority.task_done();
        let joined = spawn_send({
            let priority = priority.clone();
            async move { priority.join().await }
        });
        sleep(Duration::from_millis(5)).await;
        assert!(!joined.is_finished(), "item 2 is unfinished");
        assert!(priority.shutdown_now());
        joined.await;
        assert_eq!(priority.len(), 0);

        let empty = LifoQueue::<u32>::new(0);
        let getter = spawn_send({
            let empty = empty.clone();
            async move { empty.get().await }
        });
        sleep(Duration::from_millis(5)).await;
        assert!(empty.shutdown_now());
        assert_eq!(
            getter.await,
            Err(QueueShutDown(())),
            "a waiting get fails at once"
        );
        assert!(!empty.shutdown_now(), "shut down already");
    }

    /// asyncio's `Condition`: a producer and a consumer hand values through a `Mutex` and a
    /// `Condvar`, round after round, with no lost wake-up (a lost one hangs the test); every
    /// waiter wakes on `notify_all`.
    pub async fn a_condvar_hands_values_over_without_lost_wake_ups() {
        const ROUNDS: u32 = 100_000;
        let shared = Arc::new((AsyncMutex::new((0u32, false)), Condvar::new()));
        let consumer = spawn_send({
            let shared = shared.clone();
            async move {
                let (slot, changed) = &*shared;
                let mut sum = 0u64;
                for _ in 0..ROUNDS {
                    let mut guard = changed
                        .wait_while(slot.lock().await, |(_, full)| !*full)
                        .await;
                    sum += u64::from(guard.0);
                    guard.1 = false;
                    drop(guard);
                    changed.notify_one();
                }
                sum
            }
        });
        let (slot, changed) = &*shared;
        let produced = jobloop::timeout(Duration::from_secs(60), async {
            for value in 1..=ROUNDS {
                let mut guard = changed
                    .wait_while(slot.lock().await, |(_, full)| *full)
                    .await;
                *guard = (value, true);
                drop(guard);
                changed.notify_one();
            }
            consumer.await
        })
        .await;
        let expected = u64::from(ROUNDS) * (u64::from(ROUNDS) + 1) / 2;
        assert_eq!(
            produced,
            Ok(expected),
            "a wake-up was lost: the two tasks wait for ever"
        );

        let flag = Arc::new((AsyncMutex::new(false), Condvar::new()));
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let flag = flag.clone();
                spawn_send(async move {
                    let (open, changed) = &*flag;
                    let guard = changed.wait_while(open.lock().await, |open| !*open).await;
                    *guard
                })
            })
            .collect();
        sleep(Duration::from_millis(5)).await;
        *flag.0.lock().await = true;
        flag.1.notify_all();
        for waiter in waiters {
            assert!(waiter.await);
        }
    }

    pub async fn a_shut_down_queue_gives_its_items_then_fails() {
        let queue = Queue::new(0);
        queue.put("a").await.unwrap();
        queue.put("b").await.unwrap();
        let waiting = spawn_send({
            let queue = Queue::<&str>::new(1);
            let handle = queue.clone();
            async move {
                handle.put("x").await.unwrap();
                let blocked = spawn_send({
                    let queue = queue.clone();
                    async move { queue.put("y").await }
                });
                sleep(Duration::from_millis(5)).await;
                queue.shutdown();
                blocked.await
            }
        });
        assert_eq!(
            waiting.await,
            Err(QueueShutDown("y")),
            "a waiting put gets its item back"
        );
        assert!(queue.shutdown());
        assert_eq!(queue.put("c").await, Err(QueueShutDown("c")));
        assert_eq!(queue.get().await, Ok("a"));
        assert_eq!(queue.get().await, Ok("b"));
        assert_eq!(queue.get().await, Err(QueueShutDown(())));
        assert_eq!(queue.try_get(), Err(TryGetError::ShutDown));
    }

    pub async fn an_event_wakes_every_waiter() {
        let event = Event::new();
        let woken = tasks![send; for id in 0..3 => {
            let event = event.clone();
            async move {
                event.wait().await;
                id
            }
        }];
        sleep(Duration::from_millis(5)).await;
        assert!(!event.is_set());
        event.set();
        assert_eq!(woken.await, [0, 1, 2]);
        event.wait().await; // set: at once
        event.clear();
        assert!(!event.is_set());
        assert!(jobloop::timeout(Duration::from_millis(5), event.wait())
            .await
            .is_err());
    }

    pub async fn a_mutex_semaphore_and_barrier_coordinate_tasks() {
        let data = Arc::new(AsyncMutex::new(Vec::new()));
        tasks![send; for id in 0..4 => {
            let data = data.clone();
            async move {
                let mut data = data.lock().await;
                data.push(id);
                sleep(Duration::from_millis(1)).await; // held across an await
                data.push(id);
            }
        }]
        .await;
        let data = Arc::try_unwrap(data).unwrap().into_inner();
        assert!(data.chunks(2).all(|pair| pair[0] == pair[1]), "{data:?}");

        let permits = Semaphore::new(2);
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        tasks![send; for _ in 0..8 => {
            let (permits, running, most) = (permits.clone(), running.clone(), most.clone());
            async move {
                let _permit = permits.acquire().await;
                most.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                sleep(Duration::from_millis(2)).await;
                running.fetch_sub(1, Ordering::SeqCst);
            }
        }]
        .await;
        assert_eq!(most.load(Ordering::SeqCst), 2);
        // A semaphore of 0 makes `acquire` wait, until permits are added.
        let none = Semaphore::new(0);
        assert!(jobloop::timeout(Duration::from_millis(5), none.acquire())
            .await
            .is_err());
        none.add_permits(1);
        drop(none.acquire().await);

        let barrier = Barrier::new(3);
        let leaders = tasks![send; for id in 0..3u64 => {
            let barrier = barrier.clone();
            async move {
                sleep(Duration::from_millis(5 * id)).await;
                barrier.wait().await.is_leader()
            }
        }]
        .await;
        assert_eq!(leaders.iter().filter(|leader| **leader).count(), 1);
    }

    /// asyncio's pulse: `set()` then `clear()` at once releases every task that was waiting at
    /// the `set`, although the flag is clear again by the time they run.
    pub async fn an_event_set_then_cleared_releases_every_task_waiting_at_the_set() {
        let event = Event::new();
        let waiters = tasks![send; for id in 0..3 => {
            let event = event.clone();
            async move {
                jobloop::timeout(Duration::from_secs(5), event.wait()).await.map(|()| id)
            }
        }];
        let waiters = spawn_send(waiters);
        sleep(Duration::from_millis(20)).await; // all three wait
        event.set();
        event.clear();
        assert_eq!(waiters.await, [Ok(0), Ok(1), Ok(2)]);
        // A wait that begins after the pulse waits for the next `set`.
        assert!(jobloop::timeout(Duration::from_millis(5), event.wait())
            .await
            .is_err());
    }

    /// A `OnceCell` (an asyncio `Future` as a result holder): ten tasks that ask at once share one
    /// load; a failed load goes to the task that ran it and the next one runs it again; a value
    /// set with `try_set` reaches every waiter, and a second `try_set` is refused.
    pub async fn a_once_cell_loads_once_for_every_caller_and_retries_a_failed_load() {
        use jobloop::sync::OnceCell;
        let cell = Arc::new(OnceCell::new());
        let loads = Arc::new(AtomicUsize::new(0));
        let values = tasks![send; for _ in 0..10 => {
            let (cell, loads) = (cell.clone(), loads.clone());
            async move {
                *cell
                    .get_or_init(|| async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        jobloop::sleep(Duration::from_millis(5)).await; // the others ask
                        42
                    })
                    .await
            }
        }]
        .await;
        assert_eq!(values, [42; 10]);
        assert_eq!(loads.load(Ordering::SeqCst), 1, "one load for every caller");

        let cell = OnceCell::new();
        let failed = cell.get_or_try_init(|| async { Err("down") }).await;
        assert_eq!(failed, Err("down"));
        assert!(!cell.is_initialized());
        let loaded = cell.get_or_try_init(|| async { Ok::<_, &str>(7) }).await;
        assert_eq!(loaded, Ok(&7));

        let result = Arc::new(OnceCell::new());
        let waiters = tasks![send; for _ in 0..3 => {
            let result = result.clone();
            async move { *result.wait().await }
        }];
        let setter = {
            let result = result.clone();
            async move {
                jobloop::sleep(Duration::from_millis(5)).await;
                assert_eq!(result.try_set(9), Ok(()));
                assert_eq!(result.try_set(10), Err(10), "set once");
            }
        };
        let (seen, ()) = tasks![send; waiters, setter].await;
        assert_eq!(seen, [9, 9, 9]);
    }

    /// A waiter whose `wait` is cancelled (here by a timeout) leaves the barrier, as in asyncio:
    /// two more waiters of a barrier of three still wait for a third.
    pub async fn a_cancelled_barrier_waiter_no_longer_counts() {
        let barrier = Barrier::new(3);
        assert!(jobloop::timeout(Duration::from_millis(5), barrier.wait())
            .await
            .is_err());
        let two = tasks![send; for _ in 0..2 => {
            let barrier = barrier.clone();
            async move { jobloop::timeout(Duration::from_millis(50), barrier.wait()).await.is_ok() }
        }]
        .await;
        assert_eq!(
            two,
            [false, false],
            "two waiters of three passed the barrier"
        );
        // Three waiters pass, one of them the leader.
        let leaders = tasks![send; for _ in 0..3 => {
            let barrier = barrier.clone();
            async move { barrier.wait().await.is_leader() }
        }]
        .await;
        assert_eq!(leaders.iter().filter(|leader| **leader).count(), 1);
    }

    #[cfg(feature = "context")]
    /// asyncio's `contextvars`: every task gets a copy of its starter's values when it starts
    /// (spawned, grouped in every kind of group, in a `TaskSet`, from another thread through a
    /// `Handle`), `to_thread` sees the caller's, and a task's `set` stays its own.
    pub async fn context_vars_flow_into_every_task_and_never_back() {
        use jobloop::{ContextVar, TaskSet};
        static ID: ContextVar<u64> = ContextVar::new();
        static NAME: ContextVar<String> = ContextVar::new();
        ID.remove();
        assert_eq!(ID.get(), None);
        ID.set(1);
        NAME.set("root".to_string());
        let child = spawn(async {
            let seen = ID.get();
            ID.set(2);
            yield_now().await;
            (seen, ID.get())
        });
        assert_eq!(child.await, (Some(1), Some(2)));
        assert_eq!(ID.get(), Some(1), "the child's set stays in the child");
        assert_eq!(spawn_send(async { ID.get() }).await, Some(1));
        // A copy at the moment it starts: a later set of the parent is not seen.
        ID.set(3);
        let early = spawn_send(async {
            sleep(Duration::from_millis(5)).await;
            ID.get()
        });
        assert_eq!(ID.set(4), Some(3));
        assert_eq!(early.await, Some(3));
        let outputs = tasks![for i in 0..3u64 => async move {
            let seen = ID.get();
            ID.set(100 + i);
            yield_now().await;
            (seen, ID.get())
        }]
        .await;
        assert_eq!(
            outputs,
            [
                (Some(4), Some(100)),
                (Some(4), Some(101)),
                (Some(4), Some(102))
            ]
        );
        let seen = tasks![send, limit = 2; for i in 0..6u64 => async move {
            let seen = ID.get();
            ID.set(i);
            sleep(Duration::from_millis(1)).await;
            seen
        }]
        .await;
        assert_eq!(
            seen,
            [Some(4); 6],
            "tasks started later under the limit too"
        );
        let (first, second) = tasks![scoped;
            async {
                let seen = ID.get();
                ID.set(50);
                yield_now().await;
                (seen, ID.get())
            },
            async {
                yield_now().await;
                ID.get()
            },
        ]
        .await;
        assert_eq!((first, second), ((Some(4), Some(50)), Some(4)));
        let mut set = TaskSet::new();
        set.spawn(async { ID.get() });
        assert_eq!(set.next().await.map(Result::ok), Some(Some(Some(4))));
        assert_eq!(jobloop::to_thread(|| ID.get()).await, Some(4));
        let handle = jobloop::Handle::current();
        let from_thread = std::thread::spawn(move || {
            ID.set(9);
            handle.spawn(async { ID.get() }).expect("the runtime runs")
        })
        .join()
        .expect("the thread ran");
        assert_eq!(from_thread.await, Some(9), "the calling thread's values");
        assert_eq!((ID.get(), NAME.get().as_deref()), (Some(4), Some("root")));
        assert_eq!(ID.remove(), Some(4));
        assert_eq!(ID.get(), None);
    }

    /// A `Condvar` waiter woken by `notify_one` and cancelled while it waits for the lock again
    /// passes the notification on: the other waiter wakes (without it, it would wait for ever).
    pub async fn a_condvar_waiter_cancelled_after_its_wake_up_passes_it_on() {
        let shared = Arc::new((AsyncMutex::new(false), Condvar::new()));
        let waiter = |shared: Arc<(AsyncMutex<bool>, Condvar)>| async move {
            let (ready, changed) = &*shared;
            let _guard = changed
                .wait_while(ready.lock().await, |ready| !*ready)
                .await;
        };
        let first = spawn_send(waiter(shared.clone()));
        sleep(Duration::from_millis(5)).await;
        let second = spawn_send(waiter(shared.clone()));
        sleep(Duration::from_millis(5)).await;
        let (ready, changed) = &*shared;
        let mut guard = ready.lock().await;
        *guard = true;
        changed.notify_one(); // the first waiter's
        sleep(Duration::from_millis(5)).await; // it wakes, and waits for the lock held here
        assert!(
            first.cancel().await.is_none(),
            "cancelled while it waited for the lock"
        );
        drop(guard);
        let woke = jobloop::timeout(Duration::from_secs(5), second).await;
        assert!(
            woke.is_ok(),
            "the notification was lost with the cancelled waiter"
        );
    }

    /// `to_thread`: the loop keeps running other tasks while blocking work runs; a panic in the
    /// work resumes at the `.await` with its payload.
    pub async fn to_thread_keeps_the_runtime_running_and_resumes_panics() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = spawn_send({
            let ticks = ticks.clone();
            async move {
                loop {
                    sleep(Duration::from_millis(5)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
        let sums = tasks![send; for n in 0..4u64 => to_thread(move || {
            std::thread::sleep(Duration::from_millis(100)); // blocks its own thread only
            n * 10
        })]
        .await;
        assert_eq!(sums, [0, 10, 20, 30]);
        assert!(
            ticks.load(Ordering::SeqCst) >= 5,
            "the ticker ran while the work blocked: {} ticks",
            ticks.load(Ordering::SeqCst)
        );
        drop(ticker);
        let caught = CatchPanic::new(to_thread(|| -> u32 { panic!("work failed") })).await;
        assert_eq!(panic_message(caught.unwrap_err()), "work failed");
    }

    /// Waiting getters are served in the order they began to wait (single-threaded runtimes:
    /// on a multi-threaded one, which woken getter runs first is up to its threads).
    pub async fn waiting_getters_are_served_in_order() {
        let queue = Queue::new(0);
        let getters: Vec<_> = (0..3)
            .map(|id| {
                let queue = queue.clone();
                spawn(async move { (id, queue.get().await.unwrap()) })
            })
            .collect();
        sleep(Duration::from_millis(5)).await; // all three wait, in order
        for item in ["first", "second", "third"] {
            queue.try_put(item).unwrap();
        }
        let mut got = Vec::new();
        for getter in getters {
            got.push(getter.await);
        }
        assert_eq!(got, [(0, "first"), (1, "second"), (2, "third")]);
    }
}

/// Faults that must not crash the process: destructors that panic while a runtime drops a task.
/// Each case runs in a child process (this test binary, asked for one ignored test), because
/// what it guards against is an abort, which would take the whole suite down.
mod fault_cases {
    use super::*;

    /// A value whose `Drop` panics.
    pub struct PanicsWhenDropped;

    impl Drop for PanicsWhenDropped {
        fn drop(&mut self) {
            panic!("a destructor panicked");
        }
    }

    /// A race's loser holds a value that panics when the group cancels it.
    pub async fn a_cancelled_loser_whose_drop_panics_does_not_abort() {
        let (index, value) = tasks![race; async { 1u32 }, async {
            let _guard = PanicsWhenDropped;
            sleep(Duration::from_secs(30)).await;
            2u32
        }]
        .await;
        assert_eq!((index, value), (0, 1));
        // The runtime goes on.
        assert_eq!(tasks![async { "still running" }].await.0, "still running");
    }

    /// Both tasks of a race finish before the group looks: the loser's output, which the group
    /// never takes, panics when the group drops it.
    pub async fn an_untaken_output_whose_drop_panics_does_not_abort() {
        let (index, value) = tasks![race; async { None }, async { Some(PanicsWhenDropped) }].await;
        if index == 1 {
            // On a multi-threaded runtime the second may finish first: not what is tested.
            std::mem::forget(value);
        }
        assert_eq!(tasks![async { "still running" }].await.0, "still running");
    }

    /// A detached task is still waiting when the runtime shuts down; its destructor panics.
    pub async fn a_detached_task_whose_drop_panics_at_shutdown_does_not_abort() {
        drop(spawn(async {
            let _guard = PanicsWhenDropped;
            std::future::pending::<()>().await;
        }));
        yield_now().await;
    }

    /// Nobody takes a detached task's output, which panics when the runtime drops it.
    pub async fn a_detached_tasks_output_whose_drop_panics_does_not_abort() {
        drop(spawn(async {
            yield_now().await;
            PanicsWhenDropped
        }));
        for _ in 0..3 {
            yield_now().await;
        }
        sleep(Duration::from_millis(5)).await;
        assert_eq!(tasks![async { "still running" }].await.0, "still running");
    }

    /// Runs the ignored test `name` of this binary in a child process; it must succeed.
    pub fn in_a_child_process(name: &str) {
        let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", name, "--ignored", "--test-threads=1"])
            .output()
            .expect("run the child");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "`{name}` ended with {}:\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        // A name that matches no test runs nothing, and succeeds: the case must have run.
        assert!(
            stdout.contains("1 passed"),
            "`{name}` ran no test in the child:\n{stdout}"
        );
    }
}

/// For each case of `fault_cases`, the ignored test that runs it and the test that runs that in
/// a child process.
/// Subprocesses, on every runtime: waited for without blocking it (a `SIGCHLD` watcher),
/// output read from the loop's pipes or, elsewhere, on the blocking pool.
mod process_cases {
    pub async fn children_are_waited_for_without_blocking_the_runtime() {
        #[cfg(unix)]
        {
            use jobloop::process::Command;
            use jobloop::tasks;
            let (output, status) = tasks![
                async {
                    Command::new("sh")
                        .args(["-c", "sleep 0.1; echo out; echo err >&2; exit 3"])
                        .output()
                        .await
                        .unwrap()
                },
                async {
                    let mut child = Command::new("sleep").arg("0.1").spawn().unwrap();
                    child.wait().await.unwrap()
                },
            ]
            .await;
            assert_eq!(output.status.code(), Some(3));
            assert_eq!(
                (&output.stdout[..], &output.stderr[..]),
                (&b"out\n"[..], &b"err\n"[..])
            );
            assert!(status.success());
        }
    }
    /// A program that does not exist is named in the error, however it is started, and the
    /// kind stays `NotFound` (was the OS's message alone: "No such file or directory"); on a
    /// runtime of one's own `output` takes the pool's path, and names it too.
    pub async fn a_missing_program_is_named_in_the_error() {
        use jobloop::process::Command;
        fn check(error: std::io::Error, how: &str) {
            assert_eq!(error.kind(), std::io::ErrorKind::NotFound, "{how}: {error}");
            assert!(
                error.to_string().contains("`no-such-program-jobloop`"),
                "{how}: {error}"
            );
        }
        let missing = || Command::new("no-such-program-jobloop");
        check(missing().spawn().unwrap_err(), "spawn");
        check(missing().status().await.unwrap_err(), "status");
        check(missing().output().await.unwrap_err(), "output");
    }

    /// Whether the process `pid` is gone for good: reaped (a zombie still has its `/proc` entry).
    #[cfg(target_os = "linux")]
    fn reaped(pid: u32) -> bool {
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    /// `output()` gives the child a null standard input unless one is set (as std's `output`),
    /// and a piped one is closed at once: `cat` ends either way, on every runtime (on a runtime
    /// of one's own too, where the pipes are read on the blocking pool).
    pub async fn output_gives_the_child_a_null_or_closed_stdin() {
        #[cfg(unix)]
        {
            use jobloop::process::Command;
            use std::process::Stdio;
            use std::time::Duration;
            let default = jobloop::timeout(Duration::from_secs(10), Command::new("cat").output())
                .await
                .expect("cat read a null stdin to its end")
                .unwrap();
            assert!(default.status.success() && default.stdout.is_empty());
            let piped = jobloop::timeout(
                Duration::from_secs(10),
                Command::new("cat").stdin(Stdio::piped()).output(),
            )
            .await
            .expect("the piped stdin was closed")
            .unwrap();
            assert!(piped.status.success() && piped.stdout.is_empty());
        }
    }

    /// `output()` leaves its command as it was: a later `status()` inherits the streams again
    /// (it used to keep `output`'s pipes, unread, so a child that wrote more than a pipe holds
    /// hung for ever), and a stream that was set is used by `output()` too, as with std.
    pub async fn output_leaves_its_command_as_it_was() {
        #[cfg(target_os = "linux")]
        {
            use jobloop::process::Command;
            use std::process::Stdio;
            // What the child's descriptors 0, 1 and 2 are, written to a file: `status()` does
            // not capture them.
            let file = common::temp_path("streams");
            let mut command = Command::new("sh");
            command.args([
                "-c",
                "a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1); \
                 c=$(readlink /proc/$$/fd/2); printf '%s\\n' \"$a\" \"$b\" \"$c\" > \"$0\"",
            ]);
            command.arg(&file);
            command.output().await.unwrap();
            assert!(command.status().await.unwrap().success());
            let child_streams = std::fs::read_to_string(&file).unwrap();
            std::fs::remove_file(&file).unwrap();
            let own_streams: String = (0..3)
                .map(|fd| {
                    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
                    format!("{}\n", link.display())
                })
                .collect();
            assert_eq!(child_streams, own_streams, "status() inherits the streams");
            let output = Command::new("echo")
                .arg("not captured")
                .stdout(Stdio::null())
                .output()
                .await
                .unwrap();
            assert!(output.status.success() && output.stdout.is_empty());
        }
    }

    /// Children dropped without a wait, exited already or still running, are reaped when they
    /// exit: none stays a zombie until the parent exits.
    pub async fn dropped_children_leave_no_zombie() {
        #[cfg(target_os = "linux")]
        {
            use jobloop::process::Command;
            let mut pids = Vec::new();
            for i in 0..60 {
                let script = if i % 2 == 0 { "exit 0" } else { "sleep 0.1" };
                let mut child = Command::new("sh").args(["-c", script]).spawn().unwrap();
                pids.push(child.id());
                if i % 2 == 0 {
                    super::sleep(std::time::Duration::from_millis(1)).await;
                }
                drop(child);
            }
            let all_reaped = super::eventually(|| pids.iter().all(|&pid| reaped(pid))).await;
            let zombies: Vec<_> = pids.iter().filter(|&&pid| !reaped(pid)).collect();
            assert!(all_reaped, "not reaped after 5 s: {zombies:?}");
        }
    }

    /// A child started with `new_process_group` leads a group: a dropped `output()` or
    /// `status()` future kills the whole group (a shell's background command too), and one
    /// whose shell exited normally leaves it alone (the command runs on).
    pub async fn a_process_group_goes_with_a_dropped_future_and_stays_after_a_normal_exit() {
        #[cfg(target_os = "linux")]
        {
            use jobloop::process::Command;
            let pid_in = |file: &std::path::Path| {
                let pid = std::fs::read_to_string(file)
                    .ok()?
                    .trim()
                    .parse::<u32>()
                    .ok();
                let _ = std::fs::remove_file(file);
                pid
            };
            for through_output in [true, false] {
                let file = common::temp_path("group");
                let script = format!(
                    "sleep 30 & echo $! > {0}.tmp; mv {0}.tmp {0}; wait",
                    file.display()
                );
                let mut command = Command::new("sh");
                command.args(["-c", &script]).new_process_group();
                // The future is dropped (the race's loser) once the shell started its command.
                let (_, sleep) = jobloop::tasks![race, scoped;
                    async {
                        if through_output {
                            command.output().await.map(|output| output.status)
                        } else {
                            command.status().await
                        }
                        .unwrap();
                        None
                    },
                    async {
                        super::eventually(|| file.exists()).await;
                        pid_in(&file)
                    },
                ]
                .await;
                let sleep = sleep.expect("the shell wrote its command's pid");
                assert!(
                    super::eventually(|| !common::runs(sleep)).await,
                    "output: {through_output}: the shell's command {sleep} runs 5 s after"
                );
            }
            let file = common::temp_path("group");
            let script = format!("sleep 30 & echo $! > {}", file.display());
            let mut command = Command::new("sh");
            command.args(["-c", &script]).new_process_group();
            assert!(command.status().await.unwrap().success());
            let sleep = pid_in(&file).expect("the shell wrote its command's pid");
            super::sleep(std::time::Duration::from_millis(100)).await;
            assert!(
                common::runs(sleep),
                "`status` killed the background command"
            );
            let _ = std::process::Command::new("kill")
                .arg(sleep.to_string())
                .status();
        }
    }

    /// The child of `output()` or `status()` whose future is dropped before it exited (here by
    /// a timeout) is killed and reaped: no one could collect its result any more.
    pub async fn a_cancelled_output_or_status_kills_and_reaps_its_child() {
        #[cfg(target_os = "linux")]
        {
            use jobloop::process::Command;
            use std::time::Duration;
            for through_output in [true, false] {
                let file = common::temp_path("cancelled-child");
                let script = format!("echo $$ > {}; exec sleep 30", file.display());
                let mut command = Command::new("sh");
                command.args(["-c", &script]);
                let waited = jobloop::timeout(Duration::from_millis(500), async {
                    if through_output {
                        command.output().await.map(|output| output.status)
                    } else {
                        command.status().await
                    }
                })
                .await;
                assert!(waited.is_err(), "the child ran 30 s");
                let pid: u32 = std::fs::read_to_string(&file)
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                let _ = std::fs::remove_file(&file);
                assert!(
                    super::eventually(|| reaped(pid)).await,
                    "output: {through_output}: the child {pid} still runs (or is a zombie) 5 s after its future was dropped"
                );
            }
        }
    }
}

macro_rules! fault_tests {
    ($runtime:ident: $($case:ident),* $(,)?) => {
        mod fault {
            use super::*;
            $(
                #[test]
                fn $case() {
                    // The test's name in this binary: its module path without the crate's.
                    let here = module_path!().split_once("::").expect("a module path").1;
                    fault_cases::in_a_child_process(&format!(
                        "{here}::child::{}",
                        stringify!($case)
                    ));
                }
            )*
            mod child {
                use super::*;
                $(
                    #[test]
                    #[ignore = "run by the test of the same name one module up, in a child process"]
                    fn $case() {
                        run(fault_cases::$case());
                    }
                )*
            }
        }
    };
}

/// One `#[test]` per case of module `$cases`, inside a runtime's module (which has `run`).
macro_rules! case_tests {
    ($cases:ident: $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                run($cases::$case());
            }
        )*
    };
}

/// Runs every case on the runtime that `$runtime` builds. `single_threaded` runtimes also check
/// the start/end order of the seed, which multi-threaded runtimes do not guarantee.
macro_rules! conformance {
    ($name:ident, $runtime:expr, $threads:ident) => {
        mod $name {
            use super::*;

            /// The case boxed: the runtime's `block_on` is compiled once per output type
            /// rather than once per case and runtime (the suite's build: 142 s -> 130 s).
            fn run<T>(future: impl Future<Output = T>) -> T {
                let future: std::pin::Pin<Box<dyn Future<Output = T> + '_>> = Box::pin(future);
                Runtime::run($runtime, future)
            }

            #[test]
            fn outputs_come_back_in_written_order() {
                run(cases::outputs_come_back_in_written_order());
            }
            #[test]
            fn three_jobs_run_concurrently() {
                run(cases::three_jobs_run_concurrently());
            }
            #[test]
            fn a_panic_resumes_at_the_await_and_cancels_the_siblings() {
                run(cases::a_panic_resumes_at_the_await_and_cancels_the_siblings());
            }
            #[test]
            fn a_panicking_group_does_not_take_the_runtime_down() {
                run(cases::a_panicking_group_does_not_take_the_runtime_down());
            }
            #[test]
            fn dropping_a_group_cancels_its_tasks() {
                run(cases::dropping_a_group_cancels_its_tasks());
            }
            #[test]
            fn nested_groups_work_to_any_depth() {
                run(cases::nested_groups_work_to_any_depth());
            }
            #[test]
            fn ten_thousand_tasks_in_one_group() {
                run(cases::ten_thousand_tasks_in_one_group());
            }
            #[test]
            fn sleep_fires_neither_early_nor_far_too_late() {
                run(cases::sleep_fires_neither_early_nor_far_too_late());
            }
            #[test]
            fn a_spawned_task_runs_unawaited_and_is_awaited_later() {
                run(cases::a_spawned_task_runs_unawaited_and_is_awaited_later());
            }
            #[test]
            fn a_busy_group_lets_the_other_tasks_run() {
                run(cases::a_busy_group_lets_the_other_tasks_run());
            }
            #[test]
            fn a_task_whose_sleeps_are_always_due_lets_a_ticker_tick() {
                run(cases::a_task_whose_sleeps_are_always_due_lets_a_ticker_tick());
            }
            case_tests!(
                mode_cases:
                try_gives_every_ok_value_in_order,
                try_first_error_cancels_the_others,
                try_error_in_a_nested_group_cancels_the_outer_group,
                dropping_an_outer_group_cancels_the_inner_groups,
                a_timeout_cancels_the_children_and_releases_what_they_hold,
                settle_reports_every_outcome,
                task_errors_name_the_task,
                race_gives_the_first_to_finish_and_cancels_the_rest,
                limit_bounds_how_many_tasks_run_at_once,
                a_losers_panic_after_the_winner_does_not_change_a_race,
                a_panic_after_the_first_err_does_not_replace_it,
                a_timeout_leaves_the_rest_of_a_lazy_source_untouched,
                limit_starts_the_next_task_when_any_running_one_finishes,
                a_zero_timeout_follows_one_rule_on_every_runtime,
                task_timeout_counts_from_each_tasks_start,
                task_timeout_under_try_fails_the_group_with_the_elapsed_error,
                a_stream_yields_each_task_that_timed_out,
                a_scoped_tasks_timeout_counts_from_the_groups_first_poll,
                dropping_a_stream_after_a_timed_out_item_drops_that_tasks_future,
            );
            case_tests!(
                cancel_cases:
                an_outcome_is_handed_out_once_the_tasks_future_is_gone,
                cancelling_a_handle_and_awaiting_it_waits_for_the_futures_drop,
                try_returns_once_the_cancelled_tasks_are_dropped,
                race_returns_once_the_losers_are_dropped,
                a_race_returns_once_the_losers_shielded_commit_is_done,
                a_group_that_ends_early_waits_for_its_tasks_shielded_futures,
                a_shield_outlives_a_timeout_and_its_panic_does_not_hang_the_group,
                a_shielded_future_whose_poll_panics_is_not_polled_again,
                a_timeout_returns_once_the_tasks_are_dropped,
                a_panic_reaches_the_caller_once_the_siblings_are_dropped,
                dropping_a_group_drops_its_tasks_before_the_drop_returns,
                a_list_group_cancels_a_task_that_yields_at_every_step,
                a_list_group_cancelling_its_tasks_polls_none_of_them,
            );
            case_tests!(
                group_cases:
                a_stream_gives_outcomes_as_tasks_finish,
                a_settle_stream_gives_every_outcome,
                a_try_stream_ends_at_the_first_err_and_cancels_the_rest,
                a_panic_in_a_stream_cancels_the_rest_and_resumes_at_next,
                a_stream_ends_at_its_timeout,
                a_stream_at_its_deadline_accounts_for_every_item,
                a_stream_whose_tasks_all_finished_in_time_has_not_timed_out,
                a_stream_of_tasks_always_done_still_ends_at_its_timeout,
                dropping_a_stream_cancels_its_tasks,
                a_stream_is_a_futures_stream,
                a_task_set_takes_tasks_while_it_runs,
                dropping_a_task_set_cancels_its_tasks,
                a_task_set_cancels_one_task,
                a_task_set_takes_tasks_from_its_spawners,
                a_task_set_tells_each_task_its_number,
                a_task_set_with_a_limit_runs_at_most_that_many,
                task_set_start_returns_once_the_task_is_ready,
                a_handle_takes_work_from_other_threads,
                scoped_tasks_borrow,
                scoped_tasks_start_when_polled_and_panics_reach_the_caller,
                scoped_tasks_start_in_written_order,
            );
            case_tests!(
                toolkit_cases:
                a_queue_feeds_workers_and_join_waits_for_task_done,
                a_full_queue_makes_put_wait_and_try_put_fail,
                a_shut_down_queue_gives_its_items_then_fails,
                priority_and_lifo_queues_give_their_order,
                shutdown_now_drops_the_items_and_releases_join,
                a_condvar_hands_values_over_without_lost_wake_ups,
                a_condvar_waiter_cancelled_after_its_wake_up_passes_it_on,
                an_event_wakes_every_waiter,
                a_mutex_semaphore_and_barrier_coordinate_tasks,
                an_event_set_then_cleared_releases_every_task_waiting_at_the_set,
                a_cancelled_barrier_waiter_no_longer_counts,
                a_once_cell_loads_once_for_every_caller_and_retries_a_failed_load,
                to_thread_keeps_the_runtime_running_and_resumes_panics,
            );
            #[cfg(feature = "context")]
            #[test]
            fn context_vars_flow_into_every_task_and_never_back() {
                run(toolkit_cases::context_vars_flow_into_every_task_and_never_back());
            }
            #[cfg(feature = "context")]
            #[test]
            fn a_cancelled_tasks_destructors_and_shield_keep_its_context() {
                run(cancel_cases::a_cancelled_tasks_destructors_and_shield_keep_its_context());
            }
            case_tests!(
                process_cases:
                children_are_waited_for_without_blocking_the_runtime,
                dropped_children_leave_no_zombie,
                a_cancelled_output_or_status_kills_and_reaps_its_child,
                output_gives_the_child_a_null_or_closed_stdin,
                output_leaves_its_command_as_it_was,
                a_process_group_goes_with_a_dropped_future_and_stays_after_a_normal_exit,
                a_missing_program_is_named_in_the_error,
            );
            #[test]
            fn tasks_timing_out_at_once_let_the_group_yield() {
                within(Duration::from_secs(5), || {
                    run(cancel_cases::tasks_timing_out_at_once_let_the_group_yield())
                });
            }
            /// A `Handle` whose runtime has been dropped gives `RuntimeGone`: at once for new
            /// work, and to a thread blocked on work the runtime dropped unfinished (no hang).
            #[test]
            fn a_handle_whose_runtime_is_gone_says_so() {
                let handle = run(async { jobloop::Handle::current() });
                assert!(handle.block_on(async { 1 }).is_err());
                assert!(handle.spawn(async { 1 }).is_err());
                assert!(format!("{handle:?}").contains("runtime_gone: true"));
                let waiter = run(async {
                    let handle = jobloop::Handle::current();
                    let waiter = std::thread::spawn(move || {
                        handle.block_on(async {
                            sleep(Duration::from_secs(60)).await;
                            1
                        })
                    });
                    sleep(Duration::from_millis(50)).await; // the work has started
                    waiter
                });
                let outcome = within(Duration::from_secs(5), move || waiter.join().unwrap());
                assert!(outcome.is_err(), "the blocked thread learns its runtime is gone");
            }
            /// Threads calling `block_on` and `spawn` through a `Handle` in a loop while its
            /// runtime is dropped: every call returns (an output, or `RuntimeGone` once the
            /// runtime is gone), none hangs or panics, on every runtime.
            #[test]
            fn handles_used_while_their_runtime_is_dropped_never_hang() {
                for _ in 0..20 {
                    let (handle, stop) = (
                        std::sync::Arc::new(std::sync::Mutex::new(None)),
                        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
                    );
                    let threads: Vec<_> = (0..3)
                        .map(|i| {
                            let (handle, stop) = (handle.clone(), stop.clone());
                            std::thread::spawn(move || {
                                let handle: jobloop::Handle = loop {
                                    if let Some(handle) = handle.lock().unwrap().clone() {
                                        break handle;
                                    }
                                    std::thread::yield_now();
                                };
                                let mut served = 0u32;
                                while !stop.load(Ordering::SeqCst) {
                                    let outcome = if i % 2 == 0 {
                                        handle.block_on(async { yield_now().await; 1 })
                                    } else {
                                        handle.spawn(async { 1 }).map(drop).map(|()| 1)
                                    };
                                    match outcome {
                                        Ok(_) => served += 1,
                                        Err(_) => return served,
                                    }
                                    // A breath between calls: a runtime that runs its tasks
                                    // until none is ready (the `LocalPool` of one's own) would
                                    // otherwise never come back to its main future.
                                    std::thread::sleep(Duration::from_micros(200));
                                }
                                served
                            })
                        })
                        .collect();
                    run(async {
                        *handle.lock().unwrap() = Some(jobloop::Handle::current());
                        sleep(Duration::from_millis(5)).await;
                    });
                    // The runtime is gone: the calls that follow give `RuntimeGone` at once.
                    let finished = within(Duration::from_secs(5), move || {
                        for thread in threads {
                            thread.join().expect("no panic");
                        }
                        stop.store(true, Ordering::SeqCst);
                    });
                    let () = finished;
                }
            }
            #[test]
            fn a_panic_in_main_reaches_the_caller_with_its_payload() {
                let payload = catch_unwind(|| run(async { panic!("main failed") }));
                assert_eq!(panic_message(payload.expect_err("main panicked")), "main failed");
            }
            fault_tests!(
                $name:
                a_cancelled_loser_whose_drop_panics_does_not_abort,
                an_untaken_output_whose_drop_panics_does_not_abort,
                a_detached_task_whose_drop_panics_at_shutdown_does_not_abort,
                a_detached_tasks_output_whose_drop_panics_does_not_abort,
            );
            conformance!(@order $threads);
        }
    };
    (@order single_threaded) => {
        #[test]
        fn jobs_start_in_order_then_end_in_order() {
            run(cases::jobs_start_in_order_then_end_in_order());
        }
        #[test]
        fn waiting_getters_are_served_in_order() {
            run(toolkit_cases::waiting_getters_are_served_in_order());
        }
        // On a multi-threaded runtime a woken task may run on another thread at once.
        #[test]
        fn a_task_woken_but_not_yet_run_is_dropped_with_its_group() {
            run(cancel_cases::a_task_woken_but_not_yet_run_is_dropped_with_its_group());
        }
    };
    (@order multi_threaded) => {};
}

conformance!(event_loop, jobloop::EventLoop::new(), single_threaded);
conformance!(
    custom_local_pool,
    custom_runtime::LocalPoolRuntime::new(),
    single_threaded
);
#[cfg(feature = "tokio")]
conformance!(
    tokio_current_thread,
    jobloop::runtime::Tokio::current_thread(),
    single_threaded
);
#[cfg(feature = "tokio")]
conformance!(
    tokio_multi_thread,
    jobloop::runtime::Tokio::multi_thread(2),
    multi_threaded
);
#[cfg(feature = "smol")]
conformance!(smol, jobloop::runtime::Smol::new(), single_threaded);

/// Tasks that stay on their thread cannot run on a tokio worker: the spawn panics and names the
/// real fix, `spawn_send` or `tasks![send; ..]`, even for a future that is `Send` already. (A
/// plain `tasks![]` group inside a `send` task is rejected earlier, at compile time: see
/// tests/ui/fail/tasks_local_group_in_send_task.rs.)
#[cfg(feature = "tokio")]
#[test]
#[should_panic(expected = "use `jobloop::spawn_send` or `tasks![send; ...]` here")]
fn jobloop_spawn_on_a_tokio_worker_panics_and_names_spawn_send() {
    Runtime::run(jobloop::runtime::Tokio::multi_thread(2), async {
        // The outer task is `Send` and runs on a worker; `spawn` keeps its task on that thread,
        // which tokio cannot do there, although this future is `Send`.
        tasks![send; async { spawn(async { 1 }).await }].await;
    });
}

/// `shield` keeps its future on its thread when cancelled, which a tokio worker cannot: its first
/// poll there panics, naming where it was made and `shield_send`, which works there.
#[cfg(feature = "tokio")]
#[test]
fn shield_on_a_tokio_worker_panics_and_names_shield_send() {
    let caught = Runtime::run(jobloop::runtime::Tokio::multi_thread(2), async {
        let out = tasks![send; async { jobloop::shield_send(async { 1 }).await }].await;
        assert_eq!(out, (1,));
        CatchPanic::new(tasks![send; async { jobloop::shield(async { 2 }).await }]).await
    });
    let message = panic_message(caught.expect_err("shield panicked"));
    assert!(message.contains("use `jobloop::shield_send`"), "{message}");
    assert!(message.contains("conformance.rs"), "{message}");
}

/// On tokio, `to_thread` work runs inside tokio's context (on jobloop's pool, which nothing
/// waits for at exit, not on tokio's): tokio's `Handle::current()` works there.
#[cfg(feature = "tokio")]
#[test]
fn to_thread_work_on_tokio_runs_inside_tokios_context() {
    for runtime in [
        jobloop::runtime::Tokio::current_thread(),
        jobloop::runtime::Tokio::multi_thread(2),
    ] {
        let inside = runtime.run(async {
            jobloop::to_thread(|| tokio::runtime::Handle::try_current().is_ok()).await
        });
        assert!(inside, "no tokio context in the closure");
    }
}

/// Under `Tokio`, tokio's own I/O types work inside the jobs.
#[cfg(feature = "tokio")]
#[test]
fn tokio_io_types_work_inside_jobs() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    for runtime in [
        jobloop::runtime::Tokio::current_thread(),
        jobloop::runtime::Tokio::multi_thread(2),
    ] {
        let replies = runtime.run(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = spawn_send(async move {
                for _ in 0..3 {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    spawn_send(async move {
                        let mut request = [0u8; 16];
                        let n = stream.read(&mut request).await.unwrap();
                        sleep(Duration::from_millis(50)).await;
                        stream.write_all(&request[..n]).await.unwrap();
                    });
                }
            });
            let replies = tasks![send; for id in 0..3u8 => async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                stream.write_all(&[id]).await.unwrap();
                let mut reply = Vec::new();
                stream.read_to_end(&mut reply).await.unwrap();
                reply
            }]
            .await;
            server.await;
            replies
        });
        assert_eq!(replies, [vec![0], vec![1], vec![2]]);
    }
}

/// On smol a group's runner, once the group is done, waits for the next group of its thread
/// (`task/runner.rs`): only of its own executor. Two executors on one thread take turns, and a
/// third comes after one is dropped (perhaps where it was in memory); every group runs on the
/// executor that awaits it. A runner given to the wrong executor would never run: the whole is
/// bounded by a timeout.
#[cfg(feature = "smol")]
#[test]
fn smol_executors_on_one_thread_run_their_own_groups() {
    use jobloop::runtime::Smol;

    // A group waiting on a runner of another executor would wait forever.
    within(Duration::from_secs(20), || {
        let group =
            |offset: usize| async move { tasks![for i in 0..3 => async move { i + offset }].await };
        let (a, b) = (Smol::new(), Smol::new());
        for round in 0..3 {
            assert_eq!(a.block_on(group(round)), [round, round + 1, round + 2]);
            assert_eq!(
                b.block_on(group(10 + round)),
                [10 + round, 11 + round, 12 + round]
            );
        }
        drop(a);
        let c = Smol::new();
        assert_eq!(c.block_on(group(20)), [20, 21, 22]);
        assert_eq!(b.block_on(group(30)), [30, 31, 32]);
    });
}

/// A group kept from one runtime's `block_on` to another's on the same thread starts its later
/// tasks on the runtime that runs then (a group's runner serves one `block_on`: the first
/// runtime is not driven any more, so a task left to it would never run). Bounded by a timeout.
#[cfg(feature = "smol")]
#[test]
#[allow(clippy::async_yields_async)] // the group is handed out of `block_on` on purpose
fn a_group_kept_from_one_runtime_to_the_next_runs_its_later_tasks_on_the_next() {
    use jobloop::runtime::Smol;
    use jobloop::TaskGroup;

    // One task started under runtime `$a`, which then stops; one more under `$b`.
    macro_rules! kept_from_a_to_b {
        ($a:expr, $b:expr, $group:expr) => {{
            let (a, b) = ($a, $b);
            let group = a.block_on(async {
                let mut group = $group;
                group.spawn(async { 1 });
                sleep(Duration::from_millis(10)).await;
                group
            });
            let out = b.block_on(async move {
                let mut group = group;
                group.spawn(async { 2 });
                group.await
            });
            assert_eq!(out, [1, 2]);
        }};
    }

    // A task of the group left to a runtime that no longer runs would wait forever.
    within(Duration::from_secs(20), || {
        kept_from_a_to_b!(Smol::new(), Smol::new(), TaskGroup::new());
        // The same for a `send` group on tokio's current-thread runtime, whose first runner
        // is a task of the first runtime.
        #[cfg(feature = "tokio")]
        {
            use jobloop::runtime::Tokio;
            kept_from_a_to_b!(
                Tokio::current_thread(),
                Tokio::current_thread(),
                TaskGroup::new_send()
            );
        }
    });
}

/// A `send` group moved to another thread while a task it started runs on the first: that task
/// finishes there (its runner is kept until the group is done), and the group's later tasks
/// run on the second thread's runtime. Bounded by a timeout.
#[cfg(feature = "smol")]
#[test]
fn a_send_group_moved_to_another_thread_keeps_the_tasks_it_started_before() {
    use jobloop::runtime::Smol;
    use jobloop::TaskGroup;

    let (to_second, from_first) =
        std::sync::mpsc::channel::<TaskGroup<u32, jobloop::group::Sendable>>();
    let first = std::thread::spawn(move || {
        Smol::new().block_on(async move {
            let mut group = TaskGroup::new_send();
            group.spawn(async {
                sleep(Duration::from_millis(100)).await;
                1
            });
            to_second.send(group).unwrap();
            // Keeps the first runtime running while its task sleeps.
            sleep(Duration::from_millis(400)).await;
        });
    });
    // The task started before the move, dropped with its runner, would never finish.
    let out = within(Duration::from_secs(20), move || {
        let group = from_first.recv().unwrap();
        Smol::new().block_on(async move {
            let mut group = group;
            group.spawn(async { 2 });
            group.await
        })
    });
    assert_eq!(out, [1, 2]);
    first.join().unwrap();
}

/// Under `Smol`, async-io's I/O types work inside the jobs.
#[cfg(feature = "smol")]
#[test]
fn async_io_types_work_inside_jobs_under_smol() {
    use async_io::Async;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    let replies = jobloop::runtime::Smol::new().run(async {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let server = spawn(async move {
            for _ in 0..3 {
                let (stream, _) = listener.accept().await.unwrap();
                spawn(async move {
                    let mut request = [0u8; 16];
                    let n = stream
                        .read_with(|s| (&*s).read(&mut request))
                        .await
                        .unwrap();
                    sleep(Duration::from_millis(50)).await;
                    stream
                        .write_with(|s| (&*s).write(&request[..n]))
                        .await
                        .unwrap();
                });
            }
        });
        let replies = tasks![for id in 0..3u8 => async move {
            let stream = Async::<TcpStream>::connect(addr).await.unwrap();
            stream.write_with(|s| (&*s).write(&[id])).await.unwrap();
            let mut reply = [0u8; 1];
            stream.read_with(|s| (&*s).read(&mut reply)).await.unwrap();
            reply[0]
        }]
        .await;
        server.await;
        replies
    });
    assert_eq!(replies, [0, 1, 2]);
}
