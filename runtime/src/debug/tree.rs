//! The task tree of debug mode: every live task that debug mode watches, under the task that
//! started it (a group's tasks gathered under their group), with its state, how long it has
//! been in it, and what it waits on: the kinds of wait of its last poll (`sleep`, `I/O read`,
//! `group`, ...) and, for a wait on a `jobloop::sync` value, where it began
//! (`Queue::get at src/main.rs:12:9`, see `wait_site.rs`).
//!
//! The nodes live in this file's map (`TREE`), which `watched.rs` keeps: a task enters it when
//! it starts and leaves it when its future is dropped; each poll marks it running, then
//! waiting. The tasks of a `scoped` group, polled inside the task that awaits it, are nodes of
//! their own under their group, as any group's. [`task_tree`] takes a copy, which `Display` writes as an indented tree and
//! [`TaskTree::to_json`] as JSON.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::panic::Location;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::debug_on;
use crate::wait_site::{self, polling_task, Site};

/// The live tasks and groups, by id.
struct Tree {
    tasks: Option<HashMap<u64, Node>>,
    groups: Option<HashMap<u64, GroupNode>>,
}

static TREE: Mutex<Tree> = Mutex::new(Tree {
    tasks: None,
    groups: None,
});

fn tree() -> MutexGuard<'static, Tree> {
    TREE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Task `id` started (`node`).
pub(super) fn started(id: u64, node: Node) {
    tree()
        .tasks
        .get_or_insert_with(HashMap::new)
        .insert(id, node);
}

/// A poll of task `id` began at `start`.
pub(super) fn running(id: u64, start: Instant) {
    if let Some(node) = tree().tasks.as_mut().and_then(|tasks| tasks.get_mut(&id)) {
        node.running = true;
        node.ready = false;
        node.woken_while_running = false;
        node.since = start;
        node.waits.clear();
    }
}

/// A poll of task `id` ended, having begun to wait on `waits`.
pub(super) fn waiting(id: u64, waits: &[&'static str], sleep: Option<SleepWait>) {
    if let Some(node) = tree().tasks.as_mut().and_then(|tasks| tasks.get_mut(&id)) {
        node.running = false;
        node.ready = node.woken_while_running;
        node.since = Instant::now();
        node.waits.clear();
        node.waits.extend_from_slice(waits);
        node.sleep = sleep;
    }
}

/// Task `id` was woken: ready to be polled (at the end of its poll, if it is being polled).
pub(super) fn woken(id: u64) {
    if let Some(node) = tree().tasks.as_mut().and_then(|tasks| tasks.get_mut(&id)) {
        if node.running {
            node.woken_while_running = true;
        } else if !node.ready {
            node.ready = true;
            node.since = Instant::now();
        }
    }
}

/// Task `id`'s future is gone.
pub(super) fn dropped(id: u64) {
    if let Some(tasks) = tree().tasks.as_mut() {
        tasks.remove(&id);
    }
}

/// What the tree keeps of a live task.
#[derive(Clone, Debug)]
pub(super) struct Node {
    /// The task that started it (0: the future given to the runtime's `block_on`).
    pub(super) parent: u64,
    pub(super) thread: ThreadId,
    /// Its thread's handle, for the thread's name (a reference count, not a copy of the name).
    pub(super) thread_handle: std::thread::Thread,
    /// Its name: `fetch(u)[3]`, `reader (spawned at src/main.rs:9:5)`, ...
    pub(super) name: String,
    /// Its group, for a group's task.
    pub(super) group: Option<u64>,
    pub(super) running: bool,
    /// Woken since its last poll: ready to be polled.
    pub(super) ready: bool,
    /// Woken during its poll going on: ready when the poll ends.
    pub(super) woken_while_running: bool,
    /// Since when it is in its state.
    pub(super) since: Instant,
    /// What its last poll began to wait on.
    pub(super) waits: Vec<&'static str>,
    /// The sleep its last poll began, if it did.
    pub(super) sleep: Option<SleepWait>,
}

impl Node {
    /// `running` (being polled), `ready` (woken, not polled yet) or `waiting`.
    fn state(&self) -> &'static str {
        if self.running {
            "running"
        } else if self.ready {
            "ready"
        } else {
            "waiting"
        }
    }
}

