//! Deadlocks named instead of hangs (`runtime/src/deadlock.rs`): a test whose tasks all wait
//! on something nobody will ever give fails, within a few seconds, with a message that says
//! "deadlock" and where each task waits; work that jobloop knows is in flight is not taken
//! for one.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use jobloop::sync::{Mutex, Queue};
use jobloop::EventLoop;

use common::panic_message;

/// Runs `test` on `event_loop`, which must fail with a deadlock: its message, and how long it
/// took.
fn deadlock_of(event_loop: EventLoop, test: impl std::future::Future<Output = ()>) -> String {
    let start = Instant::now();
    let payload = catch_unwind(AssertUnwindSafe(|| event_loop.block_on(test)))
        .expect_err("a deadlocked loop fails");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "named after {took:?}");
    panic_message(payload)
}

#[test]
fn a_main_task_waiting_on_a_queue_nobody_fills_fails_with_its_wait_site() {
    for event_loop in [
        EventLoop::new().fail_on_deadlock(),
        EventLoop::new().with_virtual_time().fail_on_deadlock(),
    ] {
        let message = deadlock_of(event_loop, async {
            let queue = Queue::<u32>::new(0);
            let line = line!() + 1;
            let _ = queue.get().await;
            unreachable!("nobody puts {line}");
        });
        assert!(message.starts_with("deadlock: "), "{message}");
        let line = message
            .lines()
            .find(|line| line.contains("Queue::get at"))
            .unwrap_or_else(|| panic!("no wait site in: {message}"));
        assert!(line.contains("tests/suite/deadlock.rs:"), "{line}");
        // The panic is raised inside jobloop: the message names the test's `block_on`, and
        // says how to see the tasks that wait on futures jobloop did not make.
        assert!(
            message.contains("(the loop's `block_on` at tests/suite/deadlock.rs:"),
            "{message}"
        );
        assert!(message.contains("`JOBLOOP_DEBUG=1`"), "{message}");
    }
}

/// A `#[job_test(shuffle)]` that deadlocks names the test's line, not jobloop's.
#[test]
fn a_shuffled_test_that_deadlocks_names_its_own_line() {
    let line = line!() + 2;
    let payload = catch_unwind(|| {
        jobloop::__private::run_shuffled("deadlock::shuffled", 1, true, || async {
            let _ = Queue::<u32>::new(0).get().await;
        })
    })
    .expect_err("a deadlocked loop fails");
    let message = panic_message(payload);
    assert!(
        message.contains(&format!(
            "(the loop's `block_on` at tests/suite/deadlock.rs:{line}:"
        )),
        "{message}"
    );
}

#[test]
fn a_once_cell_nobody_sets_is_named_with_its_wait_site() {
    let message = deadlock_of(EventLoop::new().fail_on_deadlock(), async {
        let cell = jobloop::sync::OnceCell::<u32>::new();
        let _ = cell.wait().await;
    });
    assert!(
        message.contains("OnceCell::wait at tests/suite/deadlock.rs:"),
        "{message}"
    );
}

#[test]
fn tasks_waiting_on_each_others_locks_are_all_named() {
    let message = deadlock_of(EventLoop::new().fail_on_deadlock(), async {
        let (a, b) = (Mutex::new(()), Mutex::new(()));
        let (first, second) = (Queue::<()>::new(0), Queue::<()>::new(0));
        let _ = jobloop::tasks![scoped;
            async {
                let _a = a.lock().await;
                second.put(()).await.ok();
                first.get().await.ok();
                let _b = b.lock().await;
            },
            async {
                let _b = b.lock().await;
                first.put(()).await.ok();
                second.get().await.ok();
                let _a = a.lock().await;
            },
        ]
        .await;
    });
    let locks = message.matches("Mutex::lock at").count();
    assert_eq!(locks, 2, "{message}");
}

#[test]
fn work_on_another_thread_is_not_taken_for_a_deadlock() {
    let event_loop = EventLoop::new().fail_on_deadlock();
    let out = event_loop.block_on(async {
        let queue = Queue::<u32>::new(0);
        let (_, got) = jobloop::tasks![scoped;
            async {
                // Longer than the loop's grace: the loop knows this work is in flight.
                let n = jobloop::to_thread(|| {
                    std::thread::sleep(Duration::from_millis(1500));
                    7
                })
                .await;
                queue.put(n).await.ok();
            },
            queue.get(),
        ]
        .await;
        got.ok()
    });
    assert_eq!(out, Some(7));
}

