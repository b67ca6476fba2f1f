//! Debug mode's task tree (`JOBLOOP_DEBUG=1`), printed by SIGQUIT: a group of three sleeping
//! jobs, a `scoped` group whose tasks run groups of their own, tasks waiting on `Queue::get`, a
//! socket read, an `Event`, `to_thread` work, a child process, a `TaskSet`'s task, a wait for
//! SIGTERM, a timeout and a future jobloop did not make, all at once. Prints "all waiting"
//! when they are, and finishes by itself 3 s later (the test sends SIGQUIT in between).
use std::time::Duration;

use jobloop::net::{TcpListener, TcpStream};
use jobloop::sync::Queue;

async fn job(id: u32) -> u32 {
    jobloop::sleep(Duration::from_secs(3)).await;
    id
}

/// A task of a `scoped` group (polled by the group itself) that runs a group of its own.
async fn borrower(label: &str, id: usize) -> usize {
    let steps = jobloop::tasks![for step in 0..2 => job(step)].await;
    steps.len() + label.len() + id
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    let queue = Queue::<u32>::new(0);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let address = listener.local_addr().expect("its address");
    let client = TcpStream::connect(address).await.expect("connect");
    let (accepted, _) = listener.accept().await.expect("accept");
    let getter = {
        let queue = queue.clone();
        jobloop::spawn_named("getter", async move { queue.get().await.ok() })
    };
    let reader = jobloop::spawn_named("reader", async move {
        let mut byte = [0u8; 1];
        accepted.read(&mut byte).await.ok()
    });
    let event = std::sync::Arc::new(jobloop::sync::Event::new());
    let event_waiter = {
        let event = event.clone();
        jobloop::spawn_named("event waiter", async move { event.wait().await })
    };
    let blocking = jobloop::spawn_named(
        "blocking",
        jobloop::to_thread(|| std::thread::sleep(Duration::from_millis(2500))),
    );
    let child = jobloop::spawn_named("child", async {
        let mut sleep = jobloop::process::Command::new("sleep");
        sleep
            .arg("2")
            .output()
            .await
            .map(|output| output.status.success())
    });
    // Waits on nothing jobloop made: the tree says so.
    let outsider = jobloop::spawn_named("outsider", std::future::pending::<()>());
    // A task of a set, named by the line of its `spawn`; a wait for SIGTERM.
    let mut set = jobloop::TaskSet::new();
    set.spawn(job(10));
    let terminator = jobloop::spawn_named("terminator", jobloop::signal::terminate());
    // Under a timeout, on something outside jobloop (a tokio socket, say).
    let deadline = jobloop::spawn_named(
        "deadline",
        jobloop::timeout(Duration::from_secs(60), std::future::pending::<()>()),
    );
    let announce = async {
        jobloop::sleep(Duration::from_millis(100)).await;
        println!("all waiting");
    };
    let label = "polled in place";
    let (jobs, (), borrowed) = jobloop::tasks![
        jobloop::tasks![for id in 0..3 => job(id)],
        announce,
        jobloop::tasks![scoped; for id in 0..2 => borrower(label, id)],
    ]
    .await;
    queue.put(7).await.ok();
    drop(client); // the reader's read ends
    outsider.cancel().await;
    terminator.cancel().await;
    deadline.cancel().await;
    assert_eq!(set.next().await, Some(Ok(10)));
    event.set();
    event_waiter.await;
    blocking.await;
    assert!(child.await.expect("`sleep 2` ran"), "`sleep 2` succeeded");
    println!(
        "{jobs:?} {:?} {:?} {borrowed:?}",
        getter.await,
        reader.await
    );
}
