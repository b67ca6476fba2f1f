//! The trace as a Chrome trace-event file (ui.perfetto.dev, chrome://tracing), written as the
//! program runs: each event goes to the file when it happens (through a buffer of 64 KiB), so the
//! trace of a program that runs for days takes no more memory than that of one that runs for a
//! second.
//!
//! The layout: a track (thread) per task, named at its first poll, with a complete event per
//! poll and per wait between polls; a process per group, whose `group` track holds one slice,
//! from the group's start to the end of its last task. Process 1 holds the tasks of no group.
//!
//! The file is complete (valid JSON) whenever events have been written to it: each write of
//! the buffer (when it is full, and at each checkpoint: when a runtime's `block_on` ends, also
//! by a panic, and before an exit on a signal) puts the events where the last write's tail
//! began, then a new tail: a provisional slice for each group still alive, and the closing
//! brackets. Events still in the buffer when the process ends are lost, not the file's form.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::time::Instant;

/// Buffered events are written when they reach this size (and at each checkpoint).
const BUFFER: usize = 64 * 1024;

/// A trace file being written.
pub(super) struct JsonFile {
    file: File,
    /// When the trace began: the provisional ends of the groups alive are counted from it.
    epoch: Instant,
    /// Events not written yet.
    buffer: Vec<u8>,
    /// Where the events end in the file: the tail written after them begins there.
    events_end: u64,
    /// Groups alive: (id, label, start in µs).
    open_groups: Vec<(u64, String, f64)>,
}

impl JsonFile {
    /// Starts the file: its header and the process of the tasks of no group.
    pub(super) fn create(path: &std::path::Path, epoch: Instant) -> io::Result<JsonFile> {
        let mut file = File::create(path)?;
        let header = b"{\"traceEvents\":[\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":\"jobloop\"}}";
        file.write_all(header)?;
        let mut json = JsonFile {
            file,
            epoch,
            buffer: Vec::with_capacity(BUFFER),
            events_end: header.len() as u64,
            open_groups: Vec::new(),
        };
        json.write_buffer()?;
        Ok(json)
    }

    /// One event (a JSON object, without separator).
    fn event(&mut self, event: std::fmt::Arguments<'_>) {
        self.buffer.extend_from_slice(b",\n");
        let _ = self.buffer.write_fmt(event);
        if self.buffer.len() >= BUFFER {
            let _ = self.write_buffer();
        }
    }

    /// Writes the buffered events to the file, over the last tail, and a new tail after them
    /// (see the module): the file is complete again.
    fn write_buffer(&mut self) -> io::Result<()> {
        let now = self.epoch.elapsed().as_secs_f64() * 1e6;
        let mut tail = String::new();
        for (id, label, start) in &self.open_groups {
            tail.push_str(",\n");
            tail.push_str(&group_slice(*id, label, *start, now.max(*start)));
        }
        tail.push_str("\n],\"displayTimeUnit\":\"ms\"}\n");
        self.file.seek(SeekFrom::Start(self.events_end))?;
        let written = self.file.write_all(&self.buffer);
        self.events_end += self.buffer.len() as u64;
        self.buffer.clear();
        written?;
        self.file.write_all(tail.as_bytes())?;
        self.file.set_len(self.events_end + tail.len() as u64)
    }

