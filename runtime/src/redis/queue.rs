//! [`Queue`], its [`Job`]s and its [`Parked`] jobs: what the commands of `redis.rs`'s module doc
//! are sent by.

use std::any::type_name;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::streams::{
    StreamClaimReply, StreamId, StreamInfoConsumersReply, StreamPendingCountReply,
    StreamRangeReply, StreamReadReply,
};
use redis::Value;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::connection::{lock, Connections, Request, Use, MAX_BLOCK};
use super::Error;

/// The consumer group of every queue's stream.
const GROUP: &str = "jobloop";
/// The field of a stream entry that holds the job.
const FIELD: &str = "job";
/// `put`: adds the job unless the queue was shut down (then a nil reply), in one step.
const PUT: &str = "if redis.call('EXISTS', KEYS[2]) == 1 then return false end \
                   for i = 1, #ARGV do redis.call('XADD', KEYS[1], '*', 'job', ARGV[i]) end \
                   return #ARGV";
/// How many jobs one step of `put_all` adds at most: the server runs nothing else meanwhile.
const PUT_BATCH: usize = 1000;
/// `park`: moves a job still taken to the parked jobs. The first write is the one that can
/// fail (`NAME:parked` holding something else): then nothing has changed.
const PARK: &str = "if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1) == 0 \
                    then return 0 end \
                    redis.call('XADD', KEYS[2], '*', 'id', ARGV[2], 'job', ARGV[3], \
                               'reason', ARGV[4]) \
                    redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) \
                    redis.call('XDEL', KEYS[1], ARGV[2]) \
                    return 1";

const DEFAULT_VISIBILITY: Duration = Duration::from_secs(30);
const DEFAULT_MAX_DELIVERIES: u32 = 10;
const DEFAULT_RECONNECT_FOR: Duration = Duration::from_secs(30);

/// asyncio's `Queue` on a Redis server: its jobs are shared by every process that connects to
/// the same queue on the same server, and a job whose worker dies is handed to another worker.
///
/// Jobs are `T` values, written as JSON. A handle is cheap to clone; its clones share this
/// process's connections. See [the module](crate::redis) for what happens on the server, what
/// "at least once" asks of job code, and what is parked.
///
/// ```no_run
/// use std::time::Duration;
///
/// use jobloop_runtime::redis::{self, Queue};
///
/// async fn worker(queue: Queue<f64>) -> Result<(), redis::Error> {
///     loop {
///         let job = match queue.get().await {
///             Ok(job) => job,
///             Err(redis::Error::ShutDown) => return Ok(()),
///             Err(error) => return Err(error),
///         };
///         jobloop_runtime::sleep(Duration::from_secs_f64(*job.item())).await;
///         job.done().await?;
///     }
/// }
///
/// # async fn run() -> Result<(), redis::Error> {
/// let queue = Queue::connect("redis://127.0.0.1/", "sleeps").await?;
/// for seconds in [0.2, 0.1, 0.3] {
///     queue.put(seconds).await?;
/// }
/// queue.shutdown().await?; // the workers end once every job is done
/// let workers: Vec<_> = (0..3).map(|_| jobloop_runtime::spawn(worker(queue.clone()))).collect();
/// for worker in workers {
///     worker.await?;
/// }
/// # Ok(())
/// # }
/// ```
pub struct Queue<T> {
    shared: Arc<Shared>,
    settings: Settings,
    item: PhantomData<fn(T) -> T>,
}

/// What the handles of a queue in this process share.
struct Shared {
    /// The stream's key.
    name: String,
    parked: String,
    shutdown: String,
    /// This process's name in the consumer group.
    consumer: String,
    connections: Connections,
    /// When this process last looked for jobs to take over (`None`: look at the next `get`).
    looked: Mutex<Option<Instant>>,
}

/// A handle's settings.
#[derive(Clone, Copy, Debug)]
struct Settings {
    visibility: Duration,
    max_deliveries: u32,
    reconnect_for: Duration,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            shared: self.shared.clone(),
            settings: self.settings,
            item: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Queue")
            .field("name", &self.shared.name)
            .field("consumer", &self.shared.consumer)
            .field("visibility_timeout", &self.settings.visibility)
            .field("max_deliveries", &self.settings.max_deliveries)
            .field("reconnect_for", &self.settings.reconnect_for)
            .finish()
    }
}

