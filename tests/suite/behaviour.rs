//! The behaviour promised by issue 2 on the embedded event loop: order, outputs, timing,
//! panics, cancellation, `!Send` tasks, nesting, size, and misuse at run time.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{CatchPanic, DropCounter};
use jobloop::{job_test, sleep, spawn, tasks, yield_now, EventLoop, TaskGroup};

/// Records events in order, for tests of who runs when.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    fn push(&self, event: impl Into<String>) {
        self.0.borrow_mut().push(event.into());
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

async fn logged_job(log: Log, id: u32, wait: Duration) -> u32 {
    log.push(format!("start {id}"));
    sleep(wait).await;
    log.push(format!("end {id}"));
    id * 10
}

#[job_test(virtual_time)]
async fn jobs_start_in_order_then_end_in_order() {
    let log = Log::default();
    let out =
        tasks![for id in 0..3 => logged_job(log.clone(), id, Duration::from_millis(50))].await;
    assert_eq!(out, [0, 10, 20]);
    assert_eq!(
        log.take(),
        ["start 0", "start 1", "start 2", "end 0", "end 1", "end 2"]
    );
}

#[job_test(virtual_time)]
async fn outputs_come_back_in_written_order_whatever_order_tasks_finish_in() {
    let log = Log::default();
    // Later tasks finish first.
    let out = tasks![for id in 0..4u32 =>
        logged_job(log.clone(), id, Duration::from_millis(40 - 10 * u64::from(id)))]
    .await;
    assert_eq!(out, [0, 10, 20, 30]);
    let (a, b, c) = tasks![
        logged_job(log.clone(), 7, Duration::from_millis(30)),
        async { "hi" },
        logged_job(log.clone(), 8, Duration::from_millis(1)),
    ]
    .await;
    assert_eq!((a, b, c), (70, "hi", 80));
}

#[job_test]
async fn single_task_list_gives_a_one_tuple() {
    let (only,) = tasks![async { 5 }].await;
    assert_eq!(only, 5);
}

#[test]
fn three_200ms_jobs_finish_together_well_under_600ms() {
    let start = Instant::now();
    EventLoop::new().block_on(async {
        tasks![for _ in 0..3 => sleep(Duration::from_millis(200))].await;
    });
    let elapsed = start.elapsed();
    assert!(elapsed >= Duration::from_millis(200), "{elapsed:?}");
    // Generous bound: 3 × 200 ms in sequence would be 600 ms.
    assert!(elapsed < Duration::from_millis(450), "{elapsed:?}");
}

#[test]
fn sleep_never_fires_before_its_deadline() {
    EventLoop::new().block_on(async {
        for ms in [1u64, 5, 20] {
            let start = Instant::now();
            sleep(Duration::from_millis(ms)).await;
            assert!(start.elapsed() >= Duration::from_millis(ms));
        }
    });
}

#[job_test(virtual_time)]
async fn equal_deadlines_fire_in_the_order_they_were_set() {
    let log = Log::default();
    let deadline = jobloop::now() + Duration::from_millis(20);
    tasks![for id in 0..5 => {
        let log = log.clone();
        async move {
            jobloop::sleep_until(deadline).await;
            log.push(id.to_string());
        }
    }]
    .await;
    assert_eq!(log.take(), ["0", "1", "2", "3", "4"]);
}

/// Runs `future` on a fresh loop and returns the panic payload it ended with.
fn panic_payload_of(future: impl std::future::Future<Output = ()>) -> String {
    let payload = catch_unwind(AssertUnwindSafe(|| EventLoop::new().block_on(future)))
        .expect_err("the future should have panicked");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else {
        panic!("payload is neither String nor &str")
    }
}

#[test]
fn panic_in_a_task_resumes_at_the_await_with_the_original_payload() {
    let message = panic_payload_of(async {
        tasks![for id in 0..3 => async move {
            if id == 1 {
                std::panic::panic_any(format!("job {id} failed"));
            }
        }]
        .await;
    });
    assert_eq!(message, "job 1 failed");
    let message = panic_payload_of(async {
        let _ = tasks![async { 1 }, async { panic!("second task failed") }, async {
            3
        }]
        .await;
    });
    assert_eq!(message, "second task failed");
}

