//! Subprocesses (asyncio's `create_subprocess_exec`): [`Command`], shaped like
//! [`std::process::Command`], whose child is waited for without blocking the loop.
//!
//! | asyncio | jobloop |
//! |---|---|
//! | `await asyncio.create_subprocess_exec("ls", "-l", stdout=PIPE)` | `Command::new("ls").arg("-l").stdout(Stdio::piped()).spawn()` |
//! | `await proc.communicate()` | [`Child::wait_with_output`]`().await` |
//! | `await proc.wait()` | [`Child::wait`]`().await` |
//! | `proc.stdout.read()` | `child.stdout.take().unwrap().read_to_end(&mut buf).await` |
//! | `create_subprocess_shell(cmd, process_group=0)`, `os.killpg(proc.pid, SIGKILL)` | `Command::new("sh").args(["-c", cmd]).`[`new_process_group`](Command::new_process_group)`()`, [`Child::kill_group`] |
//!
//! On every runtime, [`status`](Command::status), [`output`](Command::output) and
//! [`Child::wait`] wait without blocking the loop (on unix, a `SIGCHLD` watcher thread wakes
//! the waiting tasks; on Windows the child is checked every few milliseconds). The pipes of a
//! spawned child ([`ChildStdin`], [`ChildStdout`], [`ChildStderr`], with `async fn` methods
//! and `futures_io::AsyncRead`/`AsyncWrite`) are sources of the current runtime's reactor, on
//! unix: the embedded loop's, tokio's or smol's. Under a runtime of your own (the `Runtime`
//! trait) and on Windows, `output` reads them on the blocking pool instead.
//!
//! A [`Child`] dropped while its process runs leaves the process running, as std and tokio do
//! by default; [`Command::kill_on_drop`] kills it instead. Either way the process is reaped
//! when it exits (on unix, by the `SIGCHLD` watcher): a dropped child never stays a zombie.
//! The child of [`status`](Command::status) and [`output`](Command::output) is killed (and
//! reaped) when their future is dropped before it exited (a timeout, a cancelled group,
//! Ctrl-C): no one could ever collect its result (Python's `subprocess.run(timeout=...)` kills
//! it too).
//!
//! ```
//! # #[cfg(unix)]
//! jobloop_runtime::EventLoop::new().block_on(async {
//!     use jobloop_runtime::process::Command;
//!     let output = Command::new("echo").arg("hello").output().await.unwrap();
//!     assert!(output.status.success());
//!     assert_eq!(output.stdout, b"hello\n");
//! });
//! ```

use std::ffi::OsStr;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::Path;
use std::pin::pin;
use std::process;
use std::task::Poll;

/// std's, re-exported: what a [`Command`] takes and gives, nameable without `std::process`.
pub use std::process::{ExitStatus, Output, Stdio};

/// A process to start: the program, its arguments, environment and standard streams, as
/// [`std::process::Command`] (whose builder methods these are).
pub struct Command {
    std: process::Command,
    kill_on_drop: bool,
    /// Whether the child leads a process group of its own ([`new_process_group`]).
    ///
    /// [`new_process_group`]: Command::new_process_group
    group: bool,
    /// Which standard streams were set: [`output`](Command::output) captures stdout and
    /// stderr and makes stdin null where they were not, as std's `output` does.
    set: SetStreams,
}

