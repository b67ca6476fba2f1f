//! On a multi-threaded runtime the tasks of a `tasks![send; ...]` run in parallel: the same
//! CPU-bound group takes about half the time on `Tokio::multi_thread(2)` as on
//! `Tokio::current_thread()` (on a machine with 2 free cores).
//!
//! ```sh
//! cargo run --release --features tokio --example parallel
//! ```
use std::hint::black_box;
use std::time::Instant;

use jobloop::runtime::Tokio;
use jobloop::{tasks, Runtime};

/// A job that only computes: `rounds` steps of a xorshift generator.
async fn crunch(seed: u64, rounds: u64) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    black_box(x)
}

fn main() {
    let rounds = if cfg!(debug_assertions) {
        5_000_000
    } else {
        100_000_000
    };
    let mut times = Vec::new();
    for (name, runtime) in [
        ("Tokio::current_thread()", Tokio::current_thread()),
        ("Tokio::multi_thread(2)", Tokio::multi_thread(2)),
    ] {
        let start = Instant::now();
        let outputs =
            runtime.run(async { tasks![send; for seed in 0..8 => crunch(seed, rounds)].await });
        let elapsed = start.elapsed();
        assert_eq!(outputs.len(), 8);
        println!("{name:<24} 8 jobs in {elapsed:?}");
        times.push(elapsed.as_secs_f64());
    }
    println!("speed-up: {:.2}x", times[0] / times[1]);
}
