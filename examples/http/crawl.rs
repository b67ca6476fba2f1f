//! A crawler, as asyncio's `as_completed` writes it: 100 URLs, 10 in flight, each request with
//! its own 2 s timeout, every result printed as it arrives, then a summary in which every URL
//! is accounted for. The HTTP client is reqwest, on jobloop's default loop through the feature
//! `tokio`. A local server stands in for the web (10 of its pages are missing, 3 never answer),
//! so the program needs no network.
//!
//! ```python
//! async def fetch(session, url):
//!     try:
//!         async with asyncio.timeout(2):
//!             async with session.get(url) as response:
//!                 return url, response.status, len(await response.read())
//!     except (aiohttp.ClientError, TimeoutError) as error:
//!         return url, None, repr(error)
//!
//! async def main(urls):
//!     sem = asyncio.Semaphore(10)
//!     async with aiohttp.ClientSession() as session:
//!         async def limited(url):
//!             async with sem:
//!                 return await fetch(session, url)
//!         for done in asyncio.as_completed([limited(u) for u in urls]):
//!             print(*await done)
//! ```
//!
//! Run it with `cargo run -p jobloop-http-examples --bin crawl`.
use std::time::{Duration, Instant};

use jobloop::{job_main, tasks};

/// What became of the URLs: fetched (200), missing (404), or failed (an error or a timeout).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub ok: usize,
    pub missing: usize,
    pub failed: usize,
}

/// GETs `url`: its status and size.
async fn fetch(client: reqwest::Client, url: String) -> reqwest::Result<(u16, usize)> {
    let response = client.get(&url).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.bytes().await?.len()))
}

/// Fetches every URL, 10 at a time, each with 2 s from its own start, printing each result as it
/// arrives: `Ok(Ok(..))` fetched, `Ok(Err(..))` reqwest's error, `Err(..)` timed out.
pub async fn crawl(urls: Vec<String>) -> Summary {
    let client = reqwest::Client::new(); // one client: its connections are reused
    let mut done = tasks![stream, settle, limit = 10, task_timeout = Duration::from_secs(2);
        for url in urls.clone() => fetch(client.clone(), url)];
    let mut summary = Summary::default();
    while let Some((i, result)) = done.next().await {
        match &result {
            Ok(Ok((200, _))) => summary.ok += 1,
            Ok(Ok((404, _))) => summary.missing += 1,
            _ => summary.failed += 1,
        }
        println!("{} {result:?}", urls[i]);
    }
    summary
}

#[job_main]
pub async fn main() -> std::io::Result<()> {
    let base = web::serve()?;
    let urls = (0..100).map(|i| format!("{base}/page/{i}")).collect();
    let start = Instant::now();
    let summary = crawl(urls).await;
    println!("{summary:?} in {:.2?}", start.elapsed());
    Ok(())
}

/// The stand-in for the web: `/page/N` answers after 10 to 90 ms, with a 404 for N ending in
/// 3, and never for N = 17, 42 and 99.
pub mod web {
    use std::convert::Infallible;
    use std::time::Duration;

    use http_body_util::Full;
    use hyper::body::{Bytes, Incoming};
    use hyper::{Request, Response, StatusCode};
    use jobloop::net::TcpListener;
    use jobloop::{sleep, spawn};

    async fn page(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
        let n: u64 = request
            .uri()
            .path()
            .trim_start_matches("/page/")
            .parse()
            .unwrap_or(0);
        if [17, 42, 99].contains(&n) {
            std::future::pending::<()>().await;
        }
        sleep(Duration::from_millis(10 + n * 37 % 81)).await;
        let mut response = Response::new(Full::new(Bytes::from(format!("page {n}"))));
        if n % 10 == 3 {
            *response.status_mut() = StatusCode::NOT_FOUND;
        }
        Ok(response)
    }

    /// Starts the server on this loop; its base URL (`http://127.0.0.1:PORT`).
    pub fn serve() -> std::io::Result<String> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        drop(spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                drop(spawn(
                    hyper::server::conn::http1::Builder::new()
                        .timer(jobloop::hyper::Timer)
                        .serve_connection(stream, hyper::service::service_fn(page)),
                ));
            }
        }));
        Ok(base)
    }
}
