//! The binaries that `tests/ctrl_c.rs` runs and signals: `ctrl_c` (the example
//! `examples/ctrl_c.rs` itself), `slow_cleanup`, `panicking_cleanup` and `handled`.
