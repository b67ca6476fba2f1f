//! One set of behaviour tests, run against every runtime jobloop supports: the embedded event
//! loop, tokio current-thread and multi-thread, smol, and the custom `LocalPool` runtime of
//! `examples/custom_runtime.rs`. Adding a runtime is one `conformance!` line at the bottom.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jobloop::{sleep, spawn, spawn_send, tasks, yield_now, Runtime};

#[allow(dead_code)] // its `main` is the example's
#[path = "../examples/custom_runtime.rs"]
mod custom_runtime;

/// Counts drops of its tokens.
#[derive(Clone, Default)]
struct DropCounter(Arc<AtomicUsize>);

struct DropToken(Arc<AtomicUsize>);

impl DropCounter {
    fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }
    fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

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

/// Waits (on the runtime's timer) until `done` holds, for at most 5 s.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(5) {
            return false;
        }
        sleep(Duration::from_millis(2)).await;
    }
    true
}

fn payload_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|message| message.to_string())
            .unwrap_or_default(),
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
        let outcome = spawn(async move { CatchPanic(Box::pin(group)).await }).await;
        let message = payload_message(outcome.expect_err("the group panicked"));
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
        let outcome = CatchPanic(Box::pin(async {
            tasks![async { 1 }, async { panic!("second failed") }].await
        }))
        .await;
        assert_eq!(
            payload_message(outcome.expect_err("panicked")),
            "second failed"
        );
    }

    pub async fn a_panicking_group_does_not_take_the_runtime_down() {
        let failing = spawn(async { tasks![async { panic!("this group fails") }].await });
        let healthy = tasks![for id in 0..3 => async move {
            sleep(Duration::from_millis(10)).await;
            id
        }];
        assert!(CatchPanic(Box::pin(failing)).await.is_err());
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
}

/// Awaits a future, turning its panic into `Err`.
struct CatchPanic<F>(std::pin::Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = std::thread::Result<F::Output>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Ok(std::task::Poll::Ready(value)) => std::task::Poll::Ready(Ok(value)),
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    }
}

/// Runs every case on the runtime that `$runtime` builds. `single_threaded` runtimes also check
/// the start/end order of the seed, which multi-threaded runtimes do not guarantee.
macro_rules! conformance {
    ($name:ident, $runtime:expr, $threads:ident) => {
        mod $name {
            use super::*;

            fn run<F: Future>(future: F) -> F::Output {
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
            fn a_panic_in_main_reaches_the_caller_with_its_payload() {
                let payload = catch_unwind(|| run(async { panic!("main failed") }));
                assert_eq!(payload_message(payload.expect_err("main panicked")), "main failed");
            }
            conformance!(@order $threads);
        }
    };
    (@order single_threaded) => {
        #[test]
        fn jobs_start_in_order_then_end_in_order() {
            run(cases::jobs_start_in_order_then_end_in_order());
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

/// Tasks that stay on their thread cannot run on a tokio worker: the spawn panics and says why.
#[cfg(feature = "tokio")]
#[test]
#[should_panic(
    expected = "a task that is not `Send` was spawned on a worker thread of jobloop's \
                           Tokio::multi_thread(n)"
)]
fn a_local_task_spawned_on_a_tokio_worker_panics_with_the_fix() {
    Runtime::run(jobloop::runtime::Tokio::multi_thread(2), async {
        // The outer task is `Send` and runs on a worker; the inner group is not `send`.
        tasks![send; async {
            tasks![async {
                let local = std::rc::Rc::new(1);
                yield_now().await;
                *local
            }]
            .await
        }]
        .await;
    });
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
