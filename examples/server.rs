//! A TCP server whose accept loop adds a task per connection to a [`TaskSet`] it owns, and
//! takes each handler's outcome as it finishes: work that arrives while the group runs. The
//! asyncio program it ports:
//!
//! ```python
//! async def main():
//!     server = await asyncio.start_server(handle, "127.0.0.1", 0)
//!     async with asyncio.TaskGroup() as clients:     # 50 clients, 10 at a time
//!         ...
//! ```
//!
//! A handler that fails (or panics) is reported and the server goes on; a finished handler's
//! memory is given back as its outcome is taken, so the server stays flat however many
//! connections pass through. Dropping the set would cancel the handlers still running.
//!
//! ```sh
//! cargo run --features net --example server
//! ```
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use jobloop::group::FinishedOr;
use jobloop::net::{TcpListener, TcpStream};
use jobloop::{job_main, sleep, spawn, tasks, TaskSet};

/// How many clients connect, and how many of them at once.
const CLIENTS: usize = 50;
const AT_ONCE: usize = 10;

/// Answers one connection: the request in capitals, after a short "lookup". Returns the bytes
/// received.
async fn handle(stream: TcpStream) -> io::Result<usize> {
    let mut request = Vec::new();
    stream.read_to_end(&mut request).await?;
    sleep(Duration::from_millis(20)).await;
    stream.write_all(&request.to_ascii_uppercase()).await?;
    Ok(request.len())
}

/// What the server saw.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Served {
    pub connections: usize,
    pub bytes: usize,
    pub failed: usize,
}

/// Accepts `connections` connections, each handled in a task of the set, then waits for the
/// handlers still running.
pub async fn serve(listener: TcpListener, connections: usize) -> io::Result<Served> {
    let mut handlers = TaskSet::new();
    let (mut accepted, mut served) = (0, Served::default());
    while accepted < connections || !handlers.is_empty() {
        let event = if accepted < connections {
            // The next connection, taking the outcomes of finished handlers meanwhile.
            handlers.next_or(listener.accept()).await
        } else {
            match handlers.next().await {
                Some(outcome) => FinishedOr::Finished(outcome),
                None => break,
            }
        };
        match event {
            FinishedOr::Other(connection) => {
                let (stream, _peer) = connection?;
                handlers.spawn(handle(stream));
                accepted += 1;
            }
            FinishedOr::Finished(Ok(Ok(bytes))) => {
                served.connections += 1;
                served.bytes += bytes;
            }
            FinishedOr::Finished(Ok(Err(error))) => {
                served.failed += 1;
                eprintln!("server: a connection failed: {error}");
            }
            FinishedOr::Finished(Err(error)) => {
                served.failed += 1;
                eprintln!("server: {error}");
            }
        }
    }
    Ok(served)
}

/// One client: sends its name, reads the answer.
async fn client(addr: SocketAddr, id: usize) -> io::Result<String> {
    let stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("client {id}").as_bytes()).await?;
    stream.shutdown(Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[job_main]
pub async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = spawn(serve(listener, CLIENTS));

    let replies = tasks![limit = AT_ONCE; for id in 0..CLIENTS => client(addr, id)].await;
    let replies: Vec<String> = replies.into_iter().collect::<io::Result<_>>()?;
    println!(
        "first reply: {:?}, last: {:?}",
        replies[0],
        replies[CLIENTS - 1]
    );

    let served = server.await?;
    println!(
        "served {} connections ({} bytes), {} failed",
        served.connections, served.bytes, served.failed
    );
    Ok(())
}
