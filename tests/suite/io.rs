//! jobloop's I/O on the default loop: the ecosystem's traits, host names, listen queue, UDP,
//! Unix sockets, subprocesses, tokio-based types, and the faults of each (issue 14).

use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use jobloop::net::{TcpListener, TcpStream, UdpSocket};
use jobloop::{job_test, spawn, tasks, timeout};

/// A listener on 127.0.0.1 and its address.
fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[job_test]
async fn futures_io_copy_between_two_tcp_streams() {
    let (source, source_addr) = listener();
    let (sink, sink_addr) = listener();
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let sent = data.clone();
    let writer = spawn(async move {
        let (mut stream, _) = source.accept().await.unwrap();
        stream.write_all(&sent).await.unwrap();
        stream.close().await.unwrap();
    });
    let reader = spawn(async move {
        let (stream, _) = sink.accept().await.unwrap();
        let stream = &stream;
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        got
    });
    let from = TcpStream::connect(source_addr).await.unwrap();
    let mut to = TcpStream::connect(sink_addr).await.unwrap();
    let copied = futures_util::io::copy(from, &mut to).await.unwrap();
    to.close().await.unwrap();
    writer.await;
    assert_eq!(copied, data.len() as u64);
    assert_eq!(reader.await, data);
}

#[job_test]
async fn one_task_reads_while_another_writes_through_shared_references() {
    let (listener, addr) = listener();
    let echo = spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (mut reader, mut writer) = (&stream, &stream);
        futures_util::io::copy(&mut reader, &mut writer)
            .await
            .unwrap();
    });
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, writer) = (&stream, &stream);
    let read = async {
        let mut got = vec![0; 5];
        reader.read_exact(&mut got).await.unwrap();
        got
    };
    let write = async {
        writer.write_all(b"hello").await.unwrap();
    };
    let (got, ()) = tasks![scoped; read, write].await;
    assert_eq!(got, b"hello");
    stream.shutdown(Shutdown::Write).unwrap();
    echo.await;
}

#[job_test]
async fn connect_resolves_host_names_in_every_form_std_accepts() {
    let (listener, addr) = listener();
    let port = addr.port();
    let accepts = spawn(async move {
        for _ in 0..4 {
            listener.accept().await.unwrap();
        }
    });
    TcpStream::connect(format!("localhost:{port}"))
        .await
        .unwrap();
    TcpStream::connect(("localhost", port)).await.unwrap();
    TcpStream::connect(&format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    TcpStream::connect(&[addr][..]).await.unwrap();
    accepts.await;
}

#[job_test]
async fn a_name_that_does_not_resolve_is_an_error_naming_it() {
    // `.invalid` never resolves (RFC 2606); bounded in case the resolver is slow to say so.
    let result = timeout(
        Duration::from_secs(20),
        TcpStream::connect("no-such-host.invalid:80"),
    )
    .await
    .expect("the lookup gave up within 20 s");
    let error = result.unwrap_err();
    assert!(
        error.to_string().contains("no-such-host.invalid:80"),
        "{error}"
    );
    let error = TcpStream::connect("no-port").await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("host:port"), "{error}");
}

#[job_test]
async fn a_refused_connection_is_an_error() {
    let addr = {
        let (listener, addr) = listener();
        drop(listener);
        addr
    };
    let error = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
}

/// Closes `stream` with a reset (linger 0) instead of a graceful close.
fn reset(stream: std::net::TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

#[job_test]
async fn a_peer_that_resets_mid_read_and_mid_write_gives_errors() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    let peer = std::thread::spawn(move || {
        let (mut first, _) = std_listener.accept().unwrap();
        first.write_all(b"partial").unwrap();
        std::thread::sleep(Duration::from_millis(50));
        reset(first);
        let (second, _) = std_listener.accept().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        reset(second);
    });
    // Mid-read: some bytes, then the reset.
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    let error = stream.read_to_end(&mut got).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionReset, "{error}");
    assert_eq!(got, b"partial");
    // Mid-write: writes go on until the reset makes one fail.
    let stream = TcpStream::connect(addr).await.unwrap();
    let chunk = vec![7u8; 64 * 1024];
    let deadline = Instant::now() + Duration::from_secs(10);
    let error = loop {
        assert!(Instant::now() < deadline, "the reset never failed a write");
        match stream.write(&chunk).await {
            Ok(_) => jobloop::sleep(Duration::from_millis(5)).await,
            Err(error) => break error,
        }
    };
    assert!(
        matches!(
            error.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
        "{error}"
    );
    peer.join().unwrap();
}

#[job_test]
async fn the_listen_queue_holds_600_connections_before_any_accept() {
    let (listener, addr) = listener();
    // std's 128 would hold about 129 of them; the others would time out.
    let connected = jobloop::to_thread(move || {
        (0..600)
            .map(|_| std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)))
            .collect::<io::Result<Vec<_>>>()
    })
    .await
    .expect("every connect completed while nothing accepted");
    for _ in 0..600 {
        listener.accept().await.unwrap();
    }
    drop(connected);
}