#[test]
fn panic_in_a_later_task_is_not_held_back_by_a_slow_earlier_task() {
    let counter = DropCounter::default();
    let start = Instant::now();
    let message = panic_payload_of({
        let counter = counter.clone();
        async move {
            tasks![for id in 0..4 => {
                let token = counter.token();
                async move {
                    let _token = token;
                    if id == 3 {
                        sleep(Duration::from_millis(10)).await;
                        panic!("job 3 failed");
                    }
                    sleep(Duration::from_secs(30)).await;
                }
            }]
            .await;
        }
    });
    assert_eq!(message, "job 3 failed");
    // Far less than the 30 s the other tasks would sleep: they were cancelled.
    assert!(start.elapsed() < Duration::from_secs(10));
    // Every task's future was dropped, the panicking one included.
    assert_eq!(counter.dropped(), 4);
}

#[job_test(virtual_time)]
async fn siblings_are_cancelled_when_a_task_panics() {
    let counter = DropCounter::default();
    let finished = Rc::new(Cell::new(0));
    let group = tasks![for id in 0..5 => {
        let token = counter.token();
        let finished = finished.clone();
        async move {
            let _token = token;
            if id == 0 {
                sleep(Duration::from_millis(5)).await;
                panic!("boom");
            }
            sleep(Duration::from_millis(200)).await;
            finished.set(finished.get() + 1);
        }
    }];
    // Await the group inside a task: its panic reaches the JoinHandle, not this test.
    let result = spawn(group);
    let outcome = CatchPanic::new(result).await;
    assert!(outcome.is_err());
    // Give the loop a turn to drop the cancelled futures, then well past their 200 ms.
    sleep(Duration::from_millis(300)).await;
    assert_eq!(finished.get(), 0, "no sibling ran to completion");
    assert_eq!(counter.dropped(), 5);
}

#[job_test(virtual_time)]
async fn a_panicking_task_does_not_take_the_loop_or_other_groups_down() {
    let failing = spawn(async {
        tasks![async { panic!("this group fails") }].await;
    });
    let healthy = tasks![for id in 0..3 => async move {
        sleep(Duration::from_millis(20)).await;
        id
    }];
    assert!(CatchPanic::new(failing).await.is_err());
    assert_eq!(healthy.await, [0, 1, 2]);
    // A detached task that panics is reported by the panic hook and otherwise ignored.
    drop(spawn(async { panic!("detached task fails") }));
    sleep(Duration::from_millis(5)).await;
    assert_eq!(tasks![async { "still running" }].await.0, "still running");
}

#[job_test(virtual_time)]
async fn dropping_a_group_before_it_completes_cancels_all_its_tasks() {
    let counter = DropCounter::default();
    let finished = Rc::new(Cell::new(0));
    let group = tasks![for _ in 0..10 => {
        let token = counter.token();
        let finished = finished.clone();
        async move {
            let _token = token;
            sleep(Duration::from_millis(50)).await;
            finished.set(finished.get() + 1);
        }
    }];
    yield_now().await; // the tasks start and go to sleep
    drop(group);
    yield_now().await; // the loop drops the cancelled futures
    assert_eq!(counter.dropped(), 10);
    sleep(Duration::from_millis(100)).await;
    assert_eq!(finished.get(), 0);

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
    drop(list); // before it ever ran
    yield_now().await;
    assert_eq!(list_counter.dropped(), 2);
}

#[job_test(virtual_time)]
async fn a_spawned_task_runs_without_being_awaited_and_detaches_on_drop() {
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    drop(spawn(async move {
        sleep(Duration::from_millis(10)).await;
        flag.set(true);
    }));
    sleep(Duration::from_millis(30)).await;
    assert!(ran.get(), "the detached task ran to completion");
}

#[job_test(virtual_time)]
async fn a_spawned_task_runs_as_soon_as_the_spawner_yields_and_is_awaited_later() {
    let log = Log::default();
    let task_log = log.clone();
    let handle = spawn(async move {
        task_log.push("task runs");
        sleep(Duration::from_millis(10)).await;
        task_log.push("task ends");
        7
    });
    log.push("spawner continues");
    yield_now().await;
    log.push("spawner resumes");
    sleep(Duration::from_millis(30)).await;
    assert!(handle.is_finished());
    assert_eq!(handle.await, 7);
    assert_eq!(
        log.take(),
        [
            "spawner continues",
            "task runs",
            "spawner resumes",
            "task ends"
        ]
    );
}

#[job_test(virtual_time)]
async fn cancelling_a_join_handle_drops_the_task() {
    let counter = DropCounter::default();
    let token = counter.token();
    let handle = spawn(async move {
        let _token = token;
        sleep(Duration::from_secs(10)).await;
    });
    yield_now().await;
    drop(handle.cancel()); // the call cancels; nothing awaits the cancellation here
    yield_now().await;
    assert_eq!(counter.dropped(), 1);
}

