//! I/O on the event loop: a small TCP server started inside the program answers each request
//! after 500 ms, and five jobs fetch from it at the same time. While one job waits on its socket
//! the loop runs the others, so the five fetches take about 500 ms in all, not 2.5 s.
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use jobloop::net::{TcpListener, TcpStream};
use jobloop::{job_main, sleep, spawn, tasks};

/// Answers every connection with `hello, <request>` after a slow "lookup".
async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        // One task per connection, as an asyncio server starts one per client. The handle is
        // dropped: the task runs on, detached.
        spawn(async move {
            if let Err(error) = answer(stream).await {
                eprintln!("server: {error}");
            }
        });
    }
}

async fn answer(stream: TcpStream) -> io::Result<()> {
    let mut request = [0u8; 64];
    let n = stream.read(&mut request).await?;
    sleep(Duration::from_millis(500)).await;
    let name = String::from_utf8_lossy(&request[..n]);
    stream.write_all(format!("hello, {name}").as_bytes()).await
}

async fn fetch(addr: SocketAddr, id: u32) -> io::Result<String> {
    let stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("job {id}").as_bytes()).await?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[job_main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = spawn(serve(listener));

    let start = Instant::now();
    let replies = tasks![for id in 0..5 => fetch(addr, id)].await;
    for reply in replies {
        println!("{}", reply?);
    }
    println!("5 fetches in {:?}", start.elapsed());

    server.cancel().await;
    Ok(())
}