impl<T: Serialize + DeserializeOwned> Queue<T> {
    /// Connects to the Redis server at `url` (`redis://HOST:PORT/DB`, with `USER:PASSWORD@`
    /// before the host when it asks for one) and opens the queue `name` there: its stream and
    /// consumer group are made if they do not exist yet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] when `url` is not a Redis URL; [`Error::Unreachable`] when the
    /// server cannot be reached now (the connection is tried once: later calls try again for a
    /// while); [`Error::Command`] when the server refuses the connection (a wrong password) or
    /// `name` holds something that is not a queue.
    pub async fn connect(url: &str, name: &str) -> Result<Queue<T>, Error> {
        let queue = Queue {
            shared: Arc::new(Shared {
                name: name.to_owned(),
                parked: format!("{name}:parked"),
                shutdown: format!("{name}:shutdown"),
                consumer: consumer_name(),
                connections: Connections::open(url).await?,
                looked: Mutex::new(None),
            }),
            settings: Settings {
                visibility: DEFAULT_VISIBILITY,
                max_deliveries: DEFAULT_MAX_DELIVERIES,
                reconnect_for: DEFAULT_RECONNECT_FOR,
            },
            item: PhantomData,
        };
        queue.create_group().await?;
        queue.forget_gone_consumers().await?;
        Ok(queue)
    }