/// Which of a [`Command`]'s standard streams were set (`stdin`, `stdout`, `stderr`).
#[derive(Debug, Default, Clone, Copy)]
struct SetStreams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` when it has no `/`).
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            std: process::Command::new(program),
            kill_on_drop: false,
            group: false,
            set: SetStreams::default(),
        }
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, value);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment, but for the variables set with `env`.
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// The child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// The child's standard input (inherited by default for `spawn` and `status`, null for
    /// `output`).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.set.stdin = true;
        self.std.stdin(cfg);
        self
    }

    /// The child's standard output (inherited by default for `spawn` and `status`, captured
    /// for `output`).
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.set.stdout = true;
        self.std.stdout(cfg);
        self
    }

    /// The child's standard error (as [`stdout`](Command::stdout)).
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.set.stderr = true;
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] while its process runs kills the process (default:
    /// `false`, the process is left running, as with std and tokio).
    pub fn kill_on_drop(&mut self, kill: bool) -> &mut Command {
        self.kill_on_drop = kill;
        self
    }

    /// Starts the process as the leader of a process group of its own (`setpgid(0, 0)`:
    /// Python's `process_group=0`), so that [`Child::kill_group`] reaches the processes it
    /// starts too, such as a shell's commands (`sh -c "make && ./run"`), which
    /// [`Child::kill`] misses: they would run on, orphaned. With it, [`kill_on_drop`] and the
    /// kill of a dropped [`status`](Command::status) or [`output`](Command::output) future kill
    /// the whole group. The group also no longer gets the terminal's Ctrl-C. Unix only.
    ///
    /// [`kill_on_drop`]: Command::kill_on_drop
    #[cfg(unix)]
    pub fn new_process_group(&mut self) -> &mut Command {
        std::os::unix::process::CommandExt::process_group(&mut self.std, 0);
        self.group = true;
        self
    }

    /// The std command, for the options only std has (`uid`, `gid`, `pre_exec`, ...; for a
    /// process group, [`new_process_group`](Command::new_process_group), which
    /// [`Child::kill_group`] needs).
    pub fn as_std_mut(&mut self) -> &mut process::Command {
        &mut self.std
    }

    /// Starts the process. Its piped streams are sources of the current runtime's reactor
    /// (the embedded loop's, tokio's or smol's).
    ///
    /// # Errors
    ///
    /// The OS's error (`NotFound` when there is no such program), or an error of kind `Other`
    /// when the child has a piped stream and this thread's runtime has no reactor jobloop
    /// reaches (a runtime of your own, or Windows).
    pub fn spawn(&mut self) -> io::Result<Child> {
        exits::watch()?;
        let mut child = self.spawn_std()?;
        let pipes = take_pipes(&mut child);
        let mut child = Child {
            std: Some(child),
            kill_on_drop: self.kill_on_drop,
            group: self.group,
            reaped: false,
            stdin: None,
            stdout: None,
            stderr: None,
        };
        match pipes {
            Ok(pipes) => (child.stdin, child.stdout, child.stderr) = pipes,
            Err(error) => {
                // Nobody could ever reach this child: it is killed (and reaped) with the
                // error, not left running.
                child.kill_on_drop = true;
                return Err(error);
            }
        }
        Ok(child)
    }

    /// Runs the process with inherited streams and waits for it to exit. Dropping the future
    /// before then (a timeout, a cancelled group) kills the process.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn) and [`Child::wait`].
    #[track_caller]
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        crate::wait_site::sited("Command::status", async move {
            let mut child = self.spawn()?;
            // Only this future could collect its status.
            child.kill_on_drop = true;
            child.exit().await
        })
    }

    /// Runs the process with standard output and error captured and standard input null
    /// (each unless set, as std's `output`), and waits for it to exit: its status and
    /// everything it wrote. Dropping the future before then (a timeout, a cancelled group)
    /// kills the process. The command is left as it was: a later [`spawn`](Command::spawn) or
    /// [`status`](Command::status) inherits the streams that were not set.
    ///
    /// # Errors
    ///
    /// As [`spawn`](Command::spawn) and [`Child::wait_with_output`].
    #[track_caller]
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> + '_ {
        crate::wait_site::sited("Command::output", async move {
            if !cfg!(unix) || !crate::net::source::reactor_here() {
                return self.output_on_the_pool().await;
            }
            let mut child = self.with_output_streams(Command::spawn)?;
            // Only this future could collect its output.
            child.kill_on_drop = true;
            child.collect_output().await
        })
    }

    /// Runs `spawn` with the streams that were not set as [`output`](Command::output) has them
    /// (stdout and stderr captured, stdin null), then puts those back to their default
    /// (inherited): a later `spawn` or `status` of this command is as before, as with std.
    fn with_output_streams<T>(&mut self, spawn: impl FnOnce(&mut Command) -> T) -> T {
        self.set_unset_streams(Stdio::null, Stdio::piped);
        let spawned = spawn(self);
        self.set_unset_streams(Stdio::inherit, Stdio::inherit);
        spawned
    }

    /// Sets the standard streams that were not set: stdin to `input()`, stdout and stderr to
    /// `output()`.
    fn set_unset_streams(&mut self, input: fn() -> Stdio, output: fn() -> Stdio) {
        if !self.set.stdin {
            self.std.stdin(input());
        }
        if !self.set.stdout {
            self.std.stdout(output());
        }
        if !self.set.stderr {
            self.std.stderr(output());
        }
    }

    /// Starts the child with std; an error names the program, as Python's does (its kind stays
    /// the OS's: `NotFound` for a program that does not exist).
    fn spawn_std(&mut self) -> io::Result<process::Child> {
        self.std.spawn().map_err(|error| {
            let program = self.std.get_program().to_string_lossy();
            io::Error::new(error.kind(), format!("cannot run `{program}`: {error}"))
        })
    }

    /// [`output`](Command::output) where this runtime has no reactor for the pipes: they are
    /// read on the blocking pool (std's blocking pipes), and the loop keeps going.
    async fn output_on_the_pool(&mut self) -> io::Result<Output> {
        exits::watch()?;
        let mut std = self.with_output_streams(Command::spawn_std)?;
        // A piped standard input is closed at once (as `wait_with_output` does), so a child
        // that reads until its end can finish.
        drop(std.stdin.take());
        let (stdout, stderr) = (std.stdout.take(), std.stderr.take());
        let mut child = Child {
            std: Some(std),
            kill_on_drop: true,
            group: self.group,
            reaped: false,
            stdin: None,
            stdout: None,
            stderr: None,
        };
        let (out, err) = both(read_on_the_pool(stdout), read_on_the_pool(stderr)).await;
        let status = child.wait().await?;
        Ok(Output {
            status,
            stdout: out?,
            stderr: err?,
        })
    }
}

/// Reads a std pipe to its end on the blocking pool (an absent one reads as empty).
async fn read_on_the_pool(pipe: Option<impl io::Read + Send + 'static>) -> io::Result<Vec<u8>> {
    crate::to_thread(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut buf)?;
        }
        Ok(buf)
    })
    .await
}

/// Runs `a` and `b` at once; both outputs.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(output) = a.as_mut().poll(cx) {
                out_a = Some(output);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(output) = b.as_mut().poll(cx) {
                out_b = Some(output);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}

/// A started process (asyncio's `Process`).
pub struct Child {
    std: Option<process::Child>,
    kill_on_drop: bool,
    /// Whether the process leads a process group of its own.
    group: bool,
    /// Whether the process was waited for (reaped): from then on its id may name another
    /// process, so its group is no longer signalled.
    reaped: bool,
    /// The write end of the child's standard input, when it was piped.
    pub stdin: Option<ChildStdin>,
    /// The read end of the child's standard output, when it was piped.
    pub stdout: Option<ChildStdout>,
    /// The read end of the child's standard error, when it was piped.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    fn std(&mut self) -> &mut process::Child {
        self.std
            .as_mut()
            .expect("a Child holds its std child until it is dropped")
    }

    /// The OS's process id.
    pub fn id(&mut self) -> u32 {
        self.std().id()
    }

    /// Waits for the process to exit, without blocking the loop; the other tasks run
    /// meanwhile. Closes the child's standard input first (as std), so a child that reads
    /// until the end of its input can finish. Cancelling the wait leaves the process running
    /// (the `Child` still has it).
    ///
    /// # Errors
    ///
    /// The OS's error from `waitpid`.
    #[track_caller]
    pub fn wait(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + '_ {
        crate::wait_site::sited("Child::wait", self.exit())
    }

    /// [`wait`](Child::wait) without a wait site: for the calls that have their own.
    async fn exit(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        let status = exits::wait_for(self.std()).await?;
        self.reaped = true;
        Ok(status)
    }

    /// The exit status, if the process has exited (never waits).
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        let status = self.std().try_wait()?;
        self.reaped |= status.is_some();
        Ok(status)
    }

    /// Kills the process (`SIGKILL` on unix) and does not wait: `wait` then gives its status.
    /// Killing a process that has exited already is not an error. The processes it started
    /// (a shell's commands) live on: see [`kill_group`](Child::kill_group).
    pub fn kill(&mut self) -> io::Result<()> {
        match self.std().kill() {
            Err(error) if error.kind() == io::ErrorKind::InvalidInput => Ok(()),
            result => result,
        }
    }

    /// Kills the process and every process of its group (`SIGKILL` to the group): the
    /// commands a shell started go with it. For a child started with
    /// [`Command::new_process_group`]; does not wait (`wait` then gives the leader's status).
    /// A group with no process left is not an error. Once the leader has been waited for
    /// (`wait` or `try_wait` gave its status), this does nothing, as std's `kill` then does:
    /// its id may name another process's group by then. So call it before `wait`: the leader
    /// that has exited but was not waited for still holds its id, and the group is reached.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when the command did not call `new_process_group`: the child is then in
    /// this program's own group, which this will not kill.
    ///
    /// ```
    /// # jobloop_runtime::EventLoop::new().block_on(async {
    /// use jobloop_runtime::process::Command;
    ///
    /// let mut child = Command::new("sh")
    ///     .args(["-c", "sleep 30; echo never"])
    ///     .new_process_group()
    ///     .spawn()
    ///     .unwrap();
    /// child.kill_group().unwrap(); // the shell and its `sleep`
    /// assert!(!child.wait().await.unwrap().success());
    /// # });
    /// ```
    #[cfg(unix)]
    pub fn kill_group(&mut self) -> io::Result<()> {
        if !self.group {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "`Child::kill_group`: this child leads no process group of its own (it is in \
                 this program's): start it with `Command::new_process_group`",
            ));
        }
        if self.reaped {
            return Ok(());
        }
        exits::kill_group(self.std().id())
    }

    /// Waits for the process to exit while reading all it writes to its piped standard output
    /// and error (both at once, so a child that fills one pipe does not stall): asyncio's
    /// `communicate()`.
    ///
    /// # Errors
    ///
    /// The OS's error from reading a pipe or from `waitpid`.
    #[track_caller]
    pub fn wait_with_output(self) -> impl Future<Output = io::Result<Output>> {
        crate::wait_site::sited("Child::wait_with_output", self.collect_output())
    }

    /// [`wait_with_output`](Child::wait_with_output) without a wait site.
    async fn collect_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = (self.stdout.take(), self.stderr.take());
        let (out, err) = both(read_all(stdout), read_all(stderr)).await;
        let status = self.exit().await?;
        Ok(Output {
            status,
            stdout: out?,
            stderr: err?,
        })
    }
}

