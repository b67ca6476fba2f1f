//! `tasks![progress; ...]`: a live progress bar on stderr, drawn only when stderr is a
//! terminal. One line, redrawn in place at most every 100 ms and when the group ends:
//! done/total, failed, rate and time left.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// How often the bar is redrawn at most.
const EVERY: Duration = Duration::from_millis(100);
/// The width of the bar itself, in characters.
const WIDTH: usize = 30;

/// The progress of one group.
pub(crate) struct Progress {
    /// How many tasks the group has, when its source says so exactly.
    total: Option<usize>,
    done: usize,
    failed: usize,
    start: Instant,
    /// When the bar was last drawn; `None` before the first time.
    drawn: Option<Instant>,
    /// Whether stderr is a terminal (otherwise nothing is drawn).
    terminal: bool,
}

impl Progress {
    pub(crate) fn new(total: Option<usize>) -> Progress {
        Progress {
            total,
            done: 0,
            failed: 0,
            start: Instant::now(),
            drawn: None,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A task arrived (`failed`: it panicked, timed out, or returned `Err` under `try`).
    pub(crate) fn arrived(&mut self, failed: bool) {
        self.done += 1;
        self.failed += usize::from(failed);
        let due = self.drawn.is_none_or(|at| at.elapsed() >= EVERY);
        if due || Some(self.done) == self.total {
            self.draw();
        }
    }

    /// The group ended: the last state, and the line ends.
    pub(crate) fn finish(&mut self) {
        if self.terminal && self.drawn.is_some() {
            self.draw();
            let _ = writeln!(std::io::stderr());
            self.terminal = false; // drawn for the last time
        }
    }

    fn draw(&mut self) {
        if !self.terminal {
            return;
        }
        let line = render(self.done, self.failed, self.total, self.start.elapsed());
        let mut stderr = std::io::stderr().lock();
        // Back to the line's start, the line, and clear what a longer line left.
        let _ = write!(stderr, "\r{line}\x1b[K");
        let _ = stderr.flush();
        self.drawn = Some(Instant::now());
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The bar's line: `[#########.....]  45/100  3 failed  12.3/s  ~4.5 s left`, or without a
/// bar and time left when the total is unknown.
pub(crate) fn render(
    done: usize,
    failed: usize,
    total: Option<usize>,
    elapsed: Duration,
) -> String {
    let seconds = elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        done as f64 / seconds
    } else {
        0.0
    };
    let failed = if failed > 0 {
        format!("  {failed} failed")
    } else {
        String::new()
    };
    match total {
        Some(total) if total > 0 => {
            let filled = (done.min(total) * WIDTH) / total;
            let bar = format!("{}{}", "#".repeat(filled), ".".repeat(WIDTH - filled));
            let left = match (total.saturating_sub(done), rate > 0.0) {
                (0, _) => format!("  done in {seconds:.1} s"),
                (rest, true) => format!("  ~{:.1} s left", rest as f64 / rate),
                (_, false) => String::new(),
            };
            format!(
                "[{bar}] {done:>width$}/{total}{failed}  {rate:.1}/s{left}",
                width = digits(total)
            )
        }
        _ => format!("{done} done{failed}  {rate:.1}/s"),
    }
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

#[cfg(test)]
mod tests {
    use super::render;
    use std::time::Duration;

    #[test]
    fn the_line_shows_done_total_failed_rate_and_time_left() {
        let line = render(45, 3, Some(100), Duration::from_secs(5));
        assert_eq!(
            line,
            "[#############.................]  45/100  3 failed  9.0/s  ~6.1 s left"
        );
        let line = render(100, 0, Some(100), Duration::from_secs(10));
        assert_eq!(
            line,
            "[##############################] 100/100  10.0/s  done in 10.0 s"
        );
        assert_eq!(
            render(0, 0, Some(8), Duration::ZERO),
            "[..............................] 0/8  0.0/s"
        );
        assert_eq!(
            render(7, 1, None, Duration::from_secs(2)),
            "7 done  1 failed  3.5/s"
        );
    }

    #[test]
    fn nothing_is_drawn_when_stderr_is_not_a_terminal() {
        // Under `cargo test` stderr is captured, a pipe: the bar stays silent, and counting
        // costs nothing but the counting.
        let mut progress = super::Progress::new(Some(2));
        progress.terminal = false;
        progress.arrived(false);
        progress.arrived(true);
        assert!(progress.drawn.is_none());
        assert_eq!((progress.done, progress.failed), (2, 1));
    }
}