    /// Adds `item` at the end of the queue (asyncio's `put`; the queue has no bound).
    ///
    /// # Errors
    ///
    /// [`Error::ShutDown`] after [`shutdown`](Queue::shutdown); [`Error::Serialize`] when the
    /// item does not serialize to JSON; [`Error::Unreachable`] when the server stays out of
    /// reach. When the connection is lost before the reply comes, or the reply is late (5 s),
    /// the item is sent again, and may then be in the queue twice (see "at least once" in the
    /// [module](crate::redis)).
    #[track_caller]
    pub fn put(&self, item: T) -> impl Future<Output = Result<(), Error>> + '_ {
        crate::wait_site::sited("redis::Queue::put", self.send(item))
    }

    /// Adds `items` at the end of the queue, in their order, a thousand in one round trip:
    /// much faster than a `put` for each (`BENCHMARKS.md`).
    ///
    /// # Errors
    ///
    /// As [`put`](Queue::put). Every item is serialized before any is sent; a shutdown or an
    /// error after the first thousand leaves those in the queue.
    #[track_caller]
    pub fn put_all<I>(&self, items: I) -> impl Future<Output = Result<(), Error>> + '_
    where
        I: IntoIterator<Item = T>,
    {
        let jobs: Result<Vec<String>, Error> = items
            .into_iter()
            .map(|item| serde_json::to_string(&item).map_err(Error::Serialize))
            .collect();
        crate::wait_site::sited("redis::Queue::put_all", async move {
            for batch in jobs?.chunks(PUT_BATCH) {
                self.add(batch).await?;
            }
            Ok(())
        })
    }

    async fn send(&self, item: T) -> Result<(), Error> {
        let json = serde_json::to_string(&item).map_err(Error::Serialize)?;
        self.add(&[json]).await
    }

    /// Adds jobs already written as JSON, in one step, unless the queue is shut down.
    async fn add(&self, jobs: &[String]) -> Result<(), Error> {
        let mut put = redis::cmd("EVAL");
        put.arg(PUT)
            .arg(2)
            .arg(&self.shared.name)
            .arg(&self.shared.shutdown)
            .arg(jobs);
        let added: Option<usize> = self.query(Use::Commands, "XADD", &put).await?;
        added.map(drop).ok_or(Error::ShutDown)
    }

    /// Takes the next job, waiting until there is one (asyncio's `get`): a job of a worker that
    /// did not finish it within the visibility timeout, or else the oldest job not yet taken.
    /// Call [`Job::done`] when it is done (asyncio's `task_done`).
    ///
    /// A job whose value does not read as `T`, or taken too many times already, is parked
    /// instead (see [`parked`](Queue::parked)), with a line on stderr, and `get` goes on.
    ///
    /// A `get` dropped while it waits (under a `timeout`, say) may have taken a job on the
    /// server already: that job is taken over after the visibility timeout, and counts as
    /// taken once more for [`set_max_deliveries`](Queue::set_max_deliveries).
    ///
    /// # Errors
    ///
    /// [`Error::ShutDown`] once the queue is shut down and every job is finished;
    /// [`Error::Unreachable`] when the server stays out of reach.
    #[track_caller]
    pub fn get(&self) -> impl Future<Output = Result<Job<T>, Error>> + '_ {
        crate::wait_site::sited("redis::Queue::get", self.next_job())
    }

    async fn next_job(&self) -> Result<Job<T>, Error> {
        loop {
            let entry = match self.take_over().await? {
                Some(entry) => Some(entry),
                None => self.read_new().await?,
            };
            match entry {
                Some(entry) => {
                    if let Some(job) = self.job_or_park(entry).await? {
                        return Ok(job);
                    }
                }
                None if self.shut_down_and_finished().await? => return Err(Error::ShutDown),
                None => {}
            }
        }
    }

    /// Waits until every job put so far, by any process, is done or parked (asyncio's
    /// `join`). It looks every 200 ms at most.
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach.
    #[track_caller]
    pub fn join(&self) -> impl Future<Output = Result<(), Error>> + '_ {
        crate::wait_site::sited("redis::Queue::join", self.all_finished())
    }

    async fn all_finished(&self) -> Result<(), Error> {
        // Done jobs are deleted: the jobs left are the stream's entries.
        let mut newest = redis::cmd("XREVRANGE");
        newest
            .arg(&self.shared.name)
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1);
        let newest: StreamRangeReply = self.query(Use::Commands, "XREVRANGE", &newest).await?;
        let Some(newest) = newest.ids.into_iter().next() else {
            return Ok(());
        };
        let mut left = redis::cmd("XRANGE");
        left.arg(&self.shared.name)
            .arg("-")
            .arg(&newest.id)
            .arg("COUNT")
            .arg(1);
        let mut pause = Duration::from_millis(5);
        loop {
            let reply: StreamRangeReply = self.query(Use::Commands, "XRANGE", &left).await?;
            if reply.ids.is_empty() {
                return Ok(());
            }
            crate::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// How many jobs wait to be taken (asyncio's `qsize`): put, and not taken by any worker.
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach.
    pub async fn len(&self) -> Result<usize, Error> {
        // Two commands, not a pipeline: a missing group (after `delete`) is made again.
        let mut pending = redis::cmd("XPENDING");
        pending.arg(&self.shared.name).arg(GROUP);
        let pending: Vec<Value> = self.query(Use::Commands, "XPENDING", &pending).await?;
        let mut entries = redis::cmd("XLEN");
        entries.arg(&self.shared.name);
        let entries: usize = self.query(Use::Commands, "XLEN", &entries).await?;
        let taken = match pending.first() {
            Some(Value::Int(taken)) => usize::try_from(*taken).unwrap_or(0),
            _ => 0,
        };
        Ok(entries.saturating_sub(taken))
    }

    /// Whether no job waits to be taken.
    ///
    /// # Errors
    ///
    /// As [`len`](Queue::len).
    pub async fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.len().await? == 0)
    }

    /// Shuts the queue down, for every process (asyncio's `shutdown`): `put` fails from now
    /// on, and `get` fails once every job is finished, which ends the workers' loops. The mark
    /// stays on the server until [`delete`](Queue::delete).
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach.
    pub async fn shutdown(&self) -> Result<(), Error> {
        let mut set = redis::cmd("SET");
        set.arg(&self.shared.shutdown).arg(1);
        self.query::<()>(Use::Commands, "SET", &set).await
    }

    /// Whether the queue was shut down.
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach.
    pub async fn is_shut_down(&self) -> Result<bool, Error> {
        let mut exists = redis::cmd("EXISTS");
        exists.arg(&self.shared.shutdown);
        self.query(Use::Commands, "EXISTS", &exists).await
    }

    /// The jobs set aside: those whose value did not read as `T`, and those taken more times
    /// than [`set_max_deliveries`](Queue::set_max_deliveries) allows. They stay until
    /// [`delete`](Queue::delete) (or `DEL NAME:parked`).
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach.
    pub async fn parked(&self) -> Result<Vec<Parked>, Error> {
        let mut all = redis::cmd("XRANGE");
        all.arg(&self.shared.parked).arg("-").arg("+");
        let reply: StreamRangeReply = self.query(Use::Commands, "XRANGE", &all).await?;
        Ok(reply
            .ids
            .into_iter()
            .map(|entry| Parked {
                id: text(&entry, "id"),
                job: text(&entry, FIELD),
                reason: text(&entry, "reason"),
            })
            .collect())
    }

    /// Deletes the queue from the server: its jobs, its parked jobs and its shutdown mark. A
    /// later `put` or `get` starts it again, empty.
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach.
    pub async fn delete(&self) -> Result<(), Error> {
        let mut delete = redis::cmd("DEL");
        delete
            .arg(&self.shared.name)
            .arg(&self.shared.parked)
            .arg(&self.shared.shutdown);
        self.query::<()>(Use::Commands, "DEL", &delete).await
    }

    /// How long a job taken by `get` may stay not done before another worker's `get` takes it
    /// over: 30 s unless set. Longer than the longest job; the shorter, the sooner the jobs of
    /// a dead worker are done. Set it on every handle that takes jobs.
    pub fn set_visibility_timeout(&mut self, timeout: Duration) {
        self.settings.visibility = timeout.max(Duration::from_millis(1));
    }

    /// How many times a job may be taken before `get` parks it instead: 10 unless set. A job
    /// taken that often has killed or hung every worker that took it.
    pub fn set_max_deliveries(&mut self, times: u32) {
        self.settings.max_deliveries = times.max(1);
    }

    /// For how long a call tries again when the server cannot be reached, before it fails with
    /// [`Error::Unreachable`]: 30 s unless set.
    pub fn set_reconnect_for(&mut self, time: Duration) {
        self.settings.reconnect_for = time;
    }

    /// The queue's name: the key of its stream on the server.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Makes the stream and its consumer group unless they exist. The group starts at the
    /// stream's beginning: jobs put before it existed are taken too.
    async fn create_group(&self) -> Result<(), Error> {
        let mut create = redis::cmd("XGROUP");
        create
            .arg("CREATE")
            .arg(&self.shared.name)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM");
        let request = Request::Command(&create);
        let (connections, reconnect_for) = (&self.shared.connections, self.settings.reconnect_for);
        match connections
            .query::<()>(Use::Commands, "XGROUP CREATE", request, reconnect_for)
            .await
        {
            Err(Error::Command { source, .. }) if source.code() == Some("BUSYGROUP") => Ok(()),
            result => result,
        }
    }

    /// Takes out of the group the consumers that hold no job and have not asked for one for an
    /// hour: processes gone (each process that ever took a job is a consumer until then).
    async fn forget_gone_consumers(&self) -> Result<(), Error> {
        const GONE_AFTER_MS: usize = 3_600_000;
        let mut consumers = redis::cmd("XINFO");
        consumers.arg("CONSUMERS").arg(&self.shared.name).arg(GROUP);
        let consumers: StreamInfoConsumersReply = self
            .query(Use::Commands, "XINFO CONSUMERS", &consumers)
            .await?;
        for consumer in consumers.consumers {
            if consumer.pending == 0 && consumer.idle > GONE_AFTER_MS {
                let mut forget = redis::cmd("XGROUP");
                forget
                    .arg("DELCONSUMER")
                    .arg(&self.shared.name)
                    .arg(GROUP)
                    .arg(&consumer.name);
                self.query::<()>(Use::Commands, "XGROUP DELCONSUMER", &forget)
                    .await?;
            }
        }
        Ok(())
    }

    /// Sends a command of the queue. When the stream or its group is gone (`delete` from
    /// another process, a server restarted without its data), it makes them again and sends
    /// the command once more.
    async fn query<R: redis::FromRedisValue>(
        &self,
        purpose: Use,
        command: &'static str,
        request: impl Into<Request<'_>>,
    ) -> Result<R, Error> {
        let request = request.into();
        let connections = &self.shared.connections;
        let reconnect_for = self.settings.reconnect_for;
        match connections
            .query(purpose, command, request, reconnect_for)
            .await
        {
            // `UNBLOCKED`: the stream was deleted while a blocking read waited on it.
            Err(Error::Command { source, .. })
                if matches!(source.code(), Some("NOGROUP" | "UNBLOCKED")) =>
            {
                self.create_group().await?;
                connections
                    .query(purpose, command, request, reconnect_for)
                    .await
            }
            result => result,
        }
    }

    /// A job of another worker that has not been done within the visibility timeout, taken
    /// over: the oldest such job (`XPENDING ... IDLE`), claimed if it is still that idle
    /// (`XCLAIM`: another process may have claimed it first). Looked for every quarter of the
    /// visibility timeout in this process (at least once a second), and again at once after
    /// one was found.
    async fn take_over(&self) -> Result<Option<Taken>, Error> {
        {
            let mut looked = lock(&self.shared.looked);
            if looked.is_some_and(|looked| looked.elapsed() < self.look_every()) {
                return Ok(None);
            }
            *looked = Some(Instant::now());
        }
        let idle = millis(self.settings.visibility);
        let mut oldest = redis::cmd("XPENDING");
        oldest
            .arg(&self.shared.name)
            .arg(GROUP)
            .arg("IDLE")
            .arg(idle)
            .arg("-")
            .arg("+")
            .arg(1);
        let oldest: StreamPendingCountReply =
            self.query(Use::Commands, "XPENDING", &oldest).await?;
        let Some(pending) = oldest.ids.into_iter().next() else {
            return Ok(None);
        };
        let mut claim = redis::cmd("XCLAIM");
        claim
            .arg(&self.shared.name)
            .arg(GROUP)
            .arg(&self.shared.consumer)
            .arg(idle)
            .arg(&pending.id);
        let claimed: StreamClaimReply = self.query(Use::Commands, "XCLAIM", &claim).await?;
        *lock(&self.shared.looked) = None;
        Ok(claimed
            .ids
            .into_iter()
            .find(|entry| !entry.map.is_empty())
            .map(|entry| Taken {
                entry,
                deliveries: pending.times_delivered + 1,
            }))
    }

    /// The oldest job no worker has taken yet, waiting for one for a while at most.
    async fn read_new(&self) -> Result<Option<Taken>, Error> {
        let mut read = redis::cmd("XREADGROUP");
        read.arg("GROUP")
            .arg(GROUP)
            .arg(&self.shared.consumer)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(millis(self.look_every()))
            .arg("STREAMS")
            .arg(&self.shared.name)
            .arg(">");
        let reply: Option<StreamReadReply> = self.query(Use::Blocking, "XREADGROUP", &read).await?;
        let entry = reply
            .and_then(|reply| reply.keys.into_iter().next())
            .and_then(|key| key.ids.into_iter().next());
        Ok(entry.map(|entry| Taken {
            entry,
            deliveries: 1,
        }))
    }

    /// How often a `get` that waits looks for jobs to take over and for a shutdown.
    fn look_every(&self) -> Duration {
        (self.settings.visibility / 4).clamp(Duration::from_millis(10), MAX_BLOCK)
    }

    /// The job of `taken`, or `None` when it was parked.
    async fn job_or_park(&self, taken: Taken) -> Result<Option<Job<T>>, Error> {
        let Taken { entry, deliveries } = taken;
        let raw = match entry.map.get(FIELD) {
            Some(Value::BulkString(raw)) => raw.clone(),
            _ => {
                let reason = format!("no `{FIELD}` field: not put by jobloop::redis::Queue::put");
                self.park(&entry.id, &[], &reason).await?;
                return Ok(None);
            }
        };
        if deliveries > self.settings.max_deliveries as usize {
            let reason = format!(
                "taken {deliveries} times and never done (more than set_max_deliveries: {}): \
                 it may kill or hang each worker that takes it",
                self.settings.max_deliveries
            );
            self.park(&entry.id, &raw, &reason).await?;
            return Ok(None);
        }
        match serde_json::from_slice(&raw) {
            Ok(item) => Ok(Some(Job {
                item,
                ticket: Ticket {
                    id: entry.id,
                    shared: self.shared.clone(),
                    settings: self.settings,
                    done: AtomicBool::new(false),
                },
            })),
            Err(error) => {
                let reason = format!("does not read as {}: {error}", type_name::<T>());
                self.park(&entry.id, &raw, &reason).await?;
                Ok(None)
            }
        }
    }

    /// Moves the job `id` to the parked jobs, in one step, unless it is no longer taken (done
    /// meanwhile by a slow worker, or parked already by a call whose reply was lost).
    async fn park(&self, id: &str, raw: &[u8], reason: &str) -> Result<(), Error> {
        let Shared { name, parked, .. } = &*self.shared;
        let mut park = redis::cmd("EVAL");
        park.arg(PARK)
            .arg(2)
            .arg(name)
            .arg(parked)
            .arg(GROUP)
            .arg(id)
            .arg(raw)
            .arg(reason);
        let moved: bool = self.query(Use::Commands, "XADD", &park).await?;
        if moved {
            eprintln!(
                "jobloop: job {id} of the Redis queue {name:?} is parked in {parked:?}: {reason}"
            );
        }
        Ok(())
    }

    /// Whether the queue is shut down and holds no job (none waiting, none taken).
    async fn shut_down_and_finished(&self) -> Result<bool, Error> {
        let mut look = redis::pipe();
        look.cmd("EXISTS")
            .arg(&self.shared.shutdown)
            .cmd("XLEN")
            .arg(&self.shared.name);
        let (shut_down, entries): (bool, usize) = self.query(Use::Commands, "XLEN", &look).await?;
        Ok(shut_down && entries == 0)
    }
}