#[job_test]
async fn socket_options_and_std_conversions() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listener = TcpListener::from_std(std_listener).unwrap();
    let addr = listener.local_addr().unwrap();
    let client = spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (server, _) = listener.accept().await.unwrap();
    let client = client.await;
    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_ttl(42).unwrap();
    assert_eq!(client.ttl().unwrap(), 42);
    #[cfg(unix)]
    {
        use std::os::fd::{AsFd, AsRawFd};
        assert_eq!(client.as_fd().as_raw_fd(), client.as_raw_fd());
    }
    server.write_all(b"peeked").await.unwrap();
    let mut buf = [0; 6];
    let n = client.peek(&mut buf).await.unwrap();
    assert_eq!(&buf[..n], &b"peeked"[..n]);
    let mut all = vec![0; 6];
    let mut reader = &client;
    reader.read_exact(&mut all).await.unwrap();
    assert_eq!(all, b"peeked");
    let mut std_client = client.into_std().unwrap();
    std_client.set_nonblocking(false).unwrap();
    server.write_all(b"after").await.unwrap();
    let mut after = [0; 5];
    std_client.read_exact(&mut after).unwrap();
    assert_eq!(&after, b"after");
    listener.into_std().unwrap();
}

#[job_test]
async fn udp_datagrams_both_ways_and_one_longer_than_the_buffer_is_cut() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server_addr = server.local_addr().unwrap();
    client.connect(server_addr).unwrap();
    assert_eq!(client.peer_addr().unwrap(), server_addr);
    client.send(b"ping").await.unwrap();
    let mut buf = [0; 64];
    let (n, from) = server.recv_from(&mut buf).await.unwrap();
    assert_eq!(
        (&buf[..n], from),
        (&b"ping"[..], client.local_addr().unwrap())
    );
    server.send_to(b"pong", from).await.unwrap();
    assert_eq!(client.recv(&mut buf).await.unwrap(), 4);
    assert_eq!(&buf[..4], b"pong");
    // 1000 bytes into 100: the first 100 arrive, the rest is gone, the next datagram is whole.
    server.send_to(&[9; 1000], from).await.unwrap();
    server.send_to(b"next", from).await.unwrap();
    let mut small = [0; 100];
    assert_eq!(client.recv(&mut small).await.unwrap(), 100);
    assert_eq!(small, [9; 100]);
    assert_eq!(client.recv(&mut buf).await.unwrap(), 4);
    assert_eq!(&buf[..4], b"next");
}

#[cfg(unix)]
#[job_test]
async fn unix_sockets_carry_bytes_with_the_same_traits() {
    use jobloop::net::{UnixListener, UnixStream};
    let path = std::env::temp_dir().join(format!("jobloop-io-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let server = spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        stream.read_to_end(&mut got).await.unwrap();
        stream.write_all(&got).await.unwrap();
    });
    let client = UnixStream::connect(&path).await.unwrap();
    client.write_all(b"over unix").await.unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut reply = Vec::new();
    client.read_to_end(&mut reply).await.unwrap();
    assert_eq!(reply, b"over unix");
    server.await;
    std::fs::remove_file(&path).unwrap();
    let error = UnixStream::connect(&path).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    let (a, b) = UnixStream::pair().unwrap();
    a.write_all(b"pair").await.unwrap();
    let mut buf = [0; 4];
    (&b).read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pair");
}