/// What another loop of the process started and awaits (`to_thread` work, its `Handle`) wakes
/// that loop's tasks, not this one's: a deadlock here is still named, as when tests run side by
/// side in one test binary.
#[test]
fn another_loops_work_in_flight_does_not_hide_a_deadlock() {
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (started, busy) = std::sync::mpsc::channel::<()>();
    let other = std::thread::spawn(move || {
        EventLoop::new().block_on(async move {
            let _handle = jobloop::Handle::current();
            let work = jobloop::to_thread(move || released.recv_timeout(Duration::from_secs(10)));
            started.send(()).unwrap();
            work.await.ok()
        })
    });
    busy.recv().unwrap();
    let message = deadlock_of(EventLoop::new().fail_on_deadlock(), async {
        let _ = Queue::<u32>::new(0).get().await;
    });
    release.send(()).ok();
    assert!(message.starts_with("deadlock: "), "{message}");
    assert_eq!(
        other.join().unwrap(),
        Some(()),
        "the other loop's work was released"
    );
}

/// A loop that awaits a task of another loop, through that loop's `Handle`, waits on work in
/// flight: no deadlock, though the other loop counts the handle and the task as its own.
#[test]
fn a_task_of_another_loop_awaited_through_its_handle_is_not_taken_for_a_deadlock() {
    let (handles, handle) = std::sync::mpsc::channel();
    let other = std::thread::spawn(move || {
        EventLoop::new().block_on(async move {
            handles.send(jobloop::Handle::current()).unwrap();
            jobloop::sleep(Duration::from_millis(2500)).await;
        })
    });
    let handle: jobloop::Handle = handle.recv().unwrap();
    let out = EventLoop::new().fail_on_deadlock().block_on(async {
        // Longer than the loop's grace.
        let task = handle.spawn(async {
            jobloop::sleep(Duration::from_millis(1500)).await;
            7
        });
        task.unwrap().await
    });
    assert_eq!(out, 7);
    other.join().unwrap();
}

/// A task that the loop's own `Handle` started, awaited on that loop, is one of its tasks, not
/// work on another thread: its deadlock is named (it was counted as in flight for ever).
#[test]
fn a_task_started_through_the_loops_own_handle_and_awaited_there_can_deadlock() {
    let message = deadlock_of(EventLoop::new().fail_on_deadlock(), async {
        let task = jobloop::Handle::current().spawn(async {
            let _ = Queue::<u32>::new(0).get().await;
        });
        task.unwrap().await;
    });
    assert!(message.contains("Queue::get at"), "{message}");
}

/// A `to_thread` future that gave its result and is kept (pinned, awaited through `&mut`)
/// counts no more: a deadlock after it is named.
#[test]
fn finished_to_thread_work_kept_alive_does_not_hide_a_deadlock() {
    let message = deadlock_of(EventLoop::new().fail_on_deadlock(), async {
        let mut work = std::pin::pin!(jobloop::to_thread(|| 1));
        assert_eq!((&mut work).await, 1);
        // `work` lives on, pinned, to the end of this block.
        let _ = Queue::<u32>::new(0).get().await;
    });
    assert!(message.contains("Queue::get at"), "{message}");
}

/// `to_thread` work started on one loop and awaited on another is in flight for the one that
/// awaits it.
#[test]
fn to_thread_work_awaited_on_another_loop_than_its_own_is_not_taken_for_a_deadlock() {
    let (sender, works) = std::sync::mpsc::channel();
    let other = std::thread::spawn(move || {
        EventLoop::new().block_on(async move {
            // Longer than the loop's grace.
            let work = jobloop::to_thread(|| {
                std::thread::sleep(Duration::from_millis(1500));
                7
            });
            sender.send(work).unwrap();
        })
    });
    let work = works.recv().unwrap();
    other.join().unwrap();
    assert_eq!(EventLoop::new().fail_on_deadlock().block_on(work), 7);
}

#[test]
fn a_std_thread_that_wakes_a_task_within_the_grace_is_not_taken_for_a_deadlock() {
    let queue = Queue::<u32>::new(0);
    let filler = queue.clone();
    let thread = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        EventLoop::new().block_on(async { filler.put(3).await.ok() });
    });
    let got = EventLoop::new()
        .fail_on_deadlock()
        .block_on(async { queue.get().await.ok() });
    thread.join().expect("the filler ran");
    assert_eq!(got, Some(3));
}

