//! An HTTP server with hyper on jobloop's loop: every connection is handled as a task of its
//! own, and Ctrl-C or SIGTERM stops the server gracefully, as aiohttp's `run_app` does: new
//! connections are refused at once, each open connection finishes the request in flight and
//! closes (an idle keep-alive connection closes at once), and after a grace of 2 s the
//! connections left are dropped.
//!
//! Run it with `cargo run -p jobloop-http-examples --bin http_server`, then
//! `curl http://127.0.0.1:3000/hello` (set `PORT` for another port; `/slow` answers after 1 s).
use std::convert::Infallible;
use std::io;
use std::pin::pin;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use jobloop::group::FinishedOr;
use jobloop::net::{TcpListener, TcpStream};
use jobloop::sync::Event;
use jobloop::{job_main, signal, tasks, TaskSet};

async fn hello(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    println!("{} {}", request.method(), request.uri());
    if request.uri().path() == "/slow" {
        jobloop::sleep(Duration::from_secs(1)).await;
    }
    let reply = format!(
        "hello from jobloop: {} {}\n",
        request.method(),
        request.uri()
    );
    Ok(Response::new(Full::new(Bytes::from(reply))))
}

/// Serves one connection until it closes, or until `stop` is set: then the request in flight
/// is finished and the connection closed (hyper's graceful shutdown).
async fn serve(stream: TcpStream, stop: Event) -> hyper::Result<()> {
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(jobloop::hyper::Timer)
        .serve_connection(stream, hyper::service::service_fn(hello));
    let mut connection = pin!(connection);
    // A race of two: the connection's end, or the stop (one output type for both: `Option`).
    let (_, ended) = tasks![race, scoped;
        async { Some(connection.as_mut().await) },
        async { stop.wait().await; None },
    ]
    .await;
    match ended {
        Some(result) => result,
        None => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    }
}

/// Accepts connections, each served as a task of `connections`, until cancelled.
async fn accept(
    listener: &TcpListener,
    connections: &mut TaskSet<()>,
    stop: &Event,
) -> io::Result<()> {
    loop {
        // Take the next connection, or the end of a connection's task (to forget it).
        match connections.next_or(listener.accept()).await {
            FinishedOr::Finished(_) => {} // a connection closed (its errors are printed)
            FinishedOr::Other(accepted) => {
                let (stream, peer) = accepted?;
                let stop = stop.clone(); // a handle: its clones share one event
                connections.spawn(async move {
                    if let Err(error) = serve(stream, stop).await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
        }
    }
}

#[job_main]
async fn main() -> io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}"))?;
    // Serve until Ctrl-C or SIGTERM: from the calls on they come here instead of cancelling
    // `main` (made before the line that says the server listens, so that a signal sent as soon
    // as it is printed is taken). The race cancels its loser, the accept loop.
    let (ctrl_c, terminate) = (signal::ctrl_c(), signal::terminate());
    println!("listening on http://{}", listener.local_addr()?);
    let stop = Event::new();
    let mut connections = TaskSet::new();
    let (_, stopped) = tasks![race, scoped;
        accept(&listener, &mut connections, &stop),
        ctrl_c,
        terminate,
    ]
    .await;
    stopped?;
    drop(listener); // new connections are refused from now on
    println!("stopping: {} connections open", connections.len());
    stop.set();
    let grace = async { while connections.next().await.is_some() {} };
    if jobloop::timeout(Duration::from_secs(2), grace)
        .await
        .is_err()
    {
        println!("the grace is over: {} dropped", connections.len());
    }
    Ok(())
}
