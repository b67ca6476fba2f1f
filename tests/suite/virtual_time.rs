//! The virtual clock of `#[job_test(virtual_time)]`: timers fire in order, at once in real
//! time, while `jobloop::now()` says the full time passed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use jobloop::{job_test, now, sleep, spawn, tasks, yield_now, Elapsed, EventLoop, Runtime};

async fn job(log: Rc<RefCell<Vec<String>>>, id: u32) -> u32 {
    log.borrow_mut().push(format!("start {id}"));
    sleep(Duration::from_secs(2)).await;
    log.borrow_mut().push(format!("end {id}"));
    id
}

#[job_test(virtual_time)]
async fn three_2s_jobs_take_2s_of_virtual_time_and_no_real_time() {
    let real = Instant::now();
    let start = now();
    let log = Rc::new(RefCell::new(Vec::new()));
    let out = tasks![for id in 0..3 => job(log.clone(), id)].await;
    assert_eq!(out, [0, 1, 2]);
    assert_eq!(now() - start, Duration::from_secs(2));
    assert!(
        real.elapsed() < Duration::from_millis(500),
        "{:?}",
        real.elapsed()
    );
    assert_eq!(
        *log.borrow(),
        ["start 0", "start 1", "start 2", "end 0", "end 1", "end 2"]
    );
}

#[job_test(virtual_time)]
async fn equal_deadlines_fire_in_the_order_they_were_set() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let deadline = now() + Duration::from_secs(60);
    tasks![for id in 0..10 => {
        let log = log.clone();
        async move {
            jobloop::sleep_until(deadline).await;
            log.borrow_mut().push(id);
        }
    }]
    .await;
    assert_eq!(*log.borrow(), (0..10).collect::<Vec<_>>());
}

#[job_test(virtual_time)]
async fn a_timeout_expires_on_the_virtual_clock() {
    let start = now();
    let out =
        tasks![timeout = Duration::from_secs(5); for _ in 0..3 => sleep(Duration::from_secs(3600))]
            .await;
    assert_eq!(out, Err(Elapsed::default()));
    assert_eq!(now() - start, Duration::from_secs(5));
}

#[job_test(virtual_time)]
async fn sleeps_wake_in_deadline_order_across_tasks() {
    let log = Rc::new(RefCell::new(Vec::new()));
    tasks![for ms in [30u64, 10, 20] => {
        let log = log.clone();
        async move {
            sleep(Duration::from_millis(ms)).await;
            log.borrow_mut().push(ms);
        }
    }]
    .await;
    assert_eq!(*log.borrow(), [10, 20, 30]);
}

#[cfg(feature = "tokio")]
#[job_test(runtime = jobloop::runtime::Tokio::current_thread(), virtual_time)]
async fn virtual_time_is_tokios_paused_time_under_tokio() {
    let real = Instant::now();
    let start = now();
    tasks![for _ in 0..3 => sleep(Duration::from_secs(2))].await;
    assert_eq!(now() - start, Duration::from_secs(2));
    assert!(
        real.elapsed() < Duration::from_millis(500),
        "{:?}",
        real.elapsed()
    );
}

#[cfg(feature = "tokio")]
#[test]
#[should_panic(expected = "`virtual_time` needs tokio's current-thread runtime")]
fn virtual_time_on_tokio_multi_thread_is_a_start_up_error() {
    jobloop::runtime::Tokio::multi_thread(2).with_virtual_time();
}

#[cfg(feature = "smol")]
#[test]
#[should_panic(
    expected = "`virtual_time` is not supported by the runtime `jobloop_runtime::runtime::smol::Smol`"
)]
fn virtual_time_on_smol_is_a_start_up_error() {
    jobloop::runtime::Smol::new().with_virtual_time();
}

#[job_test(virtual_time)]
async fn a_task_waiting_on_a_socket_does_not_stop_the_virtual_clock() {
    use jobloop::net::{TcpListener, TcpStream};

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = jobloop::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        stream.write_all(b"hi").await.unwrap();
    });
    let start = now();
    // The server waits on its socket meanwhile; the clock still jumps.
    sleep(Duration::from_secs(10)).await;
    assert_eq!(now() - start, Duration::from_secs(10));
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"hi");
    server.await;
}

#[job_test(virtual_time)]
async fn settle_with_a_timeout_keeps_the_outcomes_of_tasks_that_finished() {
    let (slow, fast) = tasks![settle, timeout = Duration::from_millis(50);
        async {
            sleep(Duration::from_secs(1)).await;
            0
        },
        async { 1 },
    ]
    .await;
    assert!(slow.unwrap_err().is_timeout());
    assert_eq!(fast, Ok(1));
}