#[job_test]
async fn tasks_need_not_be_send() {
    let shared = Rc::new(RefCell::new(Vec::new()));
    tasks![for id in 0..3 => {
        let shared = shared.clone();
        async move {
            yield_now().await;
            shared.borrow_mut().push(id);
        }
    }]
    .await;
    assert_eq!(*shared.borrow(), [0, 1, 2]);
}

async fn fan_out(depth: u32) -> u32 {
    if depth == 0 {
        sleep(Duration::from_millis(1)).await;
        return 1;
    }
    // Each level starts its own group: nesting works from any async fn.
    let leaves: Vec<u32> = tasks![for _ in 0..3 => Box::pin(fan_out(depth - 1))].await;
    leaves.iter().sum()
}

#[job_test(virtual_time)]
async fn nested_groups_work_to_any_depth() {
    assert_eq!(fan_out(4).await, 81);
}

#[job_test]
async fn ten_thousand_tasks_in_one_group() {
    let out = tasks![for i in 0..10_000u64 => async move {
        yield_now().await;
        i * 2
    }]
    .await;
    assert_eq!(out.len(), 10_000);
    assert!(out.iter().enumerate().all(|(i, &v)| v == i as u64 * 2));
}

#[test]
fn a_waker_fired_from_another_thread_wakes_the_loop_at_once() {
    let start = Instant::now();
    let value = EventLoop::new().block_on(async {
        let (sender, receiver) = std::sync::mpsc::channel::<u32>();
        let slot = Arc::new(std::sync::Mutex::new(None::<std::task::Waker>));
        let ready = Arc::new(AtomicUsize::new(0));
        let thread_slot = slot.clone();
        let thread_ready = ready.clone();
        let worker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            sender.send(42).unwrap();
            thread_ready.store(1, Ordering::SeqCst);
            if let Some(waker) = thread_slot.lock().unwrap().take() {
                waker.wake();
            }
        });
        // A task (not main) waits for the worker, so the wake goes through a task's waker.
        let value = spawn(std::future::poll_fn(move |cx| {
            if ready.load(Ordering::SeqCst) == 1 {
                return std::task::Poll::Ready(receiver.recv().unwrap());
            }
            *slot.lock().unwrap() = Some(cx.waker().clone());
            if ready.load(Ordering::SeqCst) == 1 {
                cx.waker().wake_by_ref();
            }
            std::task::Poll::Pending
        }))
        .await;
        worker.join().unwrap();
        value
    });
    assert_eq!(value, 42);
    // The loop had no timer to wake it: only the cross-thread wake did, promptly.
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn spawn_outside_a_runtime_says_how_to_start_one() {
    let payload = catch_unwind(|| drop(spawn(async {}))).expect_err("spawn must panic");
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(message.contains("outside a jobloop runtime"), "{message}");
    assert!(message.contains("#[jobloop::job_main]"), "{message}");
    assert!(message.contains("block_on"), "{message}");
}

#[test]
fn tasks_outside_a_runtime_says_how_to_start_one() {
    let payload = catch_unwind(|| drop(tasks![async { 1 }])).expect_err("tasks! must panic");
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(
        message.contains("`tasks![]` was called outside a jobloop runtime"),
        "{message}"
    );
}

#[test]
fn block_on_inside_a_task_panics_with_a_clear_message() {
    let message = panic_payload_of(async {
        EventLoop::new().block_on(async {});
    });
    assert!(
        message.contains("already running on this thread"),
        "{message}"
    );
}

#[test]
fn dropping_the_loop_drops_the_tasks_left_on_it() {
    let counter = DropCounter::default();
    let event_loop = EventLoop::new();
    event_loop.block_on(async {
        for _ in 0..3 {
            let token = counter.token();
            drop(spawn(async move {
                let _token = token;
                sleep(Duration::from_secs(60)).await;
            }));
        }
        yield_now().await;
    });
    assert_eq!(counter.dropped(), 0, "detached tasks stay on the loop");
    drop(event_loop);
    assert_eq!(counter.dropped(), 3);
}

#[test]
#[allow(clippy::async_yields_async)] // returning the handle un-awaited is the point
fn a_loop_runs_several_block_on_calls_and_keeps_pending_tasks() {
    let event_loop = EventLoop::new();
    let handle = event_loop.block_on(async {
        spawn(async {
            sleep(Duration::from_millis(10)).await;
            "done"
        })
    });
    assert_eq!(event_loop.block_on(handle), "done");
}

#[test]
fn task_group_without_the_macro() {
    let out = EventLoop::new().block_on(async {
        let mut group = TaskGroup::new();
        assert!(group.is_empty());
        for i in 0..3 {
            group.spawn(async move { i + 1 });
        }
        assert_eq!(group.len(), 3);
        group.await
    });
    assert_eq!(out, [1, 2, 3]);
}