/// `UnixListener::bind` over a socket file whose server is gone replaces it; over a live
/// server's socket or a file that is not a socket it fails with an error that names the path
/// and says what to do.
#[cfg(unix)]
#[job_test]
async fn unix_bind_replaces_a_stale_socket_and_names_the_path_otherwise() {
    use jobloop::net::{UnixListener, UnixStream};
    let dir = std::env::temp_dir().join(format!("jobloop-stale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("server.sock");
    let _ = std::fs::remove_file(&path);

    drop(UnixListener::bind(&path).unwrap()); // the server is gone; its file stays
    assert!(path.exists());
    let listener = UnixListener::bind(&path).expect("a stale socket file is replaced");
    let client = spawn({
        let path = path.clone();
        async move { UnixStream::connect(&path).await.map(drop) }
    });
    listener.accept().await.unwrap();
    client.await.unwrap();

    let live = UnixListener::bind(&path).unwrap_err();
    assert_eq!(live.kind(), io::ErrorKind::AddrInUse);
    let message = live.to_string();
    assert!(message.contains(&*path.to_string_lossy()), "{message}");
    assert!(message.contains("another server listens"), "{message}");

    let file = dir.join("not-a-socket");
    std::fs::write(&file, "data").unwrap();
    let message = UnixListener::bind(&file).unwrap_err().to_string();
    assert!(message.contains(&*file.to_string_lossy()), "{message}");
    assert!(message.contains("not a socket"), "{message}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        b"data",
        "the file is left alone"
    );

    let missing = UnixStream::connect(dir.join("missing.sock"))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    assert!(missing.to_string().contains("missing.sock"), "{missing}");
    drop(listener);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 1 000 clients, each sending 10 KB and reading it back, against one echo server, all on one
/// loop: every client's bytes come back whole (a checksum per client).
#[cfg(unix)]
#[test]
fn a_thousand_concurrent_echo_clients_lose_no_byte() {
    if is_child() {
        return jobloop::EventLoop::new().block_on(thousand_echo_clients());
    }
    // 2 000 sockets and some: more than the 1 024 a shell often allows by default.
    let child = in_child_with_fd_limit("a_thousand_concurrent_echo_clients_lose_no_byte", 2_400);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the child failed: {:?}",
        output.status
    );
}

#[cfg(unix)]
async fn thousand_echo_clients() {
    let (listener, addr) = listener();
    let server = spawn(async move {
        let mut handlers = Vec::new();
        for _ in 0..1000 {
            let (stream, _) = listener.accept().await.unwrap();
            handlers.push(spawn(async move {
                let (mut reader, mut writer) = (&stream, &stream);
                futures_util::io::copy(&mut reader, &mut writer)
                    .await
                    .unwrap();
            }));
        }
        for handler in handlers {
            handler.await;
        }
    });
    let sums = tasks![limit = 1000; for client in 0..1000u32 => async move {
        let payload: Vec<u8> = (0..10_240u32).map(|i| (i * 31 + client) as u8).collect();
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let (reader, writer) = (&stream, &stream);
        let (sent, got) = tasks![scoped;
            async {
                writer.write_all(&payload).await.unwrap();
                stream.shutdown(Shutdown::Write).unwrap();
                checksum(&payload)
            },
            async {
                let mut back = Vec::new();
                reader.read_to_end(&mut back).await.unwrap();
                checksum(&back)
            },
        ]
        .await;
        stream.close().await.ok();
        (sent, got)
    }]
    .await;
    server.await;
    for (client, (sent, got)) in sums.iter().enumerate() {
        assert_eq!(sent, got, "client {client} got other bytes back");
    }
}

#[cfg(unix)]
fn checksum(bytes: &[u8]) -> (usize, u64) {
    let sum = bytes.iter().enumerate().fold(0u64, |sum, (i, &b)| {
        sum.wrapping_mul(1_000_003)
            .wrapping_add(u64::from(b) ^ i as u64)
    });
    (bytes.len(), sum)
}

/// Runs the test `name` of this binary again in a child process whose open-file limit is
/// `limit` (set by the shell's `ulimit -n`), with `JOBLOOP_IO_CHILD` set; returns its stdout.
/// The limit is the process's, so a test that changes it runs alone in a process of its own.
#[cfg(unix)]
fn in_child_with_fd_limit(name: &str, limit: u32) -> std::process::Child {
    let exe = std::env::current_exe().unwrap();
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("JOBLOOP_IO_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[cfg(unix)]
fn is_child() -> bool {
    std::env::var_os("JOBLOOP_IO_CHILD").is_some()
}

/// `accept` when the process is out of file descriptors: the error is returned, a loop that
/// logs it and accepts again does not spin (the listener pauses between such errors), and
/// the queued connection is accepted once descriptors are free again.
#[cfg(unix)]
#[test]
fn accept_out_of_file_descriptors_errs_then_recovers_without_spinning() {
    use std::io::BufRead as _;
    if is_child() {
        return jobloop::EventLoop::new().block_on(accept_out_of_descriptors());
    }
    let name = "io::accept_out_of_file_descriptors_errs_then_recovers_without_spinning";
    let mut child = in_child_with_fd_limit(name, 64);
    let mut lines = io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut port = None;
    let mut client = None;
    let mut report = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        // The harness's "test ... " may begin the first line.
        if let Some((_, p)) = line.split_once("port ") {
            port = Some(p.trim().parse::<u16>().unwrap());
        } else if line == "full" {
            let addr = SocketAddr::from(([127, 0, 0, 1], port.unwrap()));
            client = Some(std::net::TcpStream::connect(addr).unwrap());
        } else if let Some(rest) = line.strip_prefix("accepted after ") {
            report = Some(rest.to_owned());
            break;
        }
    }
    assert!(child.wait().unwrap().success());
    drop(client);
    let report = report.expect("the child accepted the connection in the end");
    let errors: u32 = report.split(' ').next().unwrap().parse().unwrap();
    // Over 300 ms, pauses of 1, 2, 4, ... ms allow about 9 errors; a spinning loop makes
    // hundreds of thousands.
    assert!((1..=20).contains(&errors), "{report}");
}

#[cfg(unix)]
async fn accept_out_of_descriptors() {
    let (listener, addr) = listener();
    println!("port {}", addr.port());
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(error) if error.raw_os_error() == Some(libc_emfile()) => break,
            Err(error) => panic!("{error}"),
        }
    }
    println!("full");
    let start = Instant::now();
    let mut errors = 0;
    loop {
        match listener.accept().await {
            Ok(_) => break,
            Err(error) => {
                assert_eq!(error.raw_os_error(), Some(libc_emfile()), "{error}");
                errors += 1;
                if start.elapsed() > Duration::from_millis(300) {
                    files.clear();
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never accepted");
    }
    println!("accepted after {errors} errors in {:?}", start.elapsed());
}

/// A listener out of file descriptors, on every runtime with a reactor and for both accepting
/// types: a loop that accepts under a `timeout` shorter than the listener's pause (README's
/// server pattern, a `race` with a shutdown signal, is the same) neither spins nor stays
/// paused. Over 1 s without descriptors the errors are few (pauses of 1, 2, 4, ... ms) and a
/// 10 ms ticker beside it keeps running; once descriptors are free, every queued client is
/// accepted, although each pause by then is longer than the timeout.
#[cfg(unix)]
#[test]
fn a_listener_out_of_descriptors_pauses_and_recovers_under_a_shorter_timeout() {
    use std::io::Read as _;
    if is_child() {
        return out_of_descriptors::on_every_runtime();
    }
    let name = "io::a_listener_out_of_descriptors_pauses_and_recovers_under_a_shorter_timeout";
    let mut child = in_child_with_fd_limit(name, 64);
    let mut report = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut report)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{report}");
    let runtimes =
        1 + 2 * usize::from(cfg!(feature = "tokio")) + usize::from(cfg!(feature = "smol"));
    assert_eq!(
        report.matches("recovered").count(),
        2 * runtimes,
        "{report}"
    );
    println!("{report}");
}

#[cfg(unix)]
mod out_of_descriptors {
    use std::cell::Cell;
    use std::future::Future;
    use std::io;
    use std::rc::Rc;
    use std::time::{Duration, Instant};

    use jobloop::net::{TcpListener, UnixListener};
    use jobloop::{sleep, spawn, timeout, Runtime};

    const CLIENTS: usize = 8;

    pub fn on_every_runtime() {
        println!("event loop:");
        Runtime::run(jobloop::EventLoop::new(), both());
        #[cfg(feature = "tokio")]
        {
            println!("tokio current-thread:");
            Runtime::run(jobloop::runtime::Tokio::current_thread(), both());
            println!("tokio multi-thread:");
            Runtime::run(jobloop::runtime::Tokio::multi_thread(2), both());
        }
        #[cfg(feature = "smol")]
        {
            println!("smol:");
            Runtime::run(jobloop::runtime::Smol::new(), both());
        }
    }

    async fn both() {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = tcp.local_addr().unwrap();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        pause_then_recover("tcp", || async { tcp.accept().await.map(drop) }).await;
        drop(clients);

        let dir = std::env::temp_dir().join(format!("jobloop-emfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("socket");
        let _ = std::fs::remove_file(&path);
        let unix = UnixListener::bind(&path).unwrap();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| std::os::unix::net::UnixStream::connect(&path).unwrap())
            .collect();
        pause_then_recover("unix", || async { unix.accept().await.map(drop) }).await;
        drop(clients);
        let _ = std::fs::remove_dir_all(&dir);
    }

    async fn pause_then_recover<F: Future<Output = io::Result<()>>>(
        kind: &str,
        accept: impl Fn() -> F,
    ) {
        let ticks = Rc::new(Cell::new(0u32));
        let ticker = spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    sleep(Duration::from_millis(10)).await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
        // Every descriptor taken.
        let mut files = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(file) => files.push(file),
                Err(error) if error.raw_os_error() == Some(super::libc_emfile()) => break,
                Err(error) => panic!("{error}"),
            }
        }
        let start = Instant::now();
        let (mut errors, mut accepted, mut freed) = (0u32, 0, None);
        while accepted < CLIENTS {
            match timeout(Duration::from_millis(100), accept()).await {
                Ok(Ok(())) => accepted += 1,
                Ok(Err(error)) => {
                    assert_eq!(error.raw_os_error(), Some(super::libc_emfile()), "{error}");
                    errors += 1;
                }
                Err(_) => {} // timed out, mid-pause
            }
            if freed.is_none() && start.elapsed() >= Duration::from_secs(1) {
                files.clear();
                freed = Some(Instant::now());
            }
            assert!(
                start.elapsed() < Duration::from_secs(8),
                "{kind}: {accepted} of {CLIENTS} accepted; the descriptors were freed {:?} ago",
                freed.map(|at| at.elapsed())
            );
        }
        ticker.cancel().await;
        let recovered = freed
            .expect("accepted only once descriptors were free")
            .elapsed();
        let ticked = ticks.get();
        println!("{kind}: recovered {recovered:?} after the descriptors were freed, {errors} errors, {ticked} ticks");
        // 1 s of pauses doubling from 1 ms: about 10 errors; a spinning loop makes millions.
        assert!(
            errors <= 30,
            "{kind}: {errors} errors in 1 s: the listener spins"
        );
        // The longest pause is 1 s.
        assert!(recovered < Duration::from_secs(3), "{kind}: {recovered:?}");
        // About 100 ticks in the first second; a spinning accept starves the ticker.
        assert!(
            ticked >= 50,
            "{kind}: the ticker ticked {ticked} times in {:?}",
            start.elapsed()
        );
    }
}

/// `EMFILE` ("too many open files"), 24 on Linux, macOS and the BSDs.
#[cfg(unix)]
fn libc_emfile() -> i32 {
    24
}

#[cfg(unix)]
mod process {
    use std::io;
    use std::process::Stdio;
    use std::time::Duration;

    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    use jobloop::process::Command;
    use jobloop::{job_test, tasks};

    #[job_test]
    async fn output_and_status_of_a_child() {
        let output = Command::new("sh")
            .args(["-c", "echo out; echo err >&2; exit 3"])
            .output()
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(3));
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
        let status = Command::new("true").status().await.unwrap();
        assert!(status.success());
        let error = Command::new("no-such-program-jobloop").spawn().unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::NotFound);
    }

    #[job_test]
    async fn children_are_waited_for_together_not_one_after_another() {
        // Four children of 300 ms each, 4 at a time: about 300 ms, not 1.2 s (generous bound).
        let start = std::time::Instant::now();
        let statuses = tasks![for _ in 0..4 => async {
            Command::new("sleep").arg("0.3").status().await.unwrap()
        }]
        .await;
        assert!(statuses.iter().all(|status| status.success()));
        assert!(
            start.elapsed() < Duration::from_millis(1100),
            "{:?}",
            start.elapsed()
        );
    }

    #[job_test]
    async fn piped_stdin_and_stdout_with_the_io_traits() {
        // More than a pipe holds: both sides must run at once.
        cat_round_trip(&vec![b'x'; 300_000]).await;
    }

    /// `data` through `cat`: written to its piped stdin while its piped stdout is read, with
    /// the I/O traits' methods, as a codec would call them.
    pub(super) async fn cat_round_trip(data: &[u8]) {
        let mut child = Command::new("cat")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let (written, read) = tasks![scoped;
            async {
                AsyncWriteExt::write_all(&mut stdin, data).await.unwrap();
                drop(stdin);
                data.len()
            },
            async {
                let mut back = Vec::new();
                AsyncReadExt::read_to_end(&mut stdout, &mut back).await.unwrap();
                back.len()
            },
        ]
        .await;
        assert_eq!(written, read);
        assert!(child.wait().await.unwrap().success());
    }

    #[job_test]
    async fn a_killed_child_and_one_that_exits_before_its_output_is_read() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        child.kill().unwrap();
        let status = child.wait().await.unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9));
        child.kill().unwrap(); // killing an exited child is not an error
        let child = Command::new("sh")
            .args(["-c", "echo early"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        jobloop::sleep(Duration::from_millis(200)).await; // it has exited by now
        let output = child.wait_with_output().await.unwrap();
        assert_eq!(output.stdout, b"early\n");
    }

    /// Whether the process `pid` is still there (`kill -0`).
    fn alive(pid: u32) -> bool {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    }

    #[job_test]
    async fn a_dropped_child_runs_on_unless_kill_on_drop() {
        let mut left = Command::new("sleep").arg("30").spawn().unwrap();
        let left_pid = left.id();
        drop(left);
        assert!(
            alive(left_pid),
            "a dropped child is left running, as with std"
        );
        let _ = std::process::Command::new("kill")
            .arg(left_pid.to_string())
            .status();
        let mut killed = Command::new("sleep")
            .arg("30")
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let killed_pid = killed.id();
        drop(killed);
        // Killed at the drop, reaped by the `SIGCHLD` watcher once it has gone.
        let start = std::time::Instant::now();
        while alive(killed_pid) && start.elapsed() < Duration::from_secs(5) {
            jobloop::sleep(Duration::from_millis(5)).await;
        }
        assert!(!alive(killed_pid), "kill_on_drop killed and reaped it");
    }

    /// Waits (at most 5 s) until process `pid` no longer runs; whether it stopped.
    #[cfg(target_os = "linux")]
    async fn stops(pid: u32) -> bool {
        common::eventually(|| !common::runs(pid)).await
    }

    /// `sh` running a `sleep 30` in the background and waiting for it, as a shell's commands
    /// run; `command` is `sh` with its options. Returns the child and the pid of its `sleep`.
    #[cfg(target_os = "linux")]
    async fn shell_with_a_sleep(command: &mut Command) -> (jobloop::process::Child, u32) {
        let mut child = command
            .args(["-c", "sleep 30 & echo $!; wait"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use futures_util::io::{AsyncBufReadExt, BufReader};
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .await
            .unwrap();
        (child, line.trim().parse().unwrap())
    }

    /// `kill` stops a shell but not the command it started, which runs on orphaned (Python's
    /// `proc.kill()` too); `kill_group` on a child started with `new_process_group` stops
    /// both, and refuses a child in this program's own group.
    #[cfg(target_os = "linux")]
    #[job_test]
    async fn kill_group_stops_what_a_shell_started_and_kill_does_not() {
        let (mut shell, sleep) = shell_with_a_sleep(&mut Command::new("sh")).await;
        let refused = shell.kill_group().unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::InvalidInput, "{refused}");
        assert!(
            refused.to_string().contains("new_process_group"),
            "{refused}"
        );
        shell.kill().unwrap();
        shell.wait().await.unwrap();
        assert!(
            common::runs(sleep),
            "`kill` leaves the shell's command running"
        );
        let _ = std::process::Command::new("kill")
            .arg(sleep.to_string())
            .status();

        let mut command = Command::new("sh");
        let (mut shell, sleep) = shell_with_a_sleep(command.new_process_group()).await;
        shell.kill_group().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(shell.wait().await.unwrap().signal(), Some(9));
        assert!(stops(sleep).await, "`kill_group` stops the shell's command");
        shell.kill_group().unwrap(); // after `wait`: nothing to send, not an error
    }

    /// A child whose pipes cannot be made (no reactor that jobloop reaches: here no runtime at
    /// all) is killed with the error, not left running where nothing can reach it.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_spawn_whose_pipes_fail_leaves_no_process_running() {
        // A duration of its own, to find the process by.
        let marker = format!("30.{}", std::process::id());
        let error = Command::new("sleep")
            .arg(&marker)
            .stdout(Stdio::piped())
            .spawn()
            .expect_err("no reactor outside a runtime");
        assert_eq!(error.kind(), io::ErrorKind::Other, "{error}");
        let cmdline = format!("sleep\0{marker}\0");
        let find = || {
            std::fs::read_dir("/proc").unwrap().find_map(|entry| {
                let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
                let line = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                (line == cmdline.as_bytes()).then_some(pid)
            })
        };
        // Looked for during a second (one look can miss it while other tests start processes).
        let start = std::time::Instant::now();
        let mut started = find();
        while started.is_none() && start.elapsed() < Duration::from_secs(1) {
            std::thread::sleep(Duration::from_millis(20));
            started = find();
        }
        if let Some(pid) = started {
            let stopped = jobloop::EventLoop::new().block_on(stops(pid));
            assert!(stopped, "the child of a failed spawn was killed");
        }
    }

    /// With `new_process_group`, `kill_on_drop` kills the whole group, not the shell alone (a
    /// dropped `output` or `status` future: the conformance suite, on every runtime).
    #[cfg(target_os = "linux")]
    #[job_test]
    async fn kill_on_drop_of_a_new_process_group_takes_its_group_with_it() {
        let mut command = Command::new("sh");
        command.new_process_group().kill_on_drop(true);
        let (shell, sleep) = shell_with_a_sleep(&mut command).await;
        drop(shell);
        assert!(
            stops(sleep).await,
            "kill_on_drop stopped the shell's command"
        );
    }
}

