//! asyncio's streams chat server: every line a client sends goes to every other client, with
//! the sender's number; a task per client, lines read with `jobloop::io`. The program it ports:
//!
//! ```python
//! clients = {}
//!
//! async def handle(reader, writer):
//!     me = len(clients) + 1
//!     clients[me] = writer
//!     writer.write(f"welcome, you are {me}\n".encode())
//!     try:
//!         while line := await reader.readline():
//!             for other, w in list(clients.items()):
//!                 if other != me:
//!                     w.write(f"{me}: ".encode() + line)
//!                     await w.drain()
//!     finally:
//!         del clients[me]
//!
//! async def main():
//!     server = await asyncio.start_server(handle, "127.0.0.1", 8888)
//!     async with server:
//!         await server.serve_forever()
//! ```
//!
//! ```sh
//! cargo run --features net,io --example chat           # then, in other terminals: nc 127.0.0.1 8888
//! ```
use std::cell::RefCell;
use std::io;
use std::rc::Rc;

use jobloop::group::FinishedOr;
use jobloop::io::{AsyncBufReadExt, BufReader, StreamExt};
use jobloop::net::{TcpListener, TcpStream};
use jobloop::{job_main, TaskSet};

/// The clients connected now, by number.
type Clients = Rc<RefCell<Vec<(usize, Rc<TcpStream>)>>>;

/// One client: welcomed with its number, then each of its lines to every other client.
async fn handle(me: usize, stream: Rc<TcpStream>, clients: Clients) -> io::Result<()> {
    clients.borrow_mut().push((me, stream.clone()));
    let chat = async {
        stream
            .write_all(format!("welcome, you are {me}\n").as_bytes())
            .await?;
        let mut lines = BufReader::new(&*stream).lines();
        while let Some(line) = lines.next().await {
            let line = format!("{me}: {}\n", line?);
            let others: Vec<_> = clients
                .borrow()
                .iter()
                .filter(|(other, _)| *other != me)
                .map(|(_, s)| s.clone())
                .collect();
            for other in others {
                // A client that left is removed by its own task.
                let _ = other.write_all(line.as_bytes()).await;
            }
        }
        Ok(())
    };
    let result = chat.await;
    clients.borrow_mut().retain(|(other, _)| *other != me);
    result
}

/// Serves the chat on `listener` until an `accept` fails; a client's failure is printed.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    let clients = Clients::default();
    let mut handlers = TaskSet::new();
    let mut joined = 0;
    loop {
        match handlers.next_or(listener.accept()).await {
            FinishedOr::Other(connection) => {
                joined += 1;
                handlers.spawn(handle(joined, Rc::new(connection?.0), clients.clone()));
            }
            FinishedOr::Finished(Ok(Ok(()))) => {}
            FinishedOr::Finished(Ok(Err(error))) => eprintln!("chat: a client failed: {error}"),
            FinishedOr::Finished(Err(error)) => eprintln!("chat: {error}"),
        }
    }
}

#[job_main]
async fn main() -> io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or("127.0.0.1:8888".into());
    let listener = TcpListener::bind(address.as_str())?;
    println!("chat on {}: join with `nc`", listener.local_addr()?);
    serve(listener).await
}