#[cfg(unix)]
async fn read_all(pipe: Option<impl ReadToEnd>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(pipe) = pipe {
        pipe.read_all(&mut buf).await?;
    }
    Ok(buf)
}

#[cfg(not(unix))]
async fn read_all(pipe: Option<impl ReadToEnd>) -> io::Result<Vec<u8>> {
    let _ = pipe;
    Ok(Vec::new())
}

/// The pipes' `read_to_end`, for `wait_with_output` (Windows has no async pipes yet).
#[cfg_attr(not(unix), allow(dead_code))]
trait ReadToEnd {
    fn read_all(&self, buf: &mut Vec<u8>) -> impl Future<Output = io::Result<usize>>;
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Some(child) = self.std.take() {
            exits::orphan(child, self.kill_on_drop, self.group && !self.reaped);
        }
    }
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.std.as_ref().map(process::Child::id))
            .finish_non_exhaustive()
    }
}

#[cfg(unix)]
mod pipes {
    //! The child's pipes as sources of the loop.

    use std::fmt;
    use std::io;
    use std::process;

    use mio::unix::pipe::{Receiver, Sender};

    use crate::net::source::Registered;

    /// The write end of a child's standard input: `async fn` methods and
    /// `futures_io::AsyncWrite`. Dropping it closes the pipe (the child sees the end of its
    /// input): `drop(child.stdin.take())` is asyncio's `proc.stdin.close()`. `AsyncWrite`'s
    /// `close().await` does not close it (as with tokio's `ChildStdin`), so a child that reads
    /// to the end (`sort`, `cat`) waits on until the `ChildStdin` is dropped.
    pub struct ChildStdin {
        pub(super) inner: Registered<Sender>,
    }