#[job_test]
async fn an_empty_for_group_gives_an_empty_vec() {
    let out: Vec<u8> = tasks![for x in std::iter::empty::<u8>() => async move { x }].await;
    assert!(out.is_empty());
}

#[job_test]
async fn job_test_may_return_a_result() -> Result<(), String> {
    let (value,) = tasks![async { Ok::<u32, String>(3) }].await;
    assert_eq!(value?, 3);
    Ok(())
}

#[job_test]
#[should_panic(expected = "expected failure")]
async fn job_test_keeps_should_panic() {
    tasks![async { panic!("expected failure") }].await;
}

#[job_test(runtime = jobloop::EventLoop::new())]
async fn job_test_takes_a_runtime_value() {
    sleep(Duration::from_millis(1)).await;
}

// ---------------------------------------------------------------------------------------------
// jobloop::net on the loop's reactor.

#[job_test]
async fn connecting_to_a_port_nobody_listens_on_is_refused() {
    use jobloop::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener); // the port is free again, and nobody listens on it
    let error = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[job_test]
async fn a_server_and_fifty_clients_share_one_loop() {
    use jobloop::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(async move {
        // Echo servers, one task per connection, started as connections arrive.
        let mut connections = Vec::new();
        for _ in 0..50 {
            let (stream, _) = listener.accept().await.unwrap();
            connections.push(spawn(async move {
                let mut request = Vec::new();
                stream.read_to_end(&mut request).await.unwrap();
                stream.write_all(&request).await.unwrap();
            }));
        }
        for connection in connections {
            connection.await;
        }
    });
    let replies = tasks![for id in 0..50 => async move {
        let stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("client {id}: {}", "x".repeat(id * 1000));
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await.unwrap();
        (request, String::from_utf8(reply).unwrap())
    }]
    .await;
    server.await;
    for (request, reply) in replies {
        assert_eq!(reply, request);
    }
}

#[test]
fn a_socket_made_outside_the_loop_says_where_to_make_it() {
    let error = jobloop::net::TcpListener::bind("127.0.0.1:0").unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::Other);
    assert!(
        error.to_string().contains("#[jobloop::job_main]"),
        "unexpected message: {error}"
    );
}

// ---------------------------------------------------------------------------------------------
// The `for` form with a mode and no limit evaluates its task expressions where it is written.

async fn lengths(inputs: &[&str]) -> Result<Vec<Result<usize, jobloop::TaskError>>, String> {
    let prefix = async { String::from("item ") }.await;
    let outcomes = tasks![settle; for input in inputs => {
        // `?` returns from `lengths`, `.await` runs in it: before any task starts.
        let n: usize = input.parse().map_err(|_| format!("not a number: {input}"))?;
        let label = format!("{prefix}{n}");
        let ready = async { n }.await;
        async move {
            yield_now().await;
            label.len() + ready
        }
    }]
    .await;
    Ok(outcomes)
}

#[job_test]
async fn a_mode_for_form_without_limit_may_use_question_mark_and_await_in_its_tasks() {
    let outcomes = lengths(&["1", "22"]).await.unwrap();
    let lengths_seen: Vec<usize> = outcomes.into_iter().map(Result::unwrap).collect();
    assert_eq!(lengths_seen, ["item 1".len() + 1, "item 22".len() + 22]);
    assert_eq!(
        lengths(&["3", "x", "4"]).await.unwrap_err(),
        "not a number: x"
    );
}

// ---------------------------------------------------------------------------------------------
// Things made on one event loop and used on another.

/// [`common::within`] 5 s.
fn within_5s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    common::within(Duration::from_secs(5), f)
}

use common::panic_message;

#[test]
fn a_socket_used_on_another_loop_is_an_error_not_a_wait_forever() {
    let (alive, dropped) = within_5s(|| {
        let first = EventLoop::new();
        let listener = first.block_on(async { jobloop::net::TcpListener::bind("127.0.0.1:0") });
        let listener = listener.expect("bind");
        let second = EventLoop::new();
        let alive = second.block_on(async { listener.accept().await.map(|_| ()) });
        drop(first);
        let dropped = second.block_on(async { listener.accept().await.map(|_| ()) });
        (alive, dropped)
    });
    for outcome in [alive, dropped] {
        let error = outcome.expect_err("an error, not a connection");
        assert_eq!(error.kind(), std::io::ErrorKind::Other);
        assert!(error.to_string().contains("another event loop"), "{error}");
    }
}

