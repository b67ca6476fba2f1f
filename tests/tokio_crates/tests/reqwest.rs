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