/// A sleep a task waits in: where it was made, and when it ends (`None`: never).
pub(crate) type SleepWait = (&'static Location<'static>, Option<Instant>);

/// What the tree keeps of a live group.
#[derive(Clone, Debug)]
pub(super) struct GroupNode {
    /// `tasks![.. => fetch(u)]`, `tasks![a, b]`, `group`.
    label: String,
    at: &'static Location<'static>,
    /// The task that made it (0: a `block_on` future), and the thread.
    made_by: u64,
    thread: ThreadId,
    /// The task that last polled it, when one did.
    awaited_by: Option<u64>,
}

impl GroupNode {
    /// The task it is drawn under: the one that awaits it, else the one that made it.
    fn owner(&self) -> u64 {
        self.awaited_by.unwrap_or(self.made_by)
    }
}

/// A group labelled `label` was made at `at`, by the task being polled now.
pub(super) fn group_started(id: u64, label: String, at: &'static Location<'static>) {
    let node = GroupNode {
        label,
        at,
        made_by: polling_task(),
        thread: std::thread::current().id(),
        awaited_by: None,
    };
    tree()
        .groups
        .get_or_insert_with(HashMap::new)
        .insert(id, node);
}

/// Group `id` is polled by the task being polled now.
pub(super) fn group_awaited(id: u64) {
    let task = polling_task();
    if let Some(group) = tree()
        .groups
        .as_mut()
        .and_then(|groups| groups.get_mut(&id))
    {
        if group.awaited_by != Some(task) {
            group.awaited_by = Some(task);
            group.thread = std::thread::current().id();
        }
    }
}

/// Group `id` is gone.
pub(super) fn group_ended(id: u64) {
    if let Some(groups) = tree().groups.as_mut() {
        groups.remove(&id);
    }
}

/// A copy of the task tree, taken by [`task_tree`]: written as an indented tree by `Display`,
/// as JSON by [`to_json`](TaskTree::to_json).
///
/// A task whose starter has ended is drawn at the top, and says so:
///
/// ```
/// use jobloop_runtime::{debug, spawn, spawn_named, yield_now, EventLoop};
///
/// debug::enable();
/// EventLoop::new().block_on(async {
///     // Dropping a `JoinHandle` lets its task run on.
///     let starter = spawn(async { drop(spawn_named("left", std::future::pending::<()>())) });
///     starter.await;
///     yield_now().await;
///     let tree = debug::task_tree().to_string();
///     assert!(tree.contains("`left`"), "{tree}");
///     assert!(tree.contains("(its starter has ended)"), "{tree}");
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TaskTree {
    debug: bool,
    taken: Instant,
    /// The tasks, by id, in the order they started.
    tasks: Vec<(u64, Node)>,
    /// The groups, by id, in the order they were made.
    groups: Vec<(u64, GroupNode)>,
    /// The waits on `jobloop::sync` values going on, with the task (0: a `block_on` future)
    /// and thread they began in.
    sites: Vec<(u64, ThreadId, Site)>,
    /// Made once when the tree is taken, so that drawing it is linear in its size: by the
    /// [`Place`] of a task, the indexes (in `tasks`) of its tasks of no group, ...
    alone: HashMap<Place, Vec<usize>>,
    /// ... of the groups it awaits (in `groups`), ...
    owned_groups: HashMap<Place, Vec<usize>>,
    /// ... and of its waits (in `sites`).
    own_sites: HashMap<Place, Vec<usize>>,
    /// By group id, the indexes of the group's tasks.
    members: HashMap<u64, Vec<usize>>,
}

/// Where in the tree: task `id`, or (0) the `block_on` future of a thread.
type Place = (u64, Option<ThreadId>);

fn place(id: u64, thread: ThreadId) -> Place {
    (id, (id == 0).then_some(thread))
}

