//! An HTTP server with hyper on jobloop's loop: every connection is handled as a task of its
//! own, and Ctrl-C stops the server (the open connections are dropped, so their tasks end).
//!
//! Run it with `cargo run -p jobloop-http-examples --bin http_server`, then
//! `curl http://127.0.0.1:3000/hello` (set `PORT` for another port).
use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use jobloop::group::FinishedOr;
use jobloop::net::TcpListener;
use jobloop::{job_main, TaskSet};

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let reply = format!(
        "hello from jobloop: {} {}\n",
        request.method(),
        request.uri()
    );
    Ok(Response::new(Full::new(Bytes::from(reply))))
}

#[job_main]
async fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    let mut connections = TaskSet::new();
    loop {
        // Take the next connection, or the end of a connection's task (to forget it).
        match connections.next_or(listener.accept()).await {
            FinishedOr::Finished(_) => {} // a connection closed (its errors are printed)
            FinishedOr::Other(accepted) => {
                let (stream, peer) = accepted?;
                connections.spawn(async move {
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(jobloop::hyper::Timer)
                        .serve_connection(stream, hyper::service::service_fn(hello));
                    if let Err(error) = connection.await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
        }
    }
}
