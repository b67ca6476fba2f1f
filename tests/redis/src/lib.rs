//! A real `redis-server` for the tests of `jobloop::redis`: started on a free port of
//! 127.0.0.1, in a directory of its own, by default with every write kept on disk (`appendonly
//! yes`, `appendfsync always`) so that a restart loses nothing; stopped and its directory
//! removed when dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` process of the tests.
pub struct RedisServer {
    port: u16,
    /// Whether every write is on disk before its reply (`appendfsync always`).
    durable: bool,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server; `None`, with a line on stderr saying so, when `redis-server` is not
    /// installed (`.ci/run` installs it: `apt-get install redis-server`).
    pub fn start() -> Option<RedisServer> {
        RedisServer::start_with(true)
    }

    /// [`start`](RedisServer::start), with or without writing every write to disk (Redis's
    /// default keeps nothing: a restart then starts empty).
    pub fn start_with(durable: bool) -> Option<RedisServer> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            eprintln!(
                "skipped: `redis-server` is not installed (Debian: apt-get install redis-server)"
            );
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "jobloop-redis-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos() ^ u128::from(free_port())
        ));
        std::fs::create_dir_all(&dir).expect("a directory for the server");
        // A port found free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let mut server = RedisServer {
                port: free_port(),
                durable,
                dir: dir.clone(),
                child: None,
            };
            if server.run() {
                return Some(server);
            }
        }
        panic!(
            "redis-server did not start; see {}",
            dir.join("redis.log").display()
        );
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (SIGKILL: it gets no chance to save anything more) and starts it
    /// again on the same port, with the same data.
    pub fn restart(&mut self) {
        self.kill();
        let since = Instant::now();
        while !self.run() {
            assert!(
                since.elapsed() < Duration::from_secs(20),
                "redis-server did not restart"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the server; it stays down.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Starts the process and waits until it answers PING; `false` if it exited instead.
    fn run(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(match self.durable {
                true => ["--appendonly", "yes", "--appendfsync", "always"],
                false => ["--appendonly", "no", "--appendfsync", "no"],
            })
            .args(["--save", ""])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--logfile", "redis.log"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        self.child = Some(child);
        let since = Instant::now();
        while since.elapsed() < Duration::from_secs(10) {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return false;
            }
            if self.answers_ping() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        false
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut line = String::new();
        let _ = BufReader::new(stream).read_line(&mut line);
        line.starts_with("+PONG")
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port of 127.0.0.1 that nothing listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}
