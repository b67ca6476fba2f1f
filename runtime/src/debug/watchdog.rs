//! The watchdog of debug mode: a thread that reports, while it still runs, a poll that has held
//! its thread for longer than a second, followed by the task tree.

use std::sync::OnceLock;
use std::time::Duration;

use super::watched::registry;

/// How long a poll runs before the watchdog reports it, still stuck.
const STUCK: Duration = Duration::from_secs(1);

/// The watchdog: every 100 ms, reports the polls that have run longer than [`STUCK`], once
/// each, while they still run.
pub(super) fn start_watchdog() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("jobloop-debug-watchdog".into())
            .spawn(|| loop {
                std::thread::sleep(Duration::from_millis(100));
                let mut stuck = Vec::new();
                let mut registry = registry();
                // A poll with another running inside it (a `scoped` group's task) is not the
                // one stuck: the innermost is reported.
                let outers: Vec<u64> = registry.polling.iter().map(|poll| poll.4).collect();
                for (id, what, start, reported, _) in registry.polling.iter_mut() {
                    if !*reported && !outers.contains(id) && start.elapsed() >= STUCK {
                        *reported = true;
                        stuck.push((what.clone(), start.elapsed()));
                    }
                }
                drop(registry);
                let any = !stuck.is_empty();
                for (what, running) in stuck {
                    eprintln!(
                        "jobloop debug: {what} has held its thread for {running:.1?} and is \
                         still running: it blocks every other task of that thread"
                    );
                }
                if any {
                    // What the other tasks were doing when it got stuck.
                    eprintln!("{}", super::task_tree());
                }
            });
    });
}
