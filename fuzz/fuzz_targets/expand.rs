//! `cargo +nightly fuzz run expand`: lexes the input and expands `tasks![]`, `#[job_main]` and
//! `#[job_test]` with it; any panic is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| jobloop_fuzz::run(data));