/// The tree of the tasks alive now, on every thread and runtime: callable from any task or
/// thread (and what SIGQUIT prints under `#[job_main]`).
///
/// The tasks are known in debug mode only (`JOBLOOP_DEBUG=1`, `#[job_main(debug)]`,
/// [`enable`](super::enable)), which watches every task from its start; without it the tree
/// holds no task and says how to turn it on.
///
/// ```
/// use jobloop_runtime::{debug, sleep, sync::Event, EventLoop};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// debug::enable();
/// EventLoop::new().block_on(async {
///     let start = Arc::new(Event::new());
///     let sleeper = jobloop_runtime::spawn_named("sleeper", sleep(Duration::from_secs(1)));
///     let starter = start.clone();
///     let waiter = jobloop_runtime::spawn_named("waiter", async move { starter.wait().await });
///     jobloop_runtime::yield_now().await; // both begin to wait
///     start.set(); // the waiter is ready, not polled yet
///     let tree = debug::task_tree().to_string();
///     assert!(tree.contains("`sleeper`"), "{tree}");
///     assert!(tree.contains("on sleep at"), "{tree}");
///     assert!(tree.contains("): ready for"), "{tree}");
///     waiter.await;
///     sleeper.cancel().await;
/// });
/// ```
pub fn task_tree() -> TaskTree {
    let tree = tree();
    let mut tasks: Vec<(u64, Node)> = (tree.tasks.iter().flatten())
        .map(|(id, node)| (*id, node.clone()))
        .collect();
    let mut groups: Vec<(u64, GroupNode)> = (tree.groups.iter().flatten())
        .map(|(id, group)| (*id, group.clone()))
        .collect();
    drop(tree);
    tasks.sort_unstable_by_key(|(id, _)| *id);
    groups.sort_unstable_by_key(|(id, _)| *id);
    // A task or group whose starter (or awaiting task) is gone is drawn at the top of its
    // thread, and says so: every live task is in the tree.
    let live: std::collections::HashSet<u64> = tasks.iter().map(|(id, _)| *id).collect();
    for (_, node) in &mut tasks {
        if node.parent != 0 && !live.contains(&node.parent) {
            node.parent = 0;
            node.name.push_str(" (its starter has ended)");
        }
    }
    for (_, group) in &mut groups {
        if group.owner() != 0 && !live.contains(&group.owner()) {
            group.awaited_by = Some(0);
        }
    }
    let sites = wait_site::all();
    let known_groups: HashMap<u64, usize> = (groups.iter().enumerate())
        .map(|(index, (id, _))| (*id, index))
        .collect();
    let (mut alone, mut members) = (HashMap::<Place, Vec<usize>>::new(), HashMap::new());
    for (index, (_, node)) in tasks.iter().enumerate() {
        match node.group.filter(|group| known_groups.contains_key(group)) {
            Some(group) => members.entry(group).or_insert_with(Vec::new).push(index),
            None => alone
                .entry(place(node.parent, node.thread))
                .or_default()
                .push(index),
        }
    }
    let mut owned_groups = HashMap::<Place, Vec<usize>>::new();
    for (index, (_, group)) in groups.iter().enumerate() {
        let at = place(group.owner(), group.thread);
        owned_groups.entry(at).or_default().push(index);
    }
    let mut own_sites = HashMap::<Place, Vec<usize>>::new();
    for (index, (task, thread, _)) in sites.iter().enumerate() {
        own_sites
            .entry(place(*task, *thread))
            .or_default()
            .push(index);
    }
    TaskTree {
        debug: debug_on(),
        taken: Instant::now(),
        tasks,
        groups,
        sites,
        alone,
        owned_groups,
        own_sites,
        members,
    }
}

/// The groups of a task, as the tree draws them: each with its tasks.
type Groups<'a> = Vec<(&'a GroupNode, Vec<&'a (u64, Node)>)>;

impl TaskTree {
    /// What task `parent` (0: the `block_on` future of `thread`) started or awaits: its tasks
    /// of no group, and the groups it awaits (or made, if no task awaited them yet) with their
    /// tasks.
    fn children(&self, parent: u64, thread: ThreadId) -> (Vec<&(u64, Node)>, Groups<'_>) {
        let at = place(parent, thread);
        let tasks = |indexes: Option<&Vec<usize>>| -> Vec<&(u64, Node)> {
            indexes
                .into_iter()
                .flatten()
                .map(|&index| &self.tasks[index])
                .collect()
        };
        let groups = (self.owned_groups.get(&at).into_iter().flatten())
            .map(|&index| &self.groups[index])
            .map(|(id, group)| (group, tasks(self.members.get(id))))
            .filter(|(_, tasks)| !tasks.is_empty())
            .collect();
        (tasks(self.alone.get(&at)), groups)
    }