    /// Task `id`'s track, in `group`'s process, named `label`.
    pub(super) fn task(&mut self, id: u64, label: &str, group: Option<u64>) {
        let pid = group.map_or(1, group_pid);
        let name = json_string(label);
        self.event(format_args!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{id},\"args\":{{\"name\":{name}}}}}"
        ));
        self.event(format_args!(
            "{{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":{pid},\"tid\":{id},\"args\":{{\"sort_index\":{id}}}}}"
        ));
    }

    /// A poll of task `id`, in `group`, from `start` for `took` (µs since the trace began).
    pub(super) fn poll(&mut self, id: u64, group: Option<u64>, start: f64, took: f64) {
        let pid = group.map_or(1, group_pid);
        self.event(format_args!(
            "{{\"ph\":\"X\",\"name\":\"poll\",\"cat\":\"poll\",\"pid\":{pid},\"tid\":{id},\"ts\":{start:.3},\"dur\":{took:.3}}}"
        ));
    }

    /// A wait of task `id` on `what`, between two of its polls.
    pub(super) fn wait(&mut self, id: u64, group: Option<u64>, start: f64, took: f64, what: &str) {
        let pid = group.map_or(1, group_pid);
        let name = json_string(what);
        self.event(format_args!(
            "{{\"ph\":\"X\",\"name\":{name},\"cat\":\"wait\",\"pid\":{pid},\"tid\":{id},\"ts\":{start:.3},\"dur\":{took:.3}}}"
        ));
    }

    /// Group `id` starts: its process and its `group` track; its slice comes when it ends.
    pub(super) fn group_started(&mut self, id: u64, label: &str, start: f64) {
        let pid = group_pid(id);
        let process = json_string(&format!("group {label}"));
        self.event(format_args!(
            "{{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":{pid},\"args\":{{\"name\":{process}}}}}"
        ));
        self.event(format_args!(
            "{{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":{pid},\"args\":{{\"sort_index\":{pid}}}}}"
        ));
        self.event(format_args!(
            "{{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":{pid},\"tid\":{id},\"args\":{{\"name\":\"group\"}}}}"
        ));
        self.open_groups.push((id, label.to_owned(), start));
    }

    /// Group `id` ended (its last task is gone): its slice.
    pub(super) fn group_ended(&mut self, id: u64, end: f64) {
        let Some(at) = self.open_groups.iter().rposition(|group| group.0 == id) else {
            return;
        };
        let (id, label, start) = self.open_groups.swap_remove(at);
        let slice = group_slice(id, &label, start, end);
        self.event(format_args!("{slice}"));
    }

    /// Writes the events so far (the file is complete after it).
    pub(super) fn checkpoint(&mut self) -> io::Result<()> {
        self.write_buffer()
    }
}

/// A group's slice, on its process's `group` track.
fn group_slice(id: u64, label: &str, start: f64, end: f64) -> String {
    format!(
        "{{\"ph\":\"X\",\"name\":{},\"cat\":\"group\",\"pid\":{},\"tid\":{id},\"ts\":{start:.3},\"dur\":{:.3}}}",
        json_string(label),
        group_pid(id),
        end - start
    )
}

/// The process of a group's tracks in the trace: the group's id plus one (process 1 holds the
/// tasks of no group; ids start at 1).
fn group_pid(group: u64) -> u64 {
    group + 1
}

pub(super) fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::{JsonFile, BUFFER};

    const END: &str = "\n],\"displayTimeUnit\":\"ms\"}\n";

    /// The file ends with a tail after the last write, whether that write was a checkpoint or a
    /// full buffer after one: events after the last checkpoint never leave it cut off.
    #[test]
    #[cfg_attr(miri, ignore)] // files
    fn the_file_is_complete_after_every_write_of_the_buffer() {
        let path = std::env::temp_dir().join(format!("jobloop-json-{}.json", std::process::id()));
        let mut file = JsonFile::create(&path, std::time::Instant::now()).expect("made");
        file.group_started(1, "g", 0.0);
        file.poll(2, Some(1), 1.0, 2.0);
        file.checkpoint().expect("written");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.ends_with(END), "{text}");
        assert_eq!(
            text.matches("\"cat\":\"group\"").count(),
            1,
            "the live group, provisionally"
        );
        // More than a buffer of events after the checkpoint, and no checkpoint after them.
        let mut polls = 0;
        while file.buffer.len() < BUFFER / 2 || polls < 2_000 {
            file.poll(2, Some(1), 3.0, 1.0);
            polls += 1;
        }
        file.group_ended(1, 10.0);
        for _ in 0..2_000 {
            file.poll(3, None, 11.0, 1.0);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(text.ends_with(END), "the tail follows the events written");
        assert_eq!(text.matches(END).count(), 1, "one tail, at the end");
        assert!(text.matches("\"name\":\"poll\"").count() > 1_000);
    }
}
