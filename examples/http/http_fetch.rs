//! The seed's idea for real: fetch 50 URLs over HTTP, 8 at a time, and print each page as it
//! arrives, then a summary. A hyper server on the same loop answers them (each request after a
//! "lookup" of 10 to 90 ms), so the program needs no network; point `fetch` at any
//! `http://` host to fetch from the world instead.
//!
//! ```python
//! async def main():
//!     sem = asyncio.Semaphore(8)
//!     async with aiohttp.ClientSession() as session:
//!         async def fetch(url):
//!             async with sem, session.get(url) as response:
//!                 return url, response.status, await response.text()
//!         for done in asyncio.as_completed([fetch(u) for u in urls]):
//!             url, status, text = await done
//!             print(status, url, len(text))
//! ```
//!
//! Run it with `cargo run -p jobloop-http-examples --bin http_fetch`.
use std::convert::Infallible;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use jobloop::net::{TcpListener, TcpStream};
use jobloop::{job_main, sleep, spawn, tasks};

type Error = Box<dyn std::error::Error>;

/// The server's handler: `/item/N` is a page about N, after a lookup of 10 to 90 ms; a query
/// (`/item/N?lang=fr`) is named on the page.
async fn page(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let item: u64 = request
        .uri()
        .path()
        .strip_prefix("/item/")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    sleep(Duration::from_millis(10 + item * 37 % 81)).await;
    let query = request
        .uri()
        .query()
        .map(|q| format!(" ({q})"))
        .unwrap_or_default();
    let body = format!(
        "item {item}{query}: {}",
        "lorem ipsum ".repeat(item as usize % 7 + 1)
    );
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// Serves every connection as a task of its own, as an asyncio server does.
pub async fn serve(listener: TcpListener) -> Result<(), Error> {
    loop {
        let (stream, _) = listener.accept().await?;
        spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(jobloop::hyper::Timer)
                .serve_connection(stream, hyper::service::service_fn(page));
            if let Err(error) = connection.await {
                eprintln!("server: {error}");
            }
        });
    }
}

/// GETs `url` (`http://host:port/path?query`) with hyper's client: its status and body.
pub async fn fetch(url: String) -> Result<(String, u16, String), Error> {
    let uri: hyper::Uri = url.parse()?;
    let host = uri.host().ok_or("no host in the URL")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let stream = TcpStream::connect((host.as_str(), port)).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await?;
    // The connection's driver runs as a task beside the request.
    let driver = spawn(connection);
    // The path with its query (`uri.path()` alone would drop `?q=x`), and the host with its port.
    let target = uri.path_and_query().map_or("/", |target| target.as_str());
    let authority = uri.authority().ok_or("no host in the URL")?.as_str();
    let request = Request::get(target)
        .header(hyper::header::HOST, authority)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    drop(sender);
    driver.await?;
    Ok((url, status, String::from_utf8_lossy(&body).into_owned()))
}

#[job_main]
pub async fn main() -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let _server = spawn(serve(listener)); // dropped at the end of main: the server stops

    let urls: Vec<String> = (0..50)
        .map(|i| format!("http://localhost:{}/item/{i}?page=1", addr.port()))
        .collect();
    let start = Instant::now();
    let mut done = tasks![stream, limit = 8; for url in urls => fetch(url)];
    let (mut pages, mut bytes) = (0, 0);
    while let Some((_, result)) = done.next().await {
        let (url, status, body) = result?;
        println!("{status} {url} {} bytes", body.len());
        pages += 1;
        bytes += body.len();
    }
    println!(
        "{pages} pages, {bytes} bytes in {:.2?}, 8 at a time",
        start.elapsed()
    );
    Ok(())
}
