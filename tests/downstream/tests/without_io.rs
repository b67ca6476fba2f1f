//! The loop built without features: no OS poller (neither `net` nor `process`), so it waits in
//! `thread::park_timeout` until its next timer, and a wake-up from another thread unparks it.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use jl::EventLoop;

#[test]
fn a_timer_ends_the_park_on_time() {
    let start = Instant::now();
    EventLoop::new().block_on(jl::sleep(Duration::from_millis(50)));
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(50), "woke early: {took:?}");
    assert!(took < Duration::from_secs(10), "woke late: {took:?}");
}

/// A waker fired on another thread ends the loop's park at once, though its only timer is a
/// minute away: without the unpark the loop would sleep until that timer.
#[test]
fn a_wake_from_another_thread_ends_the_park() {
    let start = Instant::now();
    let out = EventLoop::new().block_on(async {
        let slot: Arc<Mutex<(Option<u32>, Option<Waker>)>> = Arc::default();
        let thread_slot = Arc::clone(&slot);
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut slot = thread_slot.lock().unwrap();
            slot.0 = Some(7);
            if let Some(waker) = slot.1.take() {
                waker.wake();
            }
        });
        let answer = poll_fn(|cx| {
            let mut slot = slot.lock().unwrap();
            match slot.0 {
                Some(answer) => Poll::Ready(answer),
                None => {
                    slot.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        });
        jl::timeout(Duration::from_secs(60), answer).await
    });
    assert_eq!(out, Ok(7));
    let took = start.elapsed();
    assert!(took < Duration::from_secs(30), "the park ended with its timer: {took:?}");
}

#[test]
fn blocking_work_and_send_tasks_come_back_to_a_parked_loop() {
    let out = EventLoop::new().block_on(async {
        let blocking = jl::to_thread(|| {
            std::thread::sleep(Duration::from_millis(20));
            1u64
        });
        let (blocking, sent) = jl::tasks![blocking, async {
            jl::tasks![send; for i in 0..4u64 => async move {
                jl::sleep(Duration::from_millis(5)).await;
                i
            }]
            .await
            .into_iter()
            .sum::<u64>()
        }]
        .await;
        blocking + sent
    });
    assert_eq!(out, 7);
}

#[test]
fn job_main_runs_its_body_and_exits_with_its_result() {
    let program = env!("CARGO_BIN_EXE_plain_main");
    let ok = std::process::Command::new(program).output().unwrap();
    assert!(ok.status.success(), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "[0, 10, 20]\n");
    let failed = std::process::Command::new(program)
        .arg("fail")
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1), "{failed:?}");
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("asked to fail"),
        "{failed:?}"
    );
}
