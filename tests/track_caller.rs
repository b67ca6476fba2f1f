//! A misuse that panics is reported at the caller's line, not at a line inside jobloop: every
//! public function that can panic on misuse is `#[track_caller]` down to the panic. (One test in
//! a binary of its own: it replaces the process's panic hook while it runs.)

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use jobloop::sync::Queue;
use jobloop::{tasks, EventLoop, TaskGroup, TaskSet};

/// The file and line where `misuse` panicked.
fn where_it_panicked(misuse: impl FnOnce()) -> (String, u32) {
    let seen = Arc::new(Mutex::new(None));
    let previous = std::panic::take_hook();
    std::panic::set_hook({
        let seen = seen.clone();
        Box::new(move |info| {
            let location = info.location().map(|l| (l.file().to_owned(), l.line()));
            seen.lock()
                .unwrap()
                .get_or_insert(location.unwrap_or_default());
        })
    });
    let outcome = catch_unwind(AssertUnwindSafe(misuse));
    std::panic::set_hook(previous);
    assert!(outcome.is_err(), "it did not panic");
    let location = seen.lock().unwrap().take();
    location.expect("the hook saw the panic")
}

/// Checks that `$misuse` panics at a line of this file (the caller's), not inside jobloop;
/// records it in `$wrong` otherwise.
macro_rules! reported_here {
    ($wrong:ident, $what:literal, $misuse:expr) => {{
        let (file, at) = where_it_panicked(|| {
            $misuse;
        });
        if file != file!() {
            $wrong.push(format!("{}: reported at {file}:{at}", $what));
        }
    }};
}

#[test]
fn misuse_panics_name_the_callers_line() {
    let mut wrong = Vec::new();
    // Outside any runtime.
    reported_here!(wrong, "spawn", drop(jobloop::spawn(async {})));
    reported_here!(wrong, "spawn_send", drop(jobloop::spawn_send(async {})));
    reported_here!(
        wrong,
        "spawn_named",
        drop(jobloop::spawn_named("job", async {}))
    );
    reported_here!(wrong, "TaskSet::spawn", TaskSet::new().spawn(async {}));
    reported_here!(
        wrong,
        "TaskSet::spawn (send)",
        TaskSet::new_send().spawn(async {})
    );
    reported_here!(wrong, "TaskGroup::spawn", TaskGroup::new().spawn(async {}));
    reported_here!(
        wrong,
        "TaskGroup::spawn (send)",
        TaskGroup::new_send().spawn(async {})
    );
    reported_here!(
        wrong,
        "tasks![]",
        drop(tasks![for i in 0..3 => async move { i }])
    );
    reported_here!(
        wrong,
        "tasks![try]",
        drop(tasks![try; for i in 0..3 => async move { Ok::<_, ()>(i) }])
    );
    reported_here!(
        wrong,
        "tasks![stream]",
        drop(tasks![stream; for i in 0..3 => async move { i }])
    );

    // Misuse inside a runtime.
    reported_here!(wrong, "Queue::task_done", Queue::<u32>::new(1).task_done());
    reported_here!(
        wrong,
        "limit = 0",
        EventLoop::new().block_on(async {
            let none = 0; // computed: a literal 0 is a compile error
            drop(tasks![limit = none; for i in 0..3 => async move { i }])
        })
    );
    reported_here!(
        wrong,
        "a runtime inside a runtime",
        EventLoop::new().block_on(async { EventLoop::new().block_on(async {}) })
    );
    reported_here!(wrong, "JOBLOOP_RUNTIME", {
        std::env::set_var("JOBLOOP_RUNTIME", "no-such-runtime");
        let _ = jobloop::runtime::AnyRuntime::from_env();
    });
    assert!(
        wrong.is_empty(),
        "not at the caller's line:\n{}",
        wrong.join("\n")
    );
}
