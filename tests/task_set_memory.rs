//! A `TaskSet` through which a million tasks pass, one connection after another as a server
//! sees them, keeps flat memory: a finished task's memory is given back as its outcome is taken.
//! Measured with a counting allocator (this test binary's only test, so nothing else allocates
//! meanwhile).

use jobloop::group::GroupKind;
use jobloop::{yield_now, EventLoop, Runtime, TaskSet};

#[global_allocator]
static HEAP: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// A connection's handler: one wait, as for the request, then the reply.
async fn handle(connection: u64) -> u64 {
    yield_now().await;
    connection * 2
}

/// Serves `connections` through one set, at most 8 at a time; returns the heap in use after the
/// first 10 000 (the set and the loop have grown to their size by then), and the most in use at
/// any moment after that.
async fn serve<K: GroupKind>(
    mut set: TaskSet<u64, K>,
    spawn: impl Fn(&mut TaskSet<u64, K>, u64),
    connections: u64,
) -> (usize, usize) {
    let mut served = 0u64;
    let mut warm = 0;
    for connection in 0..connections {
        spawn(&mut set, connection);
        if set.len() == 8 {
            let reply = set
                .next()
                .await
                .expect("a task is in the set")
                .expect("no panic");
            assert_eq!(reply % 2, 0);
            served += 1;
        }
        if connection == 10_000 {
            warm = HEAP.current_usage();
            HEAP.reset_peak_usage();
        }
    }
    while let Some(reply) = set.next().await {
        reply.expect("no panic");
        served += 1;
    }
    assert_eq!(served, connections);
    (warm, HEAP.peak_usage())
}

#[test]
fn a_million_tasks_through_a_task_set_keep_flat_memory() {
    let spawn = |set: &mut TaskSet<u64>, connection| {
        set.spawn(handle(connection));
    };
    let (warm, peak) = EventLoop::new().run(serve(TaskSet::new(), spawn, 1_000_000));
    // Flat: the 990 000 tasks after the first 10 000 never grew the heap by more than the 8
    // tasks in flight take (each well under 1 KiB).
    println!("event loop: heap after 10 000 connections {warm} B, peak after {peak} B");
    assert!(peak <= warm + 8 * 1024, "{warm} B, then a peak of {peak} B");

    // The same on tokio's multi-threaded runtime, with `Send` tasks on its workers (fewer
    // connections: each crosses threads).
    let spawn = |set: &mut TaskSet<u64, jobloop::group::Sendable>, connection| {
        set.spawn(handle(connection));
    };
    let runtime = jobloop::runtime::Tokio::multi_thread(2);
    let (warm, peak) = runtime.run(serve(TaskSet::new_send(), spawn, 200_000));
    println!("tokio: heap after 10 000 connections {warm} B, peak after {peak} B");
    assert!(
        peak <= warm + 64 * 1024,
        "{warm} B, then a peak of {peak} B"
    );
}
