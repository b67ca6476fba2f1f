//! A task waiting on a `redis::Queue` shows in debug mode's task tree with where it waits (a
//! binary of its own: debug mode is process-wide).

use std::time::Duration;

use jobloop::redis::Queue;
use jobloop::EventLoop;
use jobloop_redis_tests::RedisServer;

#[test]
fn a_task_waiting_on_get_shows_its_wait_site_in_the_tree() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    jobloop::debug::enable();
    let tree = EventLoop::new().block_on(async {
        let queue = Queue::<u32>::connect(&server.url(), "tree").await.unwrap();
        let waiter = jobloop::spawn_named("worker", async move { queue.get().await.is_ok() });
        jobloop::sleep(Duration::from_millis(300)).await;
        let tree = jobloop::debug::task_tree().to_string();
        waiter.cancel().await;
        tree
    });
    let line = tree
        .lines()
        .find(|line| line.contains("redis::Queue::get at"))
        .unwrap_or_else(|| panic!("no wait site in:\n{tree}"));
    assert!(line.contains("tests/redis/tests/tree.rs:"), "{line}");
}