/// What `#[job_test]` writes: its loop fails on a deadlock.
#[jobloop::job_test]
#[should_panic(expected = "deadlock")]
async fn a_job_test_that_deadlocks_fails() {
    let queue = Queue::<u32>::new(1);
    let _ = queue.get().await;
}

/// A loop once woken from a thread jobloop does not know of only warns: that thread may wake a
/// task again, later than the grace, as this one does.
#[test]
fn a_loop_woken_from_an_unknown_thread_warns_and_waits_on() {
    let queue = Queue::<u32>::new(0);
    let filler = queue.clone();
    let thread = std::thread::spawn(move || {
        for (pause, item) in [(100, 1), (2500, 2)] {
            std::thread::sleep(Duration::from_millis(pause));
            assert!(filler.try_put(item).is_ok());
        }
    });
    let got = EventLoop::new().fail_on_deadlock().block_on(async {
        let first = queue.get().await.ok();
        // Past the grace: warned, not failed.
        let second = queue.get().await.ok();
        (first, second)
    });
    thread.join().expect("the filler ran");
    assert_eq!(got, (Some(1), Some(2)));
}

/// `Condvar::wait_while` is named where the test calls it, not inside jobloop.
#[test]
fn a_condvar_wait_while_is_named_where_it_is_called() {
    let message = deadlock_of(EventLoop::new().fail_on_deadlock(), async {
        let (lock, ready) = (Mutex::new(false), jobloop::sync::Condvar::new());
        let guard = lock.lock().await;
        let _guard = ready.wait_while(guard, |ready| !*ready).await; // nobody notifies
    });
    let line = message
        .lines()
        .find(|line| line.contains("Condvar::wait_while at"))
        .unwrap_or_else(|| panic!("no wait site in: {message}"));
    assert!(line.contains("tests/suite/deadlock.rs:"), "{line}");
}

/// tokio-based types on the loop (feature `tokio`): tokio's driver holds their timers and
/// sockets on a thread of its own, and the loop asks it (on Linux) whether it holds any.
#[cfg(all(feature = "tokio", target_os = "linux"))]
mod tokio_types {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use jobloop::sync::Queue;
    use jobloop::EventLoop;
    use tokio::io::AsyncReadExt;

    #[test]
    fn a_tokio_sleep_longer_than_the_grace_is_not_taken_for_a_deadlock() {
        let slept = EventLoop::new().fail_on_deadlock().block_on(async {
            let start = Instant::now();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            start.elapsed()
        });
        assert!(slept >= Duration::from_millis(1500));
    }

    #[test]
    fn a_tokio_socket_first_ready_after_the_grace_is_not_taken_for_a_deadlock() {
        let bytes = EventLoop::new().fail_on_deadlock().block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let peer = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(1500));
                let mut stream = std::net::TcpStream::connect(address).unwrap();
                stream.write_all(b"late").unwrap();
            });
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).await.unwrap();
            peer.join().unwrap();
            bytes
        });
        assert_eq!(bytes, b"late");
    }

    /// Work on tokio's blocking pool (`spawn_blocking`: `tokio::fs`, name lookups) counts.
    #[test]
    fn tokio_blocking_work_longer_than_the_grace_is_not_taken_for_a_deadlock() {
        let out = EventLoop::new().fail_on_deadlock().block_on(async {
            tokio::task::spawn_blocking(|| {
                std::thread::sleep(Duration::from_millis(1500));
                7
            })
            .await
            .expect("the blocking work ran")
        });
        assert_eq!(out, 7);
    }

    /// Wake-ups from tokio's driver do not turn the check into a warning: once the driver
    /// holds nothing, a deadlock is named.
    #[test]
    fn a_deadlock_after_tokio_types_were_used_is_still_named() {
        let start = Instant::now();
        let message = super::panic_message(
            std::panic::catch_unwind(|| {
                EventLoop::new().fail_on_deadlock().block_on(async {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let _ = Queue::<u32>::new(0).get().await;
                })
            })
            .expect_err("a deadlocked loop fails"),
        );
        // Other tests of this binary may hold timers in the same driver for a while.
        assert!(start.elapsed() < Duration::from_secs(30));
        assert!(message.contains("Queue::get at"), "{message}");
    }
}