    /// The read end of a child's standard output: `async fn` methods and
    /// `futures_io::AsyncRead`.
    pub struct ChildStdout {
        pub(super) inner: Registered<Receiver>,
    }

    /// The read end of a child's standard error, as [`ChildStdout`].
    pub struct ChildStderr {
        pub(super) inner: Registered<Receiver>,
    }

    impl ChildStdin {
        pub(super) fn new(pipe: process::ChildStdin) -> io::Result<ChildStdin> {
            let sender = Sender::from(pipe);
            sender.set_nonblocking(true)?;
            Ok(ChildStdin {
                inner: Registered::new(sender)?,
            })
        }

        /// Writes some of `buf`; returns how many bytes were written.
        ///
        /// # Errors
        ///
        /// The OS's error: `BrokenPipe` when the child closed its input or exited.
        pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
            self.inner.write(buf).await
        }

        /// Writes all of `buf`.
        ///
        /// # Errors
        ///
        /// As [`write`](ChildStdin::write).
        pub async fn write_all(&self, buf: &[u8]) -> io::Result<()> {
            self.inner.write_all(buf).await
        }
    }

    macro_rules! reader {
        ($ty:ident, $std:ty) => {
            impl $ty {
                pub(super) fn new(pipe: $std) -> io::Result<$ty> {
                    let receiver = Receiver::from(pipe);
                    receiver.set_nonblocking(true)?;
                    Ok($ty {
                        inner: Registered::new(receiver)?,
                    })
                }

                /// Reads into `buf`; returns how many bytes were read, 0 once the child
                /// closed the pipe (it exited, or closed the stream).
                pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
                    self.inner.read(buf).await
                }

                /// Reads until the child closes the pipe; appends to `buf` and returns how
                /// many bytes.
                pub async fn read_to_end(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
                    self.inner.read_to_end(buf).await
                }
            }

            impl super::ReadToEnd for $ty {
                async fn read_all(&self, buf: &mut Vec<u8>) -> io::Result<usize> {
                    self.read_to_end(buf).await
                }
            }

            crate::net::impl_stream_io!(read $ty);

            impl fmt::Debug for $ty {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.debug_struct(stringify!($ty)).finish_non_exhaustive()
                }
            }
        };
    }

    reader!(ChildStdout, process::ChildStdout);
    reader!(ChildStderr, process::ChildStderr);

    crate::net::impl_stream_io!(write ChildStdin, |_: &Sender| Ok(()));

    impl fmt::Debug for ChildStdin {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("ChildStdin").finish_non_exhaustive()
        }
    }
}