/// With the feature `tokio`, tokio-based types work on the default loop: their I/O and timers
/// are driven by a tokio runtime on a thread of its own, while the tasks run on the loop.
#[cfg(feature = "tokio")]
mod tokio_on_the_default_loop {
    use std::time::{Duration, Instant};

    use jobloop::net::TcpListener;
    use jobloop::{job_test, spawn, tasks};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[job_test]
    async fn tokio_sleep_and_tokio_net_work_on_a_plain_job_test() {
        let start = Instant::now();
        // Three tokio sleeps of 200 ms at once: about 200 ms (generous bound).
        tasks![for _ in 0..3 => tokio::time::sleep(Duration::from_millis(200))].await;
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(200));
        assert!(elapsed < Duration::from_millis(1000), "{elapsed:?}");
        // A tokio client against a jobloop server, and jobloop's stream through tokio's traits.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = [0; 4];
            AsyncReadExt::read_exact(&mut stream, &mut request)
                .await
                .unwrap();
            AsyncWriteExt::write_all(&mut stream, b"pong")
                .await
                .unwrap();
            request
        });
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let mut reply = [0; 4];
        client.read_exact(&mut reply).await.unwrap();
        assert_eq!((&reply, &server.await), (b"pong", b"ping"));
    }
}

#[cfg(feature = "hyper")]
#[allow(dead_code)]
#[path = "../../examples/http/http_fetch.rs"]
mod http_fetch_example;