    /// The waits on `jobloop::sync` values of task `id` (0: the `block_on` future of `thread`).
    fn sites_of(&self, id: u64, thread: ThreadId) -> Vec<&Site> {
        (self.own_sites.get(&place(id, thread)).into_iter().flatten())
            .map(|&index| &self.sites[index].2)
            .collect()
    }

    /// The threads whose `block_on` future started tasks or waits, in the order first seen.
    fn threads(&self) -> Vec<(ThreadId, String)> {
        let mut threads: Vec<(ThreadId, String)> = Vec::new();
        let mut names: HashMap<ThreadId, String> = HashMap::new();
        for (_, node) in &self.tasks {
            let name = node.thread_handle.name().unwrap_or("unnamed");
            names.insert(node.thread, name.to_string());
        }
        let roots = (self.tasks.iter())
            .filter(|(_, node)| node.parent == 0)
            .map(|(_, node)| node.thread)
            .chain(
                (self.groups.iter())
                    .filter(|(_, group)| group.owner() == 0)
                    .map(|(_, group)| group.thread),
            )
            .chain(self.sites.iter().filter(|s| s.0 == 0).map(|s| s.1));
        for thread in roots {
            if !threads.iter().any(|(seen, _)| *seen == thread) {
                let name = names
                    .get(&thread)
                    .cloned()
                    .unwrap_or_else(|| format!("{thread:?}"));
                threads.push((thread, name));
            }
        }
        threads
    }

    fn write_task(&self, out: &mut String, task: &(u64, Node), depth: usize) {
        let (id, node) = task;
        let indent = "  ".repeat(depth);
        let state = node.state();
        let _ = write!(
            out,
            "\n{indent}{}: {state} for {}",
            node.name,
            seconds(self.taken.saturating_duration_since(node.since))
        );
        let sites = self.sites_of(*id, node.thread);
        // The kinds of wait that a site below does not say already.
        let waits: Vec<String> = (node.waits.iter())
            .filter(|what| !sites.iter().any(|site| site.what() == **what))
            .map(|what| self.describe(what, node))
            .collect();
        let waiting = !node.running && !node.ready;
        if waiting && !waits.is_empty() {
            let _ = write!(out, ", on {}", waits.join(", "));
        } else if waiting && node.waits.is_empty() && sites.is_empty() {
            // Nothing jobloop made said it waits: a future of another crate, or a channel.
            out.push_str(", on something outside jobloop");
        }
        for site in sites {
            let _ = write!(out, "\n{indent}  waits on {site}");
        }
        self.write_children(out, *id, node.thread, depth + 1);
    }

    /// A wait of `node`'s last poll, as the tree says it: a sleep with where it was made and
    /// how long is left.
    fn describe(&self, what: &str, node: &Node) -> String {
        match (what, node.sleep) {
            ("sleep", Some((at, Some(deadline)))) => {
                let left = deadline.saturating_duration_since(self.taken);
                format!("sleep at {at}, {} left", seconds(left))
            }
            ("sleep", Some((at, None))) => format!("sleep at {at}, for ever"),
            _ => what.to_string(),
        }
    }

    fn write_children(&self, out: &mut String, parent: u64, thread: ThreadId, depth: usize) {
        let (alone, groups) = self.children(parent, thread);
        for (group, tasks) in groups {
            let indent = "  ".repeat(depth);
            let count = tasks.len();
            let plural = if count == 1 { "" } else { "s" };
            let _ = write!(
                out,
                "\n{indent}{} at {}: {count} task{plural} running",
                group.label, group.at
            );
            for task in tasks {
                self.write_task(out, task, depth + 1);
            }
        }
        for task in alone {
            self.write_task(out, task, depth);
        }
    }

