//! Faults inside futures: the loop survives them, and each test says in its name what it proves.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use jobloop::{job_test, sleep, spawn, tasks, yield_now, EventLoop};

/// A future that never finishes and panics when it is dropped.
struct PanicsInDrop;

impl std::future::Future for PanicsInDrop {
    type Output = ();
    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<()> {
        Poll::Pending
    }
}

impl Drop for PanicsInDrop {
    fn drop(&mut self) {
        panic!("panic in Drop");
    }
}

#[job_test]
async fn a_future_that_panics_in_drop_when_cancelled_does_not_take_the_loop_down() {
    let group = tasks![for _ in 0..3 => PanicsInDrop];
    yield_now().await; // the tasks start
    drop(group); // cancelled: the loop drops their futures, which panic
    yield_now().await;
    yield_now().await;
    // The loop and other tasks go on.
    let out = tasks![for i in 0..3 => async move { i }].await;
    assert_eq!(out, [0, 1, 2]);
}

#[test]
fn dropping_a_loop_whose_tasks_panic_in_drop_drops_them_all_and_does_not_unwind() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let event_loop = EventLoop::new();
    event_loop.block_on(async {
        for _ in 0..3 {
            let dropped = dropped.clone();
            drop(spawn(async move {
                struct Count(Arc<AtomicUsize>);
                impl Drop for Count {
                    fn drop(&mut self) {
                        self.0.fetch_add(1, Ordering::SeqCst);
                    }
                }
                let _count = Count(dropped);
                let _faulty = PanicsInDrop;
                std::future::pending::<()>().await;
            }));
        }
        yield_now().await;
    });
    // The tasks wait forever; dropping the loop drops them, each `Drop` panicking.
    let outcome = catch_unwind(AssertUnwindSafe(move || drop(event_loop)));
    assert!(outcome.is_ok(), "dropping the loop did not unwind");
    assert_eq!(dropped.load(Ordering::SeqCst), 3, "every task was dropped");
}

#[job_test]
async fn a_waker_cloned_a_million_times_still_wakes_its_task_and_leaks_nothing() {
    let polls = Rc::new(Cell::new(0));
    let counter = polls.clone();
    let handle = spawn(std::future::poll_fn(move |cx| {
        counter.set(counter.get() + 1);
        if counter.get() == 1 {
            let mut clones: Vec<Waker> = (0..1_000_000).map(|_| cx.waker().clone()).collect();
            // Wake through one clone; the other 999 999 are dropped.
            let last = clones.pop();
            clones.clear();
            if let Some(waker) = last {
                waker.wake();
            }
            Poll::Pending
        } else {
            Poll::Ready(counter.get())
        }
    }));
    assert_eq!(handle.await, 2, "woken once, polled twice");
}

#[job_test]
async fn a_waker_woken_after_its_task_is_gone_is_harmless() {
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let keep = slot.clone();
    let value = spawn(std::future::poll_fn(move |cx| {
        *keep.lock().unwrap() = Some(cx.waker().clone());
        Poll::Ready(7)
    }))
    .await;
    assert_eq!(value, 7);
    let waker = slot
        .lock()
        .unwrap()
        .take()
        .expect("the task left its waker");
    // On this thread, then from another thread: the task is gone, nothing happens.
    waker.wake_by_ref();
    std::thread::spawn(move || waker.wake()).join().unwrap();
    yield_now().await;
    assert_eq!(tasks![async { 1 }, async { 2 }].await, (1, 2));
}

#[job_test]
async fn a_task_that_never_yields_delays_timers_and_others_which_resume_once_it_does() {
    let log = Rc::new(std::cell::RefCell::new(Vec::new()));
    let start = Instant::now();
    let (timer_log, other_log, busy_log) = (log.clone(), log.clone(), log.clone());
    tasks![
        async move {
            sleep(Duration::from_millis(10)).await;
            timer_log.borrow_mut().push(("timer", start.elapsed()));
        },
        async move {
            yield_now().await;
            other_log.borrow_mut().push(("other", start.elapsed()));
        },
        async move {
            // 100 ms of work without an `.await`: nothing else runs meanwhile.
            let until = Instant::now() + Duration::from_millis(100);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
            busy_log.borrow_mut().push(("busy", start.elapsed()));
        },
    ]
    .await;
    let log = log.borrow();
    let order: Vec<&str> = log.iter().map(|(name, _)| *name).collect();
    assert_eq!(order, ["busy", "other", "timer"], "{log:?}");
    // The timer fired late, once the loop got it back, but it fired.
    assert!(log[2].1 >= Duration::from_millis(100), "{log:?}");
}

/// An output whose `Drop` panics.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("output panics in Drop");
    }
}

#[job_test]
async fn a_detached_task_whose_output_panics_in_drop_does_not_abort() {
    // Nobody takes the output: the loop drops it when the task finishes.
    drop(spawn(async {
        yield_now().await;
        PanicsWhenDropped
    }));
    yield_now().await;
    yield_now().await;
    assert_eq!(tasks![async { "still running" }].await.0, "still running");
}
