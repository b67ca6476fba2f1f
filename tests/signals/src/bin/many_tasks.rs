//! Trivial tasks, as many as the first argument says, in groups of 1 000; then, once the trace
//! (if any) is written, the process's peak memory (`VmHWM`, Linux): for the trace's memory test
//! and its benchmark row.
pub fn main() {
    let count: usize = super::argument()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    // What `#[job_main]` writes, with a line after it: the trace is written by then.
    jobloop::signal::run_main(jobloop::EventLoop::new(), async move {
        for _ in 0..count / 1000 {
            jobloop::tasks![for i in 0..1000 => async move { i }].await;
        }
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .map_or(String::from("unknown"), |kb| kb.trim().to_owned());
    println!("peak {peak}");
}