#[cfg(unix)]
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

#[cfg(not(unix))]
mod pipes {
    //! Windows: no async pipes (yet); `output` reads them on the blocking pool.

    /// A child's standard input (unix only for now).
    #[derive(Debug)]
    pub struct ChildStdin(());
    /// A child's standard output (unix only for now).
    #[derive(Debug)]
    pub struct ChildStdout(());
    /// A child's standard error (unix only for now).
    #[derive(Debug)]
    pub struct ChildStderr(());

    impl super::ReadToEnd for ChildStdout {
        async fn read_all(&self, _: &mut Vec<u8>) -> std::io::Result<usize> {
            Ok(0)
        }
    }
    impl super::ReadToEnd for ChildStderr {
        async fn read_all(&self, _: &mut Vec<u8>) -> std::io::Result<usize> {
            Ok(0)
        }
    }
}

#[cfg(not(unix))]
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

/// The pipes a child was started with, as the loop's sources.
type Pipes = (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>);

#[cfg(unix)]
fn take_pipes(child: &mut process::Child) -> io::Result<Pipes> {
    Ok((
        child.stdin.take().map(ChildStdin::new).transpose()?,
        child.stdout.take().map(ChildStdout::new).transpose()?,
        child.stderr.take().map(ChildStderr::new).transpose()?,
    ))
}

#[cfg(not(unix))]
fn take_pipes(child: &mut process::Child) -> io::Result<Pipes> {
    if child.stdin.is_some() || child.stdout.is_some() || child.stderr.is_some() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "jobloop's async pipes are unix only for now: use `Command::output`, which \
             reads them on the blocking pool",
        ));
    }
    Ok((None, None, None))
}

mod exits {
    //! Waiting for a child to exit without blocking: on unix a thread catches `SIGCHLD` and
    //! wakes every waiting task, each of which checks its own child (`try_wait`); on Windows
    //! the child is checked every few milliseconds.
    //!
    //! Orphans: a child whose `Child` was dropped before it was reaped (still running, or
    //! killed and not gone yet) is kept in a list that the same thread reaps at each `SIGCHLD`
    //! (as tokio's orphan queue does), so that it does not stay a zombie until the parent
    //! exits.

