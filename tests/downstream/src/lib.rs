//! A crate that re-exports jobloop, as a framework built on it would: its users reach the macros
//! through `jobloop_downstream::jobloop`.

pub use jl as jobloop;