/// A sleep "forever" (a duration past what the clock can count) never completes, even on a clock
/// that jumps: it sets no timer for the clock to jump to.
#[job_test(virtual_time)]
async fn a_sleep_of_duration_max_never_completes() {
    let century = Duration::from_secs(100 * 365 * 24 * 3600);
    let start = now();
    let out = jobloop::timeout(century, sleep(Duration::MAX)).await;
    assert_eq!(out, Err(Elapsed::default()));
    assert_eq!(now() - start, century);
    assert_eq!(sleep(Duration::MAX).deadline(), None);
    // And a timeout that long never fires.
    let quick = jobloop::timeout(Duration::MAX, sleep(Duration::from_secs(1))).await;
    assert_eq!(quick, Ok(()));
}

#[cfg(feature = "tokio")]
#[job_test(runtime = jobloop::runtime::Tokio::current_thread(), virtual_time)]
async fn a_sleep_of_duration_max_never_completes_under_tokios_paused_time() {
    let century = Duration::from_secs(100 * 365 * 24 * 3600);
    let out = jobloop::timeout(century, sleep(Duration::MAX)).await;
    assert_eq!(out, Err(Elapsed::default()));
}

/// A task that only yields keeps the loop busy, but waits on nothing: the clock still moves to
/// the next timer when every task that ran in a turn only woke itself.
#[test]
fn a_task_that_only_yields_does_not_stop_the_virtual_clock() {
    let (fired, timed_out, passed) = common::within(Duration::from_secs(10), || {
        EventLoop::new().with_virtual_time().block_on(async {
            let spinner = spawn(async {
                loop {
                    yield_now().await;
                }
            });
            let start = now();
            let fired =
                jobloop::timeout(Duration::from_secs(1), sleep(Duration::from_millis(10))).await;
            let timed_out =
                jobloop::timeout(Duration::from_secs(1), sleep(Duration::from_secs(60))).await;
            spinner.cancel().await;
            (fired, timed_out, now() - start)
        })
    });
    assert_eq!(fired, Ok(()));
    assert_eq!(timed_out, Err(Elapsed::default()));
    assert_eq!(passed, Duration::from_millis(1010));
}

/// `limit = 8` is a capacity, as `asyncio.Semaphore(8)` or `buffer_unordered(8)`: each task
/// starts as soon as any of the 8 running ones finishes. 50 requests, one in eight taking 400 ms
/// and the others 20 ms: the group ends when the slot schedule says, to the millisecond.
#[job_test(virtual_time)]
async fn a_limit_starts_each_task_as_soon_as_any_running_one_finishes() {
    let latency = |i: u64| Duration::from_millis(if i % 8 == 0 { 400 } else { 20 });
    // The schedule of a capacity limit: each task in turn takes the slot that frees first.
    let mut slots = [Duration::ZERO; 8];
    for i in 0..50 {
        let first_free = slots.iter_mut().min().unwrap();
        *first_free += latency(i);
    }
    let expected = *slots.iter().max().unwrap();
    assert_eq!(expected, Duration::from_millis(620));

    let start = now();
    let out = tasks![limit = 8; for i in 0..50u64 => async move {
        sleep(latency(i)).await;
        i
    }]
    .await;
    assert_eq!(out, (0..50).collect::<Vec<_>>(), "outputs in written order");
    assert_eq!(now() - start, expected);
}

/// An expired `timeout` converts into an `io::Error` of kind `TimedOut`, so `.await??` works in
/// a function that returns `io::Result` (it did not compile before: no `From<Elapsed>`).
#[job_test(virtual_time)]
async fn an_expired_timeout_is_an_io_error_of_kind_timed_out() {
    async fn read_in_time() -> std::io::Result<u8> {
        let never = std::future::pending::<std::io::Result<u8>>();
        let byte = jobloop::timeout(Duration::from_secs(5), never).await??;
        Ok(byte)
    }
    let error = read_in_time().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
    assert!(error.to_string().contains("deadline expired"), "{error}");
}

/// Each task's own timeout, on the virtual clock, to the second: under `limit = 2`, tasks of 5,
/// 30, 5, 8 and 12 s with 10 s each. Task 1 times out at 10 s (started at 0), task 4 at 20 s
/// (started at 10, when task 1's place freed); task 3 waited 10 s for its place and still had
/// its full 10 s.
#[job_test(virtual_time)]
async fn task_timeout_counts_from_each_tasks_own_start() {
    let start = now();
    let seconds = [5u64, 30, 5, 8, 12];
    let outcomes = tasks![settle, limit = 2, task_timeout = Duration::from_secs(10);
        for s in seconds => async move {
            sleep(Duration::from_secs(s)).await;
            s
        }
    ]
    .await;
    assert_eq!(now() - start, Duration::from_secs(20));
    let timed_out: Vec<bool> = outcomes
        .iter()
        .map(|outcome| outcome.as_ref().is_err_and(jobloop::TaskError::is_timeout))
        .collect();
    assert_eq!(timed_out, [false, true, false, false, true]);
    assert_eq!(outcomes[3], Ok(8));
}
