//! asyncio's `Queue` past one machine (feature `redis`): [`Queue`] keeps its jobs on a Redis
//! server, so that producers and workers in many processes, on many machines, share them, and a
//! job whose worker dies is handed to another.
//!
//! ```no_run
//! use jobloop_runtime::redis::{self, Queue};
//!
//! # async fn run() -> Result<(), redis::Error> {
//! // Every process that names the same queue on the same server shares its jobs.
//! let queue = Queue::<u64>::connect("redis://127.0.0.1/", "sleeps").await?;
//! queue.put(250).await?;
//!
//! // A worker, in this process or another one:
//! while let Ok(job) = queue.get().await {
//!     jobloop_runtime::sleep(std::time::Duration::from_millis(*job.item())).await;
//!     job.done().await?; // asyncio's `task_done`
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # What a job goes through
//!
//! A queue named `NAME` is three keys on the server:
//!
//! - `NAME`, a stream with a consumer group `jobloop`. `put` adds the job (as JSON, field
//!   `job`) with `XADD`. `get` reads the next one with `XREADGROUP`: the job is then *pending*,
//!   held by this process (each process is a consumer of its own name,
//!   `HOST-PID-RANDOM`; one that holds no job and has not asked for one for an hour is taken
//!   out of the group by the next `connect`). `done` takes it away with `XACK` and `XDEL`, in
//!   one transaction.
//! - `NAME:parked`, a stream of the jobs set aside (see below), with their ids and why.
//! - `NAME:shutdown`, set by [`Queue::shutdown`].
//!
//! A job that stays pending for longer than the visibility timeout
//! ([`Queue::set_visibility_timeout`], 30 s unless set) is taken over by a `get` of any process
//! (`XPENDING ... IDLE`, then `XCLAIM`): its worker died, hung or was killed. Each process looks
//! for such a job before it reads a new one, every quarter of the visibility timeout (at least
//! once a second), and again at once after it found one.
//!
//! **At least once.** A job is done at least once, not exactly once: a worker that was killed
//! after it did the work and before `done` reached the server has its job done again by another
//! worker, and so has a worker slower than the visibility timeout. Write job code so that
//! doing a job twice does no harm: key what it writes by [`Job::id`] (the same on every
//! delivery), or check whether the work is there already before doing it.
//!
//! **Parked, not lost.** A job whose JSON does not read as `T`, or that was delivered more
//! times than [`Queue::set_max_deliveries`] allows (10 unless set: a job that kills or hangs
//! each worker that takes it) is moved to `NAME:parked` with its id and the reason, and `get`
//! goes on with the next one; [`Queue::parked`] lists them. A parked job counts as finished
//! for [`Queue::join`].
//!
//! **Connections.** Each handle shares one connection for its commands; each `get` that waits
//! has one of its own (a blocking read holds its connection). A connection lost mid-run (the
//! server restarted, the network cut) is made again with a back-off from 50 ms to 1 s, for
//! [`Queue::set_reconnect_for`] (30 s unless set), and the command is sent again; then the
//! call fails with [`Error::Unreachable`], which names the URL. No job is lost on the way: one
//! `get` whose reply was lost leaves its job pending, taken over after the visibility timeout;
//! a `put` whose reply was lost may add its job twice. What the server itself keeps across a
//! restart is its configuration's business: `appendonly yes` with `appendfsync always` keeps
//! every write (Redis's default keeps nothing; `appendfsync everysec` may lose the last
//! second's).
//!
//! **What this is not.** Jobs are data, not closures: a worker runs its own code on the `T` it
//! gets. Nothing schedules futures across machines.
//!
//! redis-rs does the talking, on tokio's I/O driver (`event_loop/tokio_context.rs`): the queue
//! works on the embedded loop, on tokio and on smol alike.

mod connection;
mod error;
mod queue;

pub use error::Error;
pub use queue::{Job, Parked, Queue};
