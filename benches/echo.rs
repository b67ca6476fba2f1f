//! An echo server on jobloop's default loop against the same server on tokio's current-thread
//! runtime, driven by the same client: 32 blocking client threads, each sending 64-byte
//! requests on its own connection and waiting for the echo, for a fixed time. Gives requests
//! per second and the latency percentiles of each server, rounds alternating between them.
//!
//!     cargo bench --bench echo                         # 3 rounds of 3 s per server
//!     cargo bench --bench echo -- --quick              # 3 rounds of 1 s
//!     cargo bench --bench echo -- --markdown FILE      # also append a table to FILE

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
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
}

/// Drives `addr` with the clients for `time` (after a short warm-up).
fn drive(addr: SocketAddr, time: Duration) -> Round {
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (stop, measuring) = (stop.clone(), measuring.clone());
            thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let request = [7u8; MESSAGE];
                let mut reply = [0u8; MESSAGE];
                let mut latencies = Vec::with_capacity(100_000);
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    stream.write_all(&request).unwrap();
                    stream.read_exact(&mut reply).unwrap();
                    if measuring.load(Ordering::Relaxed) {
                        latencies.push(start.elapsed());
                    }
                }
                latencies
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    measuring.store(true, Ordering::Relaxed);
    thread::sleep(time);
    measuring.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<Duration> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    Round {
        per_second: all.len() as f64 / time.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
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
    let mut rounds: Vec<Vec<Round>> = vec![Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        for (i, (name, addr)) in servers.iter().enumerate() {
            let measured = drive(*addr, time);
            println!(
                "round {round}: {name}: {:.0} requests/s, p50 {:?}, p99 {:?}",
                measured.per_second, measured.p50, measured.p99
            );
            rounds[i].push(measured);
        }
    }
    let summary: Vec<(f64, f64, f64)> = rounds
        .iter()
        .map(|rounds| {
            (
                median(rounds.iter().map(|r| r.per_second).collect()),
                median(rounds.iter().map(|r| r.p50.as_secs_f64() * 1e6).collect()),
                median(rounds.iter().map(|r| r.p99.as_secs_f64() * 1e6).collect()),
            )
        })
        .collect();
    let mut table = String::new();
    table.push_str(&format!(
        "### echo server: {CLIENTS} blocking client threads, {MESSAGE}-byte requests, one connection each (median of {ROUNDS} rounds of {} s, alternating)\n\n",
        time.as_secs()
    ));
    table.push_str("| server | requests/s | p50 latency | p99 latency | requests/s ratio to tokio |\n|---|---|---|---|---|\n");
    for ((name, _), (per_second, p50, p99)) in servers.iter().zip(&summary) {
        table.push_str(&format!(
            "| {name} | {per_second:.0} | {p50:.0} µs | {p99:.0} µs | {:.2} |\n",
            per_second / summary[1].0
        ));
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