/// `examples/http/http_fetch.rs`: a hyper server and 50 hyper client requests, 8 at a time, on one
/// loop.
#[cfg(feature = "hyper")]
#[test]
fn the_http_fetch_example_fetches_every_page() {
    http_fetch_example::main().expect("the example runs");
}

/// The example's client sends the URL's query (it sent the path alone: `?lang=fr` was lost).
#[cfg(feature = "hyper")]
#[test]
fn the_http_fetch_example_keeps_the_urls_query() {
    jobloop::EventLoop::new().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _server = spawn(http_fetch_example::serve(listener));
        let url = format!("http://localhost:{port}/item/3?lang=fr");
        let (_, status, body) = http_fetch_example::fetch(url).await.unwrap();
        assert_eq!(status, 200);
        assert!(body.starts_with("item 3 (lang=fr):"), "{body}");
    });
}

#[cfg(unix)]
#[allow(dead_code)]
#[path = "../../examples/subprocesses.rs"]
mod subprocesses_example;

/// `examples/subprocesses.rs`: 20 shell commands, 4 at a time, printed as they complete.
#[cfg(unix)]
#[test]
fn the_subprocesses_example_runs_every_command() {
    subprocesses_example::main().expect("the example runs");
}

/// The same sockets and pipes on every runtime whose reactor jobloop drives: the embedded loop,
/// tokio (current-thread and multi-thread) and smol; on a runtime of one's own, making one is an
/// error that says what to do.
#[cfg(unix)]
mod on_every_runtime {