#[test]
#[allow(clippy::async_yields_async)] // handing the group or handle out un-awaited is the point
fn a_join_handle_awaited_on_another_live_loop_panics_and_says_why() {
    let message = within_5s(|| {
        let first = EventLoop::new();
        let handle = first.block_on(async { spawn(sleep(Duration::from_secs(60))) });
        let second = EventLoop::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| second.block_on(handle)));
        panic_message(outcome.expect_err("awaiting it there must panic"))
    });
    assert!(
        message.contains("awaited on an event loop other than the one that runs"),
        "{message}"
    );
}

#[test]
#[allow(clippy::async_yields_async)] // handing the group or handle out un-awaited is the point
fn a_group_awaited_on_another_live_loop_panics_and_says_why() {
    let messages = within_5s(|| {
        let first = EventLoop::new();
        let second = EventLoop::new();
        let long = || sleep(Duration::from_secs(60));
        let mut messages = Vec::new();
        let group = first.block_on(async { tasks![for _ in 0..2 => long()] });
        let outcome = catch_unwind(AssertUnwindSafe(|| second.block_on(group)));
        messages.push(panic_message(outcome.expect_err("a for group")));
        let list = first.block_on(async { tasks![long(), long()] });
        let outcome = catch_unwind(AssertUnwindSafe(|| second.block_on(list)));
        messages.push(panic_message(outcome.expect_err("a list group")));
        let settle = first.block_on(async { tasks![settle; for _ in 0..2 => long()] });
        let outcome = catch_unwind(AssertUnwindSafe(|| second.block_on(settle)));
        messages.push(panic_message(outcome.expect_err("a settle group")));
        messages
    });
    for message in messages {
        assert!(
            message.contains("awaited on an event loop other than the one that runs"),
            "{message}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Fairness: a task that always finds its I/O or its timer ready still lets the others run.

/// A reader that always finds data (a fast peer on another thread, read 16 bytes at a time) does
/// not keep a 10 ms ticker on the same loop from running.
#[job_test]
async fn a_reader_that_always_finds_data_lets_a_ticker_run() {
    use jobloop::net::TcpStream;
    use std::io::Write;
    use std::sync::atomic::AtomicBool;

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            let chunk = vec![7u8; 64 * 1024];
            while !stop.load(Ordering::SeqCst) {
                if peer.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    let stream = TcpStream::connect(addr).await.unwrap();
    let ticks = Rc::new(Cell::new(0u32));
    let ticker = {
        let ticks = ticks.clone();
        spawn(async move {
            loop {
                sleep(Duration::from_millis(10)).await;
                ticks.set(ticks.get() + 1);
            }
        })
    };
    // Give the peer time to fill the socket, so that every read finds data.
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let mut read = 0usize;
    let mut buf = [0u8; 16];
    while ticks.get() < 10 && start.elapsed() < Duration::from_secs(3) {
        read += stream.read(&mut buf).await.unwrap();
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    drop(stream);
    ticker.cancel().await;
    writer.join().unwrap();
    assert!(
        ticks.get() >= 10,
        "the ticker ticked {} times in {elapsed:?} while the reader read {read} bytes",
        ticks.get()
    );
    assert!(read > 0);
}

/// A task that sleeps for nothing in a loop (each sleep is due at once) still lets others run.
#[job_test]
async fn a_task_whose_timers_are_always_due_lets_others_run() {
    let ran = Rc::new(Cell::new(false));
    let other = {
        let ran = ran.clone();
        spawn(async move { ran.set(true) })
    };
    let mut rounds = 0u32;
    while !ran.get() && rounds < 1_000_000 {
        sleep(Duration::ZERO).await;
        rounds += 1;
    }
    assert!(ran.get(), "the other task never ran in {rounds} rounds");
    assert!(rounds < 1_000, "it ran after {rounds} rounds");
    other.await;
}

// ---------------------------------------------------------------------------------------------
// Panics caused by the user's mistakes say what happened and point at the user's line.

/// Runs `f`, which must panic; its message and the file and line the panic points at.
fn panic_at(f: impl FnOnce()) -> (String, String, u32) {
    // The panic hook is the process's: two tests that swap it at once would each restore the
    // other's, and a panic could go unrecorded.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    thread_local! {
        static WHERE: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
    }
    let previous = std::sync::Arc::new(std::panic::take_hook());
    let chained = previous.clone();
    std::panic::set_hook(Box::new(move |info| {
        if let Some(location) = info.location() {
            let here = (location.file().to_string(), location.line());
            WHERE.with(|slot| *slot.borrow_mut() = Some(here));
        }
        chained(info);
    }));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    let _ = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| previous(info)));
    let message = panic_message(outcome.expect_err("it must panic"));
    let (file, line) = WHERE
        .with(|slot| slot.borrow_mut().take())
        .expect("a location");
    (message, file, line)
}

#[test]
fn mistakes_in_tasks_panic_at_the_users_line_and_say_what_was_called() {
    // Each case's panic points at the line of its `tasks![]` (given with `line!()`).
    let (message, file, line) = panic_at(|| drop(tasks![async { 1 }]));
    assert_eq!((file.as_str(), line), (file!(), line!() - 1));
    assert!(
        message.contains("`tasks![]` was called outside a jobloop runtime"),
        "{message}"
    );

    let expected = std::cell::Cell::new(0);
    let (message, file, line) = panic_at(|| {
        EventLoop::new().block_on(async {
            let limit = "0".parse::<usize>().unwrap();
            expected.set(line!() + 1);
            drop(tasks![limit = limit; for i in 0..3 => async move { i }]);
        });
    });
    assert_eq!((file.as_str(), line), (file!(), expected.get()));
    assert!(message.contains("limit of this group is 0"), "{message}");

    let (message, file, line) = panic_at(|| {
        EventLoop::new().block_on(async {
            expected.set(line!() + 1);
            drop(tasks![race; for i in 0..0 => async move { i }]);
        });
    });
    assert_eq!((file.as_str(), line), (file!(), expected.get()));
    assert!(message.contains("no task to race"), "{message}");
}

/// `tasks![for i in 0.. => ..]` without a limit would start tasks forever: every form refuses
/// at once, at the user's line, and says to add `limit` (was "capacity overflow", from inside
/// the standard library, for the mode forms and the plain one alike).
#[test]
fn an_endless_iterator_without_a_limit_is_refused_with_what_to_write() {
    let expected = std::cell::Cell::new(0);
    for form in 0..5 {
        let (message, file, line) = panic_at(|| {
            EventLoop::new().block_on(async {
                match form {
                    0 => {
                        expected.set(line!() + 1);
                        drop(tasks![for i in 0u64.. => async move { i }]);
                    }
                    1 => {
                        expected.set(line!() + 1);
                        drop(tasks![settle; for i in 0u64.. => async move { i }]);
                    }
                    2 => {
                        expected.set(line!() + 1);
                        drop(tasks![stream; for i in 0u64.. => async move { i }]);
                    }
                    3 => {
                        expected.set(line!() + 1);
                        drop(tasks![send; for i in std::iter::repeat(1) => async move { i }]);
                    }
                    // Finite, but usize::MAX items: as good as endless.
                    _ => {
                        expected.set(line!() + 1);
                        drop(tasks![for i in 0..u64::MAX => async move { i }]);
                    }
                }
            });
        });
        assert_eq!(
            (file.as_str(), line),
            (file!(), expected.get()),
            "form {form}"
        );
        assert!(
            message.contains("add `limit = N`"),
            "form {form}: {message}"
        );
    }
    // With a limit the same source is taken as tasks finish: the stream gives items at once.
    let first = EventLoop::new().block_on(async {
        let mut stream = tasks![stream, limit = 2; for i in 0u64.. => async move { i }];
        let first = stream.next().await;
        first.map(|(index, _)| index)
    });
    assert_eq!(first, Some(0));
}

#[test]
fn a_task_group_used_outside_a_runtime_names_what_was_called() {
    let payload = catch_unwind(|| {
        let mut group = TaskGroup::new();
        group.spawn(async { 1 });
    })
    .expect_err("spawn must panic");
    let message = panic_message(payload);
    assert!(
        message.contains("`TaskGroup::spawn` was called outside a jobloop runtime"),
        "{message}"
    );
    assert!(!message.contains("tasks![]"), "{message}");
}

/// A task's name is its expression as the user wrote it, spacing included.
#[job_test]
async fn task_names_keep_the_users_spacing() {
    async fn failing(big: bool) -> u32 {
        if big {
            panic!("too big");
        }
        0
    }
    let outcomes = tasks![settle; for i in 9..11 => failing(i  >=  10)].await;
    let error = outcomes[1].clone().unwrap_err();
    assert_eq!(error.task(), "failing(i  >=  10)[1]");
    let (_, second) = tasks![settle; failing(1 < 0), failing( 2 > 1 )].await;
    assert_eq!(second.unwrap_err().task(), "failing( 2 > 1 )");
}

#[allow(dead_code)]
#[path = "../../examples/server.rs"]
mod server_example;

/// `examples/server.rs`: the accept loop serves every client through its `TaskSet`.
#[test]
fn the_server_example_serves_every_client() {
    common::within(Duration::from_secs(60), || {
        server_example::main().expect("the example runs");
    });
}

#[allow(dead_code)]
#[path = "../../examples/disk_usage.rs"]
mod disk_usage_example;

/// `examples/disk_usage.rs`, work that finds more work: the directories' tasks spawn their
/// subdirectories' into the one `TaskSet` through its spawner, and every file of a tree three
/// levels deep is counted, with the unreadable root of a second walk reported, not lost.
#[test]
fn the_disk_usage_example_walks_every_directory() {
    let root = common::temp_path("du");
    let mut expected = disk_usage_example::Usage::default();
    for a in 0..3 {
        for b in 0..2 {
            let dir = root.join(format!("a{a}/b{b}"));
            std::fs::create_dir_all(&dir).unwrap();
            for file in 0..=a + b {
                std::fs::write(dir.join(format!("f{file}")), vec![0u8; 100 * file]).unwrap();
                expected.bytes += 100 * file as u64;
                expected.files += 1;
            }
        }
    }
    std::fs::write(root.join("top"), b"12345").unwrap();
    (expected.bytes, expected.files, expected.directories) =
        (expected.bytes + 5, expected.files + 1, 10);
    let walked = root.clone();
    let (usage, missing) = common::within(Duration::from_secs(60), move || {
        jobloop::EventLoop::new().block_on(async move {
            let missing = walked.join("missing");
            let usage = disk_usage_example::disk_usage(walked).await;
            (usage, disk_usage_example::disk_usage(missing).await)
        })
    });
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(usage, expected);
    assert_eq!(
        (missing.directories, missing.unreadable.len()),
        (0, 1),
        "{missing:?}"
    );
}

#[allow(dead_code)]
#[path = "../../examples/chat.rs"]
mod chat_example;

/// `examples/chat.rs`, asyncio's streams chat server: three clients, each welcomed with its
/// number; a line goes to every client but its sender; a client that leaves is no longer
/// written to.
#[test]
fn the_chat_example_sends_each_line_to_every_other_client() {
    use jobloop::io::{AsyncBufReadExt, BufReader};
    use jobloop::net::{TcpListener, TcpStream};

    async fn join(address: std::net::SocketAddr) -> (TcpStream, String) {
        let stream = TcpStream::connect(address).await.unwrap();
        let mut welcome = String::new();
        BufReader::new(&stream)
            .read_line(&mut welcome)
            .await
            .unwrap();
        (stream, welcome)
    }
    async fn line(stream: &TcpStream) -> String {
        // One byte at a time: a buffer would keep what comes after the line.
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while stream.read(&mut byte).await.unwrap() == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        String::from_utf8(line).unwrap()
    }

    common::within(Duration::from_secs(60), || {
        jobloop::EventLoop::new().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            let (_, heard) = tasks![race;
                async { chat_example::serve(listener).await.unwrap(); Vec::new() },
                async move {
                    let (a, welcome_a) = join(address).await;
                    let (b, welcome_b) = join(address).await;
                    let (c, welcome_c) = join(address).await;
                    let mut heard = vec![welcome_a, welcome_b, welcome_c];
                    a.write_all(b"hi from a\n").await.unwrap();
                    heard.push(line(&b).await);
                    heard.push(line(&c).await);
                    drop(c);
                    b.write_all(b"hi from b\n").await.unwrap();
                    heard.push(line(&a).await);
                    heard
                },
            ]
            .await;
            assert_eq!(
                heard,
                [
                    "welcome, you are 1\n",
                    "welcome, you are 2\n",
                    "welcome, you are 3\n",
                    "1: hi from a",
                    "1: hi from a",
                    "2: hi from b",
                ]
            );
        });
    });
}

