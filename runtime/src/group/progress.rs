//! `tasks![progress; ...]` (feature `progress`): a live progress bar on stderr, drawn by
//! [indicatif](https://docs.rs/indicatif) only when stderr is a terminal: done/total, failed,
//! rate and time left, redrawn at most 20 times a second and when the group ends. Its last
//! state says how the group ended (done, stopped early, timed out, cancelled), and its line
//! ends, so that what the program prints next starts on a line of its own.

use std::borrow::Cow;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// The bar while the group runs, with a known total.
const RUNNING: &str = "[{bar:30}] {pos:>3}/{len}{msg}  {rate}  ~{eta} left";
/// The bar once the group is done.
const DONE: &str = "[{bar:30}] {pos}/{len}{msg}  done in {elapsed}";
/// A group that ended before all its tasks did (`try`'s first error, `race`).
const STOPPED: &str = "[{bar:30}] {pos}/{len}{msg}  stopped after {elapsed}";
/// A group that ended at its timeout, with tasks unfinished.
const TIMED_OUT: &str = "[{bar:30}] {pos}/{len}{msg}  timed out after {elapsed}";
/// A group dropped before it ended (its caller was cancelled, or a task panicked).
const CANCELLED: &str = "[{bar:30}] {pos}/{len}{msg}  cancelled after {elapsed}";
/// Without a total (the source does not say how many tasks are left).
const COUNTING: &str = "{spinner} {pos} done{msg}  {rate}";
/// The same, once the group ended at its timeout, or was dropped before it ended.
const COUNTED_TIMED_OUT: &str = "{pos} done{msg}  timed out after {elapsed}";
const COUNTED_CANCELLED: &str = "{pos} done{msg}  cancelled after {elapsed}";

/// The progress of one group.
pub(crate) struct Progress {
    bar: ProgressBar,
    failed: u64,
    finished: bool,
    /// The group's timeout, when it has one: a bar dropped after it says "timed out".
    deadline: Option<Instant>,
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this file, tested below: they always parse.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#.")
        // Tasks per second with one decimal (indicatif's `per_sec` shows four).
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.1}/s", state.per_sec());
            },
        )
}

impl Progress {
    /// A bar for a group of `total` tasks (`None`: not known), on stderr.
    pub(crate) fn new(total: Option<usize>) -> Progress {
        Progress::on(total, ProgressDrawTarget::stderr())
    }

    fn on(total: Option<usize>, target: ProgressDrawTarget) -> Progress {
        let total = total.map(|total| u64::try_from(total).unwrap_or(u64::MAX));
        let template = if total.is_some() { RUNNING } else { COUNTING };
        let bar = ProgressBar::with_draw_target(total, target).with_style(style(template));
        Progress {
            bar,
            failed: 0,
            finished: false,
            deadline: None,
        }
    }

    /// The group times out at `deadline`.
    pub(crate) fn set_deadline(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
    }

    /// A task arrived (`failed`: it panicked, timed out, or returned `Err` under `try`).
    pub(crate) fn arrived(&mut self, failed: bool) {
        if failed {
            self.failed += 1;
            self.bar.set_message(failed_message(self.failed));
        }
        self.bar.inc(1);
    }

    /// The group ended: the last state, and the line ends.
    pub(crate) fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        match self.bar.length() {
            // indicatif's `finish` fills the bar: only for a group whose tasks all arrived.
            Some(total) if self.bar.position() < total => {
                self.bar
                    .set_style(style(if self.timed_out() { TIMED_OUT } else { STOPPED }));
                self.bar.abandon();
            }
            Some(_) => {
                self.bar.set_style(style(DONE));
                self.bar.finish();
            }
            None if self.timed_out() => {
                self.bar.set_style(style(COUNTED_TIMED_OUT));
                self.bar.abandon();
            }
            None => self.bar.finish(),
        }
        self.end_line();
    }

    fn timed_out(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| crate::now() >= deadline)
    }

    /// indicatif leaves the cursor at the end of the bar's last state: the line is ended here,
    /// so that the next line printed (on stdout or stderr) does not land on the bar.
    fn end_line(&self) {
        if !self.bar.is_hidden() {
            eprintln!();
        }
    }
}

fn failed_message(failed: u64) -> Cow<'static, str> {
    Cow::Owned(format!("  {failed} failed"))
}

impl Drop for Progress {
    fn drop(&mut self) {
        // Dropped before it ended: by its timeout (`tasks![timeout = ..]` outside `settle`
        // drops the group when it expires), or cancelled (or a task's panic).
        if !self.finished {
            let template = match (self.bar.length().is_some(), self.timed_out()) {
                (true, true) => TIMED_OUT,
                (true, false) => CANCELLED,
                (false, true) => COUNTED_TIMED_OUT,
                (false, false) => COUNTED_CANCELLED,
            };
            self.bar.set_style(style(template));
            self.bar.abandon();
            self.end_line();
        }
    }
}

#[cfg(test)]
mod tests {
    use indicatif::{ProgressDrawTarget, ProgressStyle};

    use super::{
        Progress, CANCELLED, COUNTED_CANCELLED, COUNTED_TIMED_OUT, COUNTING, DONE, RUNNING,
        STOPPED, TIMED_OUT,
    };

    #[test]
    fn the_templates_parse() {
        for template in [
            RUNNING,
            DONE,
            STOPPED,
            TIMED_OUT,
            CANCELLED,
            COUNTING,
            COUNTED_TIMED_OUT,
            COUNTED_CANCELLED,
        ] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn tasks_and_failures_are_counted() {
        let mut progress = Progress::on(Some(3), ProgressDrawTarget::hidden());
        progress.arrived(false);
        progress.arrived(true);
        progress.arrived(true);
        assert_eq!(progress.bar.position(), 3);
        assert_eq!(progress.bar.message(), "  2 failed");
        progress.finish();
        assert!(progress.bar.is_finished());
    }

    #[test]
    fn a_group_that_ends_early_keeps_its_count() {
        let mut progress = Progress::on(Some(20), ProgressDrawTarget::hidden());
        progress.arrived(false);
        progress.arrived(true);
        progress.finish();
        assert_eq!(progress.bar.position(), 2, "not filled up to the total");
        assert!(progress.bar.is_finished());
    }

    #[test]
    fn nothing_is_drawn_when_stderr_is_not_a_terminal() {
        // In CI stderr is a pipe, and indicatif's stderr target hides the bar; run by hand in a
        // terminal, the bar is drawn there.
        use std::io::IsTerminal;
        let progress = Progress::new(Some(2));
        assert_eq!(progress.bar.is_hidden(), !std::io::stderr().is_terminal());
    }
}