    use futures_util::io::{AsyncReadExt, AsyncWriteExt};
    use jobloop::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
    use jobloop::process::Command;
    use jobloop::{tasks, Runtime};

    /// TCP with a host name, `futures::io::copy` as the echo, UDP, a Unix socket, and a child
    /// with piped stdin and stdout.
    async fn sockets_and_pipes() {
        // TCP: an echo server that copies the stream onto itself, a client by host name.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let (copied, echoed) = tasks![
            async move {
                let (stream, _) = listener.accept().await.unwrap();
                let (mut reader, mut writer) = (&stream, &stream);
                futures_util::io::copy(&mut reader, &mut writer)
                    .await
                    .unwrap()
            },
            async move {
                let stream = TcpStream::connect(("localhost", port)).await.unwrap();
                let (mut reader, mut writer) = (&stream, &stream);
                let (sent, back) = tasks![scoped;
                    async {
                        AsyncWriteExt::write_all(&mut writer, &sent).await.unwrap();
                        stream.shutdown(std::net::Shutdown::Write).unwrap();
                    },
                    async {
                        let mut back = Vec::new();
                        AsyncReadExt::read_to_end(&mut reader, &mut back).await.unwrap();
                        back
                    },
                ]
                .await;
                let () = sent;
                back
            },
        ]
        .await;
        assert_eq!(copied, data.len() as u64);
        assert_eq!(echoed, data);

        // A refused connection is an error, not a hang.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed_addr = closed.local_addr().unwrap();
        drop(closed);
        let refused = TcpStream::connect(closed_addr).await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

