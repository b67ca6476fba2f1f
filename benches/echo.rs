//! An echo server on jobloop's default loop against the same server on tokio's current-thread
//! runtime, driven by the same client: one thread (a tokio current-thread runtime) holding 32,
//! then 1 000, connections, each sending a 64-byte request and waiting for its echo, over and
//! over, for a fixed time. So the server has a core to itself and the client the other (32
//! blocking client threads on two cores measured the kernel's scheduler more than the servers).
//! Gives requests per second, the latency percentiles, and how evenly the connections were
//! served (the fewest requests any one connection got through, against the mean), rounds
//! alternating between the servers.
//!
//!     cargo bench -p jobloop-benches --bench echo                    # 3 rounds of 3 s each
//!     cargo bench -p jobloop-benches --bench echo -- --quick         # 3 rounds of 1 s
//!     cargo bench -p jobloop-benches --bench echo -- --markdown FILE # also append a table to FILE

use std::io::Write;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The loads: connections held at once.
const LOADS: [usize; 2] = [32, 1000];
const MESSAGE: usize = 64;
const ROUNDS: usize = 3;

/// Starts jobloop's echo server on a thread of its own; its address.
fn jobloop_server() -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        jobloop::EventLoop::new().block_on(async move {
            let listener = jobloop::net::TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                drop(jobloop::spawn(async move {
                    stream.set_nodelay(true).unwrap();
                    let mut buf = [0; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                }));
            }
        });
    });
    rx.recv().unwrap()
}

/// Starts the same server on tokio's current-thread runtime.
fn tokio_server() -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    stream.set_nodelay(true).unwrap();
                    let mut buf = [0; 4096];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// What one round against one server measured.
struct Round {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    /// The fewest requests one connection got through, against the mean of all connections.
    evenness: f64,
}

/// Drives `addr` with `connections` connections for `time` (after a short warm-up), from one
/// client thread.
fn drive(addr: SocketAddr, connections: usize, time: Duration) -> Round {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let per_connection: Vec<Vec<Duration>> = runtime.block_on(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let measuring = Rc::new(std::cell::Cell::new(false));
                let stop = Rc::new(std::cell::Cell::new(false));
                let mut streams = Vec::with_capacity(connections);
                for _ in 0..connections {
                    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
                    stream.set_nodelay(true).unwrap();
                    streams.push(stream);
                }
                let clients: Vec<_> = streams
                    .into_iter()
                    .map(|mut stream| {
                        let (measuring, stop) = (measuring.clone(), stop.clone());
                        tokio::task::spawn_local(async move {
                            let request = [7u8; MESSAGE];
                            let mut reply = [0u8; MESSAGE];
                            let mut latencies = Vec::new();
                            while !stop.get() {
                                let start = Instant::now();
                                stream.write_all(&request).await.unwrap();
                                stream.read_exact(&mut reply).await.unwrap();
                                if measuring.get() {
                                    latencies.push(start.elapsed());
                                }
                            }
                            latencies
                        })
                    })
                    .collect();
                tokio::time::sleep(Duration::from_millis(300)).await;
                measuring.set(true);
                tokio::time::sleep(time).await;
                measuring.set(false);
                stop.set(true);
                let mut all = Vec::with_capacity(connections);
                for client in clients {
                    all.push(client.await.unwrap());
                }
                all
            })
            .await
    });
    let counts: Vec<usize> = per_connection.iter().map(Vec::len).collect();
    let mut all: Vec<Duration> = per_connection.into_iter().flatten().collect();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    let mean = all.len() as f64 / counts.len() as f64;
    Round {
        per_second: all.len() as f64 / time.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        evenness: *counts.iter().min().unwrap() as f64 / mean,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let markdown = args
        .iter()
        .position(|arg| arg == "--markdown")
        .and_then(|i| args.get(i + 1).cloned());
    // `cargo bench` passes `--bench`; anything else it passes is ignored here.
    let time = Duration::from_secs(if quick { 1 } else { 3 });
    let servers = [
        ("jobloop (default loop)", jobloop_server()),
        ("tokio (current thread)", tokio_server()),
    ];
    let mut table = String::new();
    table.push_str(&format!(
        "### echo server: one client thread holding N connections, {MESSAGE}-byte requests, each waiting for its echo (median of {ROUNDS} rounds of {} s, alternating)\n\n",
        time.as_secs()
    ));
    table.push_str("| connections | server | requests/s | p50 latency | p99 latency | fewest requests of a connection / mean | requests/s ratio to tokio |\n|---|---|---|---|---|---|---|\n");
    for connections in LOADS {
        let mut rounds: Vec<Vec<Round>> = vec![Vec::new(), Vec::new()];
        for round in 0..ROUNDS {
            for (i, (name, addr)) in servers.iter().enumerate() {
                let measured = drive(*addr, connections, time);
                println!(
                    "{connections} connections, round {round}: {name}: {:.0} requests/s, p50 {:?}, p99 {:?}, evenness {:.2}",
                    measured.per_second, measured.p50, measured.p99, measured.evenness
                );
                rounds[i].push(measured);
            }
        }
        let summary: Vec<(f64, f64, f64, f64)> = rounds
            .iter()
            .map(|rounds| {
                (
                    median(rounds.iter().map(|r| r.per_second).collect()),
                    median(rounds.iter().map(|r| r.p50.as_secs_f64() * 1e6).collect()),
                    median(rounds.iter().map(|r| r.p99.as_secs_f64() * 1e6).collect()),
                    median(rounds.iter().map(|r| r.evenness).collect()),
                )
            })
            .collect();
        for ((name, _), (per_second, p50, p99, evenness)) in servers.iter().zip(&summary) {
            table.push_str(&format!(
                "| {connections} | {name} | {per_second:.0} | {p50:.0} µs | {p99:.0} µs | {evenness:.2} | {:.2} |\n",
                per_second / summary[1].0
            ));
        }
    }
    table.push('\n');
    print!("{table}");
    if let Some(path) = markdown {
        use std::fs::OpenOptions;
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .unwrap();
        file.write_all(table.as_bytes()).unwrap();
    }
}