/// A stream entry taken by `get`, and how many times it has been taken.
struct Taken {
    entry: StreamId,
    deliveries: usize,
}

/// A job taken by [`Queue::get`]: its item, and [`done`](Job::done) to say it is done.
///
/// A job dropped without `done` stays taken until the visibility timeout, then another worker
/// takes it over: that is what happens to the jobs of a worker that dies. In debug mode
/// (`JOBLOOP_DEBUG=1`) such a drop is reported on stderr: it is most often a forgotten `done`.
pub struct Job<T> {
    item: T,
    ticket: Ticket,
}

/// What a job is on the server, and whether it was said done.
struct Ticket {
    id: String,
    shared: Arc<Shared>,
    settings: Settings,
    done: AtomicBool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !*self.done.get_mut() && crate::debug::debug_on() {
            eprintln!(
                "jobloop debug: job {} of the Redis queue {:?} was dropped without `done()`: \
                 another worker takes it again after the visibility timeout ({:?}), and `join` \
                 waits for it until then",
                self.id, self.shared.name, self.settings.visibility
            );
        }
    }
}

impl<T> Job<T> {
    /// The job's item.
    pub fn item(&self) -> &T {
        &self.item
    }

    /// The job's item, to change it (what [`done`](Job::done) does is not changed by it).
    pub fn item_mut(&mut self) -> &mut T {
        &mut self.item
    }