#[allow(dead_code)]
#[path = "../../examples/workers.rs"]
mod workers_example;

/// `examples/workers.rs`, asyncio's queue example: the workers drain the queue and `join`
/// returns (in about a third of the total sleep time, with three workers).
#[test]
fn the_workers_example_runs() {
    common::within(Duration::from_secs(60), workers_example::main);
}

/// The toolkit's handles and futures cross threads, so tasks on a multi-threaded runtime can
/// share them (a queue of `Send` items is itself `Send + Sync`).
#[test]
fn toolkit_types_are_send_and_sync() {
    use jobloop::sync::{Barrier, Event, Mutex, Queue, Semaphore, SemaphoreGuard};
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Queue<String>>();
    send_sync::<Event>();
    send_sync::<Mutex<Vec<u8>>>();
    send_sync::<Semaphore>();
    send_sync::<SemaphoreGuard>();
    send_sync::<Barrier>();
    let (queue, event, mutex) = (Queue::<String>::new(1), Event::new(), Mutex::new(0));
    let (semaphore, barrier) = (Semaphore::new(1), Barrier::new(1));
    send(&queue.put(String::new()));
    send(&queue.get());
    send(&queue.join());
    send(&event.wait());
    send(&mutex.lock());
    send(&semaphore.acquire());
    send(&barrier.wait());
    send(&jobloop::to_thread(|| 1));
}

