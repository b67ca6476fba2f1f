//! Shuffled schedules (`#[job_test(shuffle)]`): a check-then-act race across an `.await` that
//! FIFO order never shows is found, its seed printed with the line that replays it, and the
//! replay fails the same way. The failing test runs in a child process (this binary, with
//! `--ignored`), as a user's `cargo test` would run it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use jobloop::{job_test, spawn, yield_now, EventLoop};

/// Two tasks each take a single token if it is still there: one checks, waits, then takes it.
/// In FIFO order the first task always takes it before the second checks; in another order both
/// see it free, and both take it. Returns the log of what happened, in order.
async fn take_the_token_twice() -> Vec<String> {
    let taken = Rc::new(Cell::new(false));
    let log = Rc::new(RefCell::new(Vec::new()));
    let task = |name: &'static str, late: bool| {
        let (taken, log) = (taken.clone(), log.clone());
        spawn(async move {
            if late {
                yield_now().await;
            }
            if !taken.get() {
                log.borrow_mut().push(format!("{name} sees the token free"));
                yield_now().await; // the race: another task runs between check and act
                taken.set(true);
                log.borrow_mut().push(format!("{name} takes it"));
            }
        })
    };
    let (a, b) = (task("a", false), task("b", true));
    a.await;
    b.await;
    log.take()
}

/// The check of the race: at most one task took the token.
async fn the_token_is_taken_once() {
    let log = take_the_token_twice().await;
    let takes = log.iter().filter(|line| line.ends_with("takes it")).count();
    assert!(takes == 1, "the token was taken {takes} times: {log:?}");
}

#[test]
fn in_fifo_order_the_race_never_shows() {
    for _ in 0..100 {
        EventLoop::new().block_on(the_token_is_taken_once());
    }
}

/// The race under 100 seeded schedules: fails. Run by the test below, in a child process.
#[job_test(shuffle = 100)]
#[ignore = "fails on purpose: run by `shuffle_finds_the_race_and_its_seed_replays_it`"]
async fn the_race_under_shuffle() {
    the_token_is_taken_once().await;
}

/// Runs the ignored test above in a child process, with `JOBLOOP_SEED` when given: its status
/// and its stderr.
fn run_child(seed: Option<&str>) -> (bool, String) {
    let mut command = std::process::Command::new(std::env::current_exe().expect("test binary"));
    command.args([
        "--exact",
        "shuffle::the_race_under_shuffle",
        "--ignored",
        "--test-threads=1",
    ]);
    command
        .env_remove("JOBLOOP_SEED")
        .env_remove("JOBLOOP_SHUFFLE");
    if let Some(seed) = seed {
        command.env("JOBLOOP_SEED", seed);
    }
    let output = command.output().expect("run the child");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// The panic message of the child's failure: what step it failed at.
fn failure(text: &str) -> String {
    let at = text
        .find("the token was taken")
        .unwrap_or_else(|| panic!("no failure of the race in:\n{text}"));
    text[at..].lines().next().unwrap_or_default().to_string()
}

#[test]
fn shuffle_finds_the_race_and_its_seed_replays_it() {
    let (passed, text) = run_child(None);
    assert!(
        !passed,
        "100 shuffled schedules did not find the race:\n{text}"
    );
    let seed = text
        .split("failed under the shuffled schedule of seed ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no seed in:\n{text}"));
    let replay =
        format!("JOBLOOP_SEED={seed} cargo test shuffle::the_race_under_shuffle -- --exact");
    assert!(
        text.contains(&replay),
        "no replay line `{replay}` in:\n{text}"
    );
    let first = failure(&text);
    for _ in 0..2 {
        let (passed, again) = run_child(Some(seed));
        assert!(!passed, "the replay of seed {seed} passed:\n{again}");
        assert_eq!(failure(&again), first, "the replay failed at another step");
        assert!(again.contains("(run 1 of 1)"), "{again}");
    }
    // A seed that is not a number is refused with what to give instead.
    let (passed, text) = run_child(Some("six"));
    assert!(!passed);
    assert!(
        text.contains("JOBLOOP_SEED=six: a seed is a number"),
        "{text}"
    );
}

/// A shuffled test that passes under every schedule passes, and one that returns `Err` under a
/// schedule fails with that `Err` and its seed.
#[job_test(shuffle = 20, virtual_time)]
async fn a_shuffled_test_that_holds_under_every_schedule_passes() {
    let log = Rc::new(RefCell::new(Vec::new()));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let log = log.clone();
            spawn(async move {
                jobloop::sleep(std::time::Duration::from_secs(1)).await;
                log.borrow_mut().push(i);
            })
        })
        .collect();
    for task in tasks {
        task.await;
    }
    let mut seen = log.take();
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2, 3]);
}

/// The same race between the tasks of a `scoped` group, which the group polls itself inside one
/// task of the loop: a shuffled loop polls them in a seeded order too (before, they kept their
/// FIFO order, and `#[job_test(shuffle)]` never found a race among them). Each seed replays.
#[test]
fn a_scoped_groups_tasks_are_shuffled_too() {
    /// How many times the token was taken, on `event_loop`.
    fn takes(event_loop: EventLoop) -> usize {
        event_loop.block_on(async {
            let taken = Cell::new(false);
            let takes = Cell::new(0);
            let task = |late: bool| {
                let (taken, takes) = (&taken, &takes);
                async move {
                    if late {
                        yield_now().await;
                    }
                    if !taken.get() {
                        yield_now().await; // the race: another task runs between check and act
                        taken.set(true);
                        takes.set(takes.get() + 1);
                    }
                }
            };
            jobloop::tasks![scoped; task(false), task(true)].await;
            takes.get()
        })
    }
    assert_eq!(
        takes(EventLoop::new()),
        1,
        "in FIFO order the race never shows"
    );
    let found: Vec<u64> = (0..100)
        .filter(|&seed| takes(EventLoop::new().shuffled(seed)) == 2)
        .collect();
    assert!(!found.is_empty(), "no seed of 100 showed the race");
    for &seed in &found {
        assert_eq!(
            takes(EventLoop::new().shuffled(seed)),
            2,
            "seed {seed} replays"
        );
    }
}