        // UDP both ways.
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = b.recv_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"ping"[..], a.local_addr().unwrap()));

        // A Unix socket, through the traits.
        let dir = std::env::temp_dir().join(format!(
            "jobloop-io-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("socket");
        let _ = std::fs::remove_file(&path);
        let unix = UnixListener::bind(&path).unwrap();
        let (served, got) = tasks![scoped;
            async {
                let (mut stream, _) = unix.accept().await.unwrap();
                AsyncWriteExt::write_all(&mut stream, b"over unix").await.unwrap();
            },
            async {
                let mut stream = UnixStream::connect(&path).await.unwrap();
                let mut got = Vec::new();
                AsyncReadExt::read_to_end(&mut stream, &mut got).await.unwrap();
                got
            },
        ]
        .await;
        let () = served;
        assert_eq!(got, b"over unix");
        let _ = std::fs::remove_dir_all(&dir);

        // A child's pipes: more than a pipe holds, written and read at once.
        super::process::cat_round_trip(&data).await;
        let output = Command::new("echo").arg("hi").output().await.unwrap();
        assert_eq!(output.stdout, b"hi\n");
    }

    /// `jobloop::io` alone: no trait of futures-util in scope.
    mod with_jobloop_io {
        use jobloop::io::{
            copy, lines_with_limit, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader,
            BufWriter, StreamExt,
        };
        use jobloop::net::{TcpListener, TcpStream};
        use jobloop::process::Command;
        use jobloop::tasks;

        /// asyncio's `StreamReader` limit: a peer that sends one line without end (here up to
        /// 256 MiB, far more than the sockets' buffers hold) gets its connection closed once the
        /// line passes the limit, while it is still sending: `lines_with_limit` did not wait
        /// for the end of the line.
        pub(super) async fn an_endless_line_from_a_peer_stops_at_the_limit() {
            const LIMIT: usize = 4096;
            const MOST: usize = 256 << 20;
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            let (read, sent) = tasks![
                async move {
                    let (stream, _) = listener.accept().await.unwrap();
                    let mut lines = lines_with_limit(BufReader::new(&stream), LIMIT);
                    let first = lines.next().await.unwrap().unwrap();
                    let error = lines.next().await.unwrap().unwrap_err();
                    let after = lines.next().await.is_none();
                    // Closed here, with the rest of the line unread.
                    (first, error.kind(), error.to_string(), after)
                },
                async move {
                    let stream = TcpStream::connect(address).await.unwrap();
                    stream.write_all(b"hello\n").await.unwrap();
                    let chunk = vec![b'x'; 64 * 1024];
                    let mut sent = 0;
                    while sent < MOST && stream.write_all(&chunk).await.is_ok() {
                        sent += chunk.len();
                    }
                    sent
                },
            ]
            .await;
            let (first, kind, message, after) = read;
            assert_eq!(first, "hello");
            assert_eq!(kind, std::io::ErrorKind::InvalidData);
            assert_eq!(message, "a line longer than 4096 bytes");
            assert!(after, "the stream ends after a line too long");
            assert!(
                sent < MOST,
                "the peer could send the whole 256 MiB: {sent} bytes"
            );
        }

        /// `jobloop::io` on the streams: lines, `read_until`, `read_exact`, `read_to_string` and a
        /// `BufWriter` over TCP (through `&stream` halves, reading and writing one stream), and the
        /// lines of a child's stdout.
        pub(super) async fn lines_and_buffers() {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let address = listener.local_addr().unwrap();
            let (served, client) = tasks![
                // A line server: each line back upper-cased, then `bye` and the count.
                async move {
                    let (stream, _) = listener.accept().await.unwrap();
                    let mut lines = BufReader::new(&stream).lines();
                    let mut writer = BufWriter::new(&stream);
                    let mut count = 0;
                    while let Some(line) = lines.next().await {
                        let line = line.unwrap();
                        writer
                            .write_all(format!("{}\n", line.to_uppercase()).as_bytes())
                            .await
                            .unwrap();
                        count += 1;
                    }
                    writer
                        .write_all(format!("bye {count};").as_bytes())
                        .await
                        .unwrap();
                    writer.write_all(b"0123456789").await.unwrap();
                    writer.flush().await.unwrap();
                    stream.shutdown(std::net::Shutdown::Write).unwrap();
                    count
                },
                async move {
                    let stream = TcpStream::connect(address).await.unwrap();
                    stream.write_all(b"one\ntwo\nthree").await.unwrap();
                    stream.shutdown(std::net::Shutdown::Write).unwrap();
                    let mut reader = BufReader::new(&stream);
                    let mut line = String::new();
                    let mut got = Vec::new();
                    for _ in 0..3 {
                        line.clear();
                        reader.read_line(&mut line).await.unwrap();
                        got.push(line.clone());
                    }
                    let mut until = Vec::new();
                    reader.read_until(b';', &mut until).await.unwrap();
                    let mut exact = [0u8; 4];
                    reader.read_exact(&mut exact).await.unwrap();
                    let mut rest = String::new();
                    reader.read_to_string(&mut rest).await.unwrap();
                    // At the end: `read_exact` is an error, `read_line` reads nothing.
                    let short = reader.read_exact(&mut exact).await.unwrap_err();
                    line.clear();
                    let at_end = reader.read_line(&mut line).await.unwrap();
                    (got, until, exact, rest, short.kind(), at_end)
                },
            ]
            .await;
            assert_eq!(served, 3);
            let (got, until, exact, rest, short, at_end) = client;
            assert_eq!(got, ["ONE\n", "TWO\n", "THREE\n"]);
            assert_eq!(until, b"bye 3;");
            assert_eq!(&exact, b"0123");
            assert_eq!(rest, "456789");
            assert_eq!(short, std::io::ErrorKind::UnexpectedEof);
            assert_eq!(at_end, 0);

            // A child's stdout, line by line, and `copy` into its stdin.
            let mut child = Command::new("cat")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let stdout = child.stdout.take().unwrap();
            let text: String = (0..2000).map(|i| format!("row {i}\n")).collect();
            let (copied, rows) = tasks![scoped;
                async {
                    let copied = copy(&mut text.as_bytes(), &mut stdin).await.unwrap();
                    drop(stdin);
                    copied
                },
                async {
                    let mut lines = BufReader::new(stdout).lines();
                    let mut rows = Vec::new();
                    while let Some(line) = lines.next().await {
                        rows.push(line.unwrap());
                    }
                    rows
                },
            ]
            .await;
            assert_eq!(copied, text.len() as u64);
            assert_eq!(rows.len(), 2000);
            assert_eq!(rows[1999], "row 1999");
            assert!(child.wait().await.unwrap().success());
        }
    }
    use with_jobloop_io::{an_endless_line_from_a_peer_stops_at_the_limit, lines_and_buffers};

    /// I/O that is always ready (a socket at its end, where every read returns 0 at once, read
    /// by `read` and through `AsyncRead`; a 1-byte ping-pong over a socket pair) still lets a
    /// 10 ms ticker on the same thread keep at least 80 % of its ticks.
    async fn always_ready_io_lets_a_ticker_tick() {
        use std::time::{Duration, Instant};
        const BUSY: Duration = Duration::from_millis(300);

        let (reader, writer) = UnixStream::pair().unwrap();
        drop(writer);
        for through_the_trait in [false, true] {
            let ticker = common::Ticker::start();
            let start = Instant::now();
            let mut buf = [0u8; 16];
            while start.elapsed() < BUSY {
                let read = if through_the_trait {
                    AsyncReadExt::read(&mut &reader, &mut buf).await
                } else {
                    reader.read(&mut buf).await
                };
                assert_eq!(read.unwrap(), 0);
            }
            let kept = ticker.kept_percent();
            assert!(
                kept >= 80,
                "reading at the end (trait: {through_the_trait}): the ticker kept {kept} %"
            );
        }

        let (a, b) = UnixStream::pair().unwrap();
        let ticker = common::Ticker::start();
        let start = Instant::now();
        let (a, b) = (&a, &b);
        tasks![scoped;
            async move {
                let mut byte = [0u8; 1];
                while start.elapsed() < BUSY {
                    a.write_all(&[1]).await.unwrap();
                    a.read(&mut byte).await.unwrap();
                }
                a.shutdown(std::net::Shutdown::Write).unwrap();
            },
            async move {
                let mut byte = [0u8; 1];
                while b.read(&mut byte).await.unwrap() == 1 {
                    b.write_all(&byte).await.unwrap();
                }
            },
        ]
        .await;
        let kept = ticker.kept_percent();
        assert!(kept >= 80, "ping-pong: the ticker kept {kept} %");
    }

    /// A `#[test]` per runtime whose reactor jobloop's streams register with (the loop, tokio
    /// current-thread and multi-thread, smol), each running `$case`, in a module named after it.
    macro_rules! on_stream_runtimes {
        ($case:ident) => {
            mod $case {
                use jobloop::Runtime;

                #[test]
                fn on_the_event_loop() {
                    Runtime::run(jobloop::EventLoop::new(), super::$case());
                }

                #[cfg(feature = "tokio")]
                #[test]
                fn on_tokio_current_thread() {
                    Runtime::run(jobloop::runtime::Tokio::current_thread(), super::$case());
                }

                #[cfg(feature = "tokio")]
                #[test]
                fn on_tokio_multi_thread() {
                    Runtime::run(jobloop::runtime::Tokio::multi_thread(2), super::$case());
                }

                #[cfg(feature = "smol")]
                #[test]
                fn on_smol() {
                    Runtime::run(jobloop::runtime::Smol::new(), super::$case());
                }
            }
        };
    }

    /// trio's `nursery.start`: a server started with `TaskSet::start` gives its port back once
    /// it listens, so the client that connects right after is accepted; the server runs on in
    /// the set, and its outcome comes from `next`.
    async fn a_server_started_with_start_listens_before_its_port_comes_back() {
        let mut set = jobloop::TaskSet::new();
        let port = set
            .start(|ready| async move {
                let listener = TcpListener::bind("127.0.0.1:0")?;
                ready.started(listener.local_addr()?.port());
                let (stream, _) = listener.accept().await?;
                stream.write_all(b"hello").await?;
                std::io::Result::Ok(())
            })
            .await
            .unwrap();
        let client = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut greeting = Vec::new();
        client.read_to_end(&mut greeting).await.unwrap();
        assert_eq!(greeting, b"hello");
        assert!(set.next().await.unwrap().unwrap().is_ok());
        assert!(set.is_empty());
    }

    on_stream_runtimes!(sockets_and_pipes);
    on_stream_runtimes!(a_server_started_with_start_listens_before_its_port_comes_back);
    on_stream_runtimes!(lines_and_buffers);
    on_stream_runtimes!(an_endless_line_from_a_peer_stops_at_the_limit);
    on_stream_runtimes!(always_ready_io_lets_a_ticker_tick);

    #[test]
    fn on_a_runtime_of_ones_own_a_socket_is_an_error_that_says_what_to_do() {
        Runtime::run(crate::custom_runtime::LocalPoolRuntime::new(), async {
            let error = TcpListener::bind("127.0.0.1:0").unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains("use that runtime's I/O types"),
                "{message}"
            );
            // `output` still works there, through the blocking pool.
            let output = Command::new("echo").arg("pool").output().await.unwrap();
            assert_eq!(output.stdout, b"pool\n");
        });
    }
}