#[allow(dead_code)]
#[path = "../../examples/timeline.rs"]
mod timeline_example;

/// `examples/timeline.rs`: six jobs in a `limit = 2` group, the example README's second
/// timeline picture was made from.
#[test]
fn the_timeline_example_runs() {
    common::within(Duration::from_secs(60), timeline_example::main);
}

/// A limited `TaskSet` starts the tasks it kept waiting in spawn order, each as soon as an
/// outcome is taken.
#[job_test]
async fn a_limited_task_set_starts_waiting_tasks_in_spawn_order() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let mut set = jobloop::TaskSet::new().with_limit(2);
    for i in 0..6u64 {
        let log = log.clone();
        set.spawn(async move {
            log.borrow_mut().push(i);
            sleep(Duration::from_millis(10 - i)).await;
            i
        });
    }
    while let Some(outcome) = set.next().await {
        outcome.unwrap();
    }
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4, 5]);
}

/// `TaskSet::start` under a limit waits for a place; a `StartError` says what the task gave;
/// a limit raised while tasks wait lets them start as places free, in spawn order.
#[job_test]
async fn task_set_start_and_limits_edge_cases() {
    use jobloop::group::{Ready, StartError};
    let mut set = jobloop::TaskSet::new().with_limit(1);
    set.spawn(async {
        sleep(Duration::from_millis(20)).await;
        0u32
    });
    let value = set
        .start(|ready| async move {
            ready.started(1u32);
            2u32
        })
        .await
        .unwrap();
    assert_eq!(value, 1, "started once the first task's place was free");
    assert_eq!(
        set.next().await,
        Some(Ok(0)),
        "the outcome taken meanwhile waits for next"
    );
    assert_eq!(set.next().await, Some(Ok(2)));

    let ended = set.start(|_: Ready<u32>| async { 5u32 }).await.unwrap_err();
    assert!(matches!(ended, StartError::Ended(5)));
    assert_eq!(
        ended.to_string(),
        "the task ended before it called `started`, with 5"
    );

    let log = Rc::new(RefCell::new(Vec::new()));
    let mut set = jobloop::TaskSet::new().with_limit(1);
    for i in 0..4u32 {
        let log = log.clone();
        set.spawn(async move {
            log.borrow_mut().push(i);
            sleep(Duration::from_millis(5)).await;
            i
        });
    }
    let mut set = set.with_limit(3);
    let late = log.clone();
    set.spawn(async move {
        late.borrow_mut().push(9);
        9
    });
    while let Some(outcome) = set.next().await {
        outcome.unwrap();
    }
    assert_eq!(
        *log.borrow(),
        [0, 1, 2, 3, 9],
        "the waiting tasks first, in spawn order"
    );
}