    use std::io;
    use std::process::{Child, ExitStatus};

    #[cfg(unix)]
    static EXITED: event_listener::Event = event_listener::Event::new();

    /// Children dropped before they were reaped.
    #[cfg(unix)]
    static ORPHANS: std::sync::Mutex<Vec<Child>> = std::sync::Mutex::new(Vec::new());

    /// Starts the `SIGCHLD` watcher once, before the first child is spawned, so that no exit
    /// goes unseen.
    #[cfg(unix)]
    pub(super) fn watch() -> io::Result<()> {
        use std::sync::OnceLock;
        static WATCHING: OnceLock<Result<(), (io::ErrorKind, String)>> = OnceLock::new();
        let watching = WATCHING.get_or_init(|| {
            let start = || -> io::Result<()> {
                let mut signals =
                    signal_hook::iterator::Signals::new([signal_hook::consts::SIGCHLD])?;
                std::thread::Builder::new()
                    .name("jobloop-sigchld".into())
                    .spawn(move || {
                        for _ in signals.forever() {
                            reap_orphans();
                            EXITED.notify(usize::MAX);
                        }
                    })?;
                Ok(())
            };
            start().map_err(|error| (error.kind(), error.to_string()))
        });
        watching.clone().map_err(|(kind, message)| {
            io::Error::new(kind, format!("cannot watch for child exits: {message}"))
        })
    }

    #[cfg(not(unix))]
    pub(super) fn watch() -> io::Result<()> {
        Ok(())
    }

    /// A child whose `Child` is dropped: reaped now if it has exited; otherwise killed first
    /// when `kill` says so, and left to the `SIGCHLD` watcher to reap when it exits. `group`:
    /// the child leads a process group and was not waited for, so its group is killed too
    /// (also when the leader has exited: a shell's commands may run on).
    pub(super) fn orphan(mut child: Child, kill: bool, group: bool) {
        #[cfg(unix)]
        if kill && group {
            // Before the leader is reaped (the `try_wait` below): until then its id names its
            // group and nothing else.
            let _ = kill_group(child.id());
        }
        #[cfg(not(unix))]
        let _ = group;
        if !matches!(child.try_wait(), Ok(None)) {
            return; // reaped now (or no longer ours to wait for)
        }
        if kill {
            let _ = child.kill();
        }
        #[cfg(unix)]
        {
            let mut orphans = ORPHANS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // Looked at again once it is in the list (under the watcher's lock): an exit whose
            // `SIGCHLD` the watcher handled before then is not missed.
            if matches!(child.try_wait(), Ok(None)) {
                orphans.push(child);
            }
        }
    }

    /// Sends `SIGKILL` to the process group that `leader` leads; a group with no process left
    /// is not an error.
    #[cfg(unix)]
    pub(super) fn kill_group(leader: u32) -> io::Result<()> {
        let group = libc::pid_t::try_from(leader)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "no such process group"))?;
        // SAFETY: `kill` is a system call that reads its two integer arguments and no memory
        // of this process. (That the group is the right one is the callers' concern: they
        // call this only for a child that leads its group and was not reaped, whose id names
        // that group and nothing else.)
        #[allow(unsafe_code)]
        let result = unsafe { libc::kill(-group, libc::SIGKILL) };
        if result == 0 {
            return Ok(());
        }
        let error = io::Error::last_os_error();
        match error.raw_os_error() {
            Some(libc::ESRCH) => Ok(()),
            _ => Err(error),
        }
    }

    /// Reaps every orphan that has exited (keeps those still running).
    #[cfg(unix)]
    fn reap_orphans() {
        ORPHANS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    }

    #[cfg(unix)]
    pub(super) async fn wait_for(child: &mut Child) -> io::Result<ExitStatus> {
        // The exit comes from the watcher's thread: the loop counts it as a way to wake.
        let _in_flight = crate::deadlock::InFlight::new();
        loop {
            // Listening before looking: an exit between the two still wakes this task.
            let exited = EXITED.listen();
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            exited.await;
        }
    }

    #[cfg(not(unix))]
    pub(super) async fn wait_for(child: &mut Child) -> io::Result<ExitStatus> {
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(status);
            }
            crate::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}
