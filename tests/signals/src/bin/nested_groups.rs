//! The trace of groups within groups: two outer tasks, each running an inner group of two tasks;
//! one inner task waits on a socket, the others on timers, and one task is spawned with a name.
//! On the runtime `JOBLOOP_RUNTIME` names.
use std::time::Duration;

use jobloop::net::{TcpListener, TcpStream};
use jobloop::{sleep, spawn_named, tasks};

async fn outer(id: u64) {
    tasks![for step in 0..2 => inner(id, step)].await;
}

async fn inner(id: u64, step: u64) {
    if id == 0 && step == 0 {
        // A read that waits for the peer, which writes 100 ms later.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let writer = spawn_named("peer", async move {
            let stream = TcpStream::connect(addr).await.unwrap();
            sleep(Duration::from_millis(100)).await;
            stream.write_all(b"x").await.unwrap();
        });
        let (stream, _) = listener.accept().await.unwrap();
        let mut byte = [0u8; 1];
        stream.read(&mut byte).await.unwrap();
        writer.await;
    } else {
        sleep(Duration::from_millis(50 * (step + 1))).await;
    }
}

#[jobloop::job_main(runtime = jobloop::runtime::AnyRuntime::from_env())]
pub async fn main() {
    tasks![for id in 0..2 => outer(id)].await;
}