/// `Handle::block_on` on its loop's own thread, between two runs of the loop, would wait for
/// ever (only this thread runs the loop): a panic that says so. A panic of the work resumes in
/// the thread that waits for it.
#[test]
fn a_handle_blocks_only_other_threads_and_resumes_their_panics() {
    use jobloop::Handle;
    let event_loop = EventLoop::new();
    let handle = event_loop.block_on(async { Handle::current() });
    let blocked = catch_unwind(AssertUnwindSafe(|| handle.block_on(async { 1 })));
    let message = common::panic_message(blocked.unwrap_err());
    assert!(
        message.contains("wait for ever on its own runtime"),
        "{message}"
    );

    let panicked = event_loop.block_on(async {
        let handle = Handle::current();
        let waiter = std::thread::spawn(move || {
            catch_unwind(AssertUnwindSafe(|| {
                handle.block_on(async { panic!("the work failed") })
            }))
        });
        while !waiter.is_finished() {
            sleep(Duration::from_millis(1)).await;
        }
        waiter.join().unwrap()
    });
    assert_eq!(
        common::panic_message(panicked.unwrap_err()),
        "the work failed"
    );
}

/// `TaskSet::with_limit(0)` could never start a task: a panic that says what to give.
#[test]
fn a_task_set_limit_of_zero_is_refused_with_what_to_write() {
    let refused = catch_unwind(|| jobloop::TaskSet::<()>::new().with_limit(0));
    let message = common::panic_message(refused.unwrap_err());
    assert!(message.contains("give a limit of 1 or more"), "{message}");
}
