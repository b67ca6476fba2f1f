//! Shuffled schedules: the embedded loop running its ready tasks in a seeded order
//! ([`EventLoop::shuffled`](crate::EventLoop::shuffled)), and what `#[job_test(shuffle)]` runs:
//! the test once per seed, the failing seed named with the line that replays it.
//!
//! Each turn, the loop takes the tasks that are ready (woken by the previous turn, by timers
//! that fired, by I/O) and runs them in an order drawn from the seed instead of the order they
//! were woken; tasks woken meanwhile wait for the next turn, as in FIFO order. Timers due at the
//! same instant wake their tasks in one turn, so they run in a seeded order too. A `scoped`
//! group, which polls its tasks itself inside one task of the loop, polls the ones woken since
//! its last poll in an order drawn from the same seed (`group/in_place.rs`), so its tasks are
//! shuffled as spawned ones are; from a sequence of their own, so that the loop's order for a
//! seed stays what it is without them.
//!
//! The order is uniform among a turn's ready tasks. shuttle's other scheduler, PCT (a random
//! priority per task, lowered at a few random steps), is not offered: it bounds the chance of
//! finding a bug of a given depth, but needs the run's number of steps ahead of time and a
//! task identity that stays the same across runs, which the loop does not keep. The generator is
//! SplitMix64, written out here rather than taken from a crate so that a seed printed today
//! replays the same schedule with any later version.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use crate::EventLoop;

/// A seeded order: SplitMix64's state.
#[derive(Clone, Copy)]
pub(crate) struct Shuffle(u64);

impl Shuffle {
    pub(crate) fn new(seed: u64) -> Shuffle {
        Shuffle(seed)
    }

    /// The sequence of `seed` for the tasks of `scoped` groups: apart from the loop's, so that
    /// the loop's order for a seed is the same with and without such groups.
    pub(crate) fn for_groups(seed: u64) -> Shuffle {
        Shuffle(seed ^ 0x5C09_ED00_6A0B_5EED)
    }

    /// The next number of the sequence (SplitMix64).
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Puts `items` in a seeded order (Fisher–Yates).
    pub(crate) fn reorder<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// What a shuffled test's run gave: whether it failed (an `Err`), beside a panic.
#[doc(hidden)]
pub trait RunOutcome {
    /// Whether the run failed.
    fn failed(&self) -> bool;
}

impl RunOutcome for () {
    fn failed(&self) -> bool {
        false
    }
}

impl<T, E> RunOutcome for Result<T, E> {
    fn failed(&self) -> bool {
        self.is_err()
    }
}

/// How many schedules `#[job_test(shuffle)]` tries when it says no number.
pub const DEFAULT_RUNS: u32 = 100;

/// Runs `test` (named `name`, its path in the test binary) once per seed on a shuffled loop
/// (with a virtual clock when `virtual_time`): `runs` seeds, or `JOBLOOP_SHUFFLE` when that is
/// more; only the seed of `JOBLOOP_SEED` when it is set (a replay). The first failing run (a
/// panic or an `Err`) ends it, after a line on stderr with its seed and the command that replays
/// it; its panic resumes, or its output is returned.
#[doc(hidden)]
#[track_caller]
pub fn run_shuffled<F, Fut>(name: &str, runs: u32, virtual_time: bool, test: F) -> Fut::Output
where
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: RunOutcome,
{
    // The test's line (`#[job_test]`'s), for a deadlock's report.
    let site = std::panic::Location::caller();
    let replay = std::env::var("JOBLOOP_SEED").ok().map(|seed| {
        seed.trim().parse::<u64>().unwrap_or_else(|_| {
            panic!("JOBLOOP_SEED={seed}: a seed is a number, as the failing run printed it")
        })
    });
    let runs = match std::env::var("JOBLOOP_SHUFFLE")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(more) if more > runs => more,
        _ => runs,
    };
    // Seed i of a test is the same in every run of the suite: a failure in CI replays here.
    let seeds: Vec<u64> = match replay {
        Some(seed) => vec![seed],
        None => (1..=u64::from(runs)).collect(),
    };
    let count = seeds.len();
    let mut last = None;
    for (run, seed) in seeds.into_iter().enumerate() {
        let event_loop = EventLoop::new().shuffled(seed).fail_on_deadlock();
        let event_loop = if virtual_time {
            event_loop.with_virtual_time()
        } else {
            event_loop
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| event_loop.block_on_at(site, test())));
        drop(event_loop);
        let failed = match &outcome {
            Ok(output) => output.failed(),
            Err(_) => true,
        };
        if failed {
            let test_name = name.split_once("::").map_or(name, |(_, path)| path);
            eprintln!(
                "jobloop: `{test_name}` failed under the shuffled schedule of seed {seed} (run {} \
                 of {count}); replay that schedule with:\n    JOBLOOP_SEED={seed} cargo test \
                 {test_name} -- --exact",
                run + 1,
            );
            match outcome {
                Ok(output) => return output,
                Err(payload) => resume_unwind(payload),
            }
        }
        last = outcome.ok();
    }
    match last {
        Some(output) => output,
        None => unreachable!("`run_shuffled` ran no schedule"),
    }
}