    /// The tree as JSON: `{"debug": bool, "tasks": N, "threads": [{"thread": name, "waits":
    /// [...], "tasks": [...]}]}`, each task `{"id", "name", "state", "seconds", "waiting_on":
    /// [...], "group": its group or null, "waits": [{"what", "at", "seconds"}], "tasks": [what
    /// it started or awaits]}`.
    ///
    /// ```
    /// use jobloop_runtime::{debug, sync::Queue, EventLoop};
    ///
    /// debug::enable();
    /// EventLoop::new().block_on(async {
    ///     let queue = Queue::<u32>::new(0);
    ///     let waiting = queue.clone();
    ///     let getter = jobloop_runtime::spawn_named("getter", async move { waiting.get().await });
    ///     jobloop_runtime::yield_now().await; // the getter begins to wait
    ///     let json = debug::task_tree().to_json();
    ///     assert!(json.contains(r#""name":"task `getter`"#), "{json}");
    ///     assert!(json.contains(r#""what":"Queue::get""#), "{json}");
    ///     queue.put(1).await.unwrap();
    ///     assert_eq!(getter.await, Ok(1));
    /// });
    /// ```
    pub fn to_json(&self) -> String {
        let mut out = format!(
            "{{\"debug\":{},\"tasks\":{},\"threads\":[",
            self.debug,
            self.tasks.len()
        );
        for (i, (thread, name)) in self.threads().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"thread\":{},\"waits\":", json_string(&name));
            self.json_sites(&mut out, 0, thread);
            out.push_str(",\"tasks\":");
            self.json_children(&mut out, 0, thread);
            out.push('}');
        }
        out.push_str("]}");
        out
    }

    fn json_sites(&self, out: &mut String, id: u64, thread: ThreadId) {
        out.push('[');
        for (i, site) in self.sites_of(id, thread).into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(
                out,
                "{{\"what\":{},\"at\":{},\"seconds\":{:.3}}}",
                json_string(site.what()),
                json_string(&site.at().to_string()),
                site.waited().as_secs_f64()
            );
        }
        out.push(']');
    }

    fn json_children(&self, out: &mut String, parent: u64, thread: ThreadId) {
        let (alone, groups) = self.children(parent, thread);
        let tasks = groups.into_iter().flat_map(|(_, tasks)| tasks).chain(alone);
        out.push('[');
        for (i, (id, node)) in tasks.enumerate() {
            if i > 0 {
                out.push(',');
            }
            let waits: Vec<String> = (node.waits.iter())
                .map(|what| json_string(&self.describe(what, node)))
                .collect();
            let group = (node.group)
                .and_then(|id| self.groups.iter().find(|(group, _)| *group == id))
                .map_or_else(
                    || "null".to_string(),
                    |(_, group)| {
                        let place = format!("{} at {}", group.label, group.at);
                        json_string(&place)
                    },
                );
            let _ = write!(
                out,
                concat!(
                    "{{\"id\":{},\"name\":{},\"state\":\"{}\",\"seconds\":{:.3},",
                    "\"waiting_on\":[{}],\"group\":{},\"waits\":"
                ),
                id,
                json_string(&node.name),
                node.state(),
                self.taken
                    .saturating_duration_since(node.since)
                    .as_secs_f64(),
                waits.join(","),
                group,
            );
            self.json_sites(out, *id, node.thread);
            out.push_str(",\"tasks\":");
            self.json_children(out, *id, node.thread);
            out.push('}');
        }
        out.push(']');
    }
}

impl fmt::Display for TaskTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.debug {
            f.write_str(
                "task tree: no task is known, debug mode is off (run with JOBLOOP_DEBUG=1 or \
                 `#[job_main(debug)]` to keep the tree)",
            )?;
        } else {
            let count = self.tasks.len();
            let plural = if count == 1 { "" } else { "s" };
            write!(f, "task tree: {count} task{plural}")?;
        }
        let mut out = String::new();
        for (thread, name) in self.threads() {
            let _ = write!(out, "\nthe future given to block_on, on thread `{name}`");
            for site in self.sites_of(0, thread) {
                let _ = write!(out, "\n  waits on {site}");
            }
            self.write_children(&mut out, 0, thread, 1);
        }
        f.write_str(&out)
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

fn json_string(text: &str) -> String {
    super::chrome_json::json_string(text)
}