    /// The job's item, by value. The job is not done by this: call [`done`](Job::done) first,
    /// or it is taken over after the visibility timeout.
    pub fn into_item(self) -> T {
        self.item
    }

    /// The job's id on the server (`1733561234567-0`): the same each time the job is taken, so
    /// a key for job code that must not do its work twice.
    pub fn id(&self) -> &str {
        &self.ticket.id
    }

    /// Says the job is done (asyncio's `task_done`): it leaves the server, and counts for
    /// [`Queue::join`]. Saying it again, or after another worker did, does nothing.
    ///
    /// # Errors
    ///
    /// [`Error::Unreachable`] when the server stays out of reach; the job is then taken over
    /// after the visibility timeout and done again.
    #[track_caller]
    pub fn done(&self) -> impl Future<Output = Result<(), Error>> + '_ {
        crate::wait_site::sited("redis::Job::done", self.acknowledge())
    }

    async fn acknowledge(&self) -> Result<(), Error> {
        let Ticket {
            id,
            shared,
            settings,
            done: said,
        } = &self.ticket;
        let Shared {
            name, connections, ..
        } = &**shared;
        let mut done = redis::pipe();
        done.atomic()
            .cmd("XACK")
            .arg(name)
            .arg(GROUP)
            .arg(id)
            .ignore()
            .cmd("XDEL")
            .arg(name)
            .arg(id)
            .ignore();
        let request = Request::Pipeline(&done);
        connections
            .query::<()>(Use::Commands, "XACK", request, settings.reconnect_for)
            .await?;
        said.store(true, Ordering::Relaxed);
        Ok(())
    }
}

impl<T: fmt::Debug> fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("id", &self.ticket.id)
            .field("item", &self.item)
            .finish()
    }
}

/// A job set aside by [`Queue::get`], as [`Queue::parked`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parked {
    /// The job's id in the queue's stream.
    pub id: String,
    /// The job as it was put (JSON, unless something else wrote it), lossily as UTF-8.
    pub job: String,
    /// Why it was parked.
    pub reason: String,
}

/// Field `field` of `entry`, as text.
fn text(entry: &StreamId, field: &str) -> String {
    match entry.map.get(field) {
        Some(Value::BulkString(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
        Some(Value::SimpleString(text)) => text.clone(),
        _ => String::new(),
    }
}

/// This process's name in a consumer group: `HOST-PID-RANDOM`, unique among the processes
/// that share a queue; the same for every queue and handle of the process.
fn consumer_name() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(new_consumer_name).clone()
}

fn new_consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("{host}-{}-{:08x}", std::process::id(), random as u32)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
