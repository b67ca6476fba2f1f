//! reqwest, a tokio-based HTTP client, on a plain `#[job_test]`: with jobloop's feature
//! `tokio`, the default loop drives tokio's I/O and timers for it.

use jobloop::net::TcpListener;
use jobloop::{job_test, spawn, tasks};

/// Answers `connections` requests with a small HTTP/1.1 response naming the path.
async fn serve(listener: TcpListener, connections: usize) {
    for _ in 0..connections {
        let (stream, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the client closed before its request ended");
            request.extend_from_slice(&buf[..n]);
        }
        let request = String::from_utf8_lossy(&request);
        let path = request.split(' ').nth(1).unwrap_or("?").to_owned();
        let body = format!("you asked for {path}");
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await.unwrap();
    }
}

#[job_test]
async fn reqwest_gets_from_a_local_server_on_the_default_loop() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = spawn(serve(listener, 3));
    let client = reqwest::Client::new();
    let bodies = tasks![try; for i in 0..3 => {
        let (client, url) = (client.clone(), format!("http://{addr}/page/{i}"));
        async move { client.get(url).send().await?.error_for_status()?.text().await }
    }]
    .await
    .unwrap();
    assert_eq!(
        bodies,
        [
            "you asked for /page/0",
            "you asked for /page/1",
            "you asked for /page/2"
        ]
    );
    server.await;
}

/// A keep-alive HTTP/1.1 server: each connection answers requests until the client closes it;
/// `/slow/...` answers after 5 s. Counts the connections it accepted.
async fn serve_keep_alive(listener: TcpListener, connections: std::rc::Rc<std::cell::Cell<usize>>) {
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        connections.set(connections.get() + 1);
        spawn(async move {
            let mut pending = Vec::new();
            let mut buf = [0; 4096];
            loop {
                let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                    }
                    continue;
                };
                let request = String::from_utf8_lossy(&pending[..end]).into_owned();
                pending.drain(..end + 4);
                let path = request.split(' ').nth(1).unwrap_or("?").to_owned();
                if path.starts_with("/slow/") {
                    jobloop::sleep(std::time::Duration::from_secs(5)).await;
                }
                let body = format!("you asked for {path}");
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                if stream.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// The crawler's shape on the default loop: 100 GETs through one reqwest client, 10 at a time,
/// each with its own timeout (`jobloop::timeout`), outcomes as they come. Every request is
/// accounted for, the 5 slow ones time out, and the client reuses its connections (keep-alive):
/// far fewer connections than requests reach the server.
#[job_test]
async fn a_hundred_requests_ten_at_a_time_with_a_timeout_each_reuse_connections() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = std::rc::Rc::new(std::cell::Cell::new(0));
    let _server = spawn(serve_keep_alive(listener, connections.clone()));
    let client = reqwest::Client::new();
    let timeout = std::time::Duration::from_millis(500);
    let mut done = tasks![stream, limit = 10; for i in 0..100 => {
        let (client, kind) = (client.clone(), if i % 20 == 7 { "slow" } else { "page" });
        let url = format!("http://{addr}/{kind}/{i}");
        async move {
            let get = async { client.get(url).send().await?.error_for_status()?.text().await };
            jobloop::timeout(timeout, get).await
        }
    }];
    let (mut ok, mut timed_out) = (0, 0);
    while let Some((i, outcome)) = done.next().await {
        match outcome {
            Ok(Ok(body)) => {
                assert_eq!(body, format!("you asked for /page/{i}"));
                ok += 1;
            }
            Ok(Err(error)) => panic!("request {i}: {error}"),
            Err(jobloop::Elapsed { .. }) => timed_out += 1,
        }
    }
    assert_eq!((ok, timed_out), (95, 5), "every request is accounted for");
    // 10 at a time, and each timed-out request loses its connection: at most 15 connections
    // for 100 requests if they are reused (100 if they were not).
    assert!(
        connections.get() <= 15,
        "{} connections for 100 requests: keep-alive did not reuse them",
        connections.get()
    );
}

#[allow(dead_code)] // its `main` is the example's
#[path = "../../../examples/http/crawl.rs"]
mod crawl_example;

/// `examples/http/crawl.rs`: 100 URLs, 10 in flight, 2 s each; its summary accounts for every
/// one (87 pages, the 10 missing ones, the 3 that never answer).
#[job_test]
async fn the_crawl_example_accounts_for_every_url() {
    let base = crawl_example::web::serve().unwrap();
    let urls = (0..100).map(|i| format!("{base}/page/{i}")).collect();
    let summary = crawl_example::crawl(urls).await;
    let expected = crawl_example::Summary {
        ok: 87,
        missing: 10,
        failed: 3,
    };
    assert_eq!(summary, expected);
}
