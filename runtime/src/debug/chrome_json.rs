//! The trace as a Chrome trace-event file (ui.perfetto.dev, chrome://tracing), written as the
//! program runs: each event goes to the file when it happens (through a buffer of 64 KiB), so the
//! trace of a program that runs for days takes no more memory than that of one that runs for a
//! second.
//!
//! The layout: a track (thread) per task, named at its first poll, with a complete event per
//! poll and per wait between polls; a process per group, whose `group` track holds one slice,
//! from the group's start to the end of its last task. Process 1 holds the tasks of no group.
//!
//! The file is complete (valid JSON) at each checkpoint (`checkpoint`, when a runtime's
//! `block_on` ends, also by a panic, and before an exit on a signal): the events so far, a
//! provisional slice for each group still alive, and the closing brackets. Events after a
//! checkpoint overwrite that tail when they are written, and the next checkpoint writes it
//! again.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

/// Buffered events are written when they reach this size (and at each checkpoint).
const BUFFER: usize = 64 * 1024;

/// A trace file being written.
pub(super) struct JsonFile {
    file: File,
    /// Events not written yet.
    buffer: Vec<u8>,
    /// Where the events end in the file, once a checkpoint wrote its tail after them.
    tail: Option<u64>,
    /// Groups alive: (id, label, start in µs).
    open_groups: Vec<(u64, String, f64)>,
}

impl JsonFile {
    /// Starts the file: its header and the process of the tasks of no group.
    pub(super) fn create(path: &std::path::Path) -> io::Result<JsonFile> {
        let mut file = File::create(path)?;
        file.write_all(
            b"{\"traceEvents\":[\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"args\":{\"name\":\"jobloop\"}}",
        )?;
        Ok(JsonFile {
            file,
            buffer: Vec::with_capacity(BUFFER),
            tail: None,
            open_groups: Vec::new(),
        })
    }

    /// One event (a JSON object, without separator).
    fn event(&mut self, event: std::fmt::Arguments<'_>) {
        self.buffer.extend_from_slice(b",\n");
        let _ = self.buffer.write_fmt(event);
        if self.buffer.len() >= BUFFER {
            let _ = self.write_buffer();
        }
    }

    /// Writes the buffered events to the file, over the tail of the last checkpoint.
    fn write_buffer(&mut self) -> io::Result<()> {
        if let Some(tail) = self.tail.take() {
            self.file.seek(SeekFrom::Start(tail))?;
        }
        let written = self.file.write_all(&self.buffer);
        self.buffer.clear();
        written
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

    /// Makes the file complete: the events so far, a slice up to `now` for each group still
    /// alive, and the closing brackets.
    pub(super) fn checkpoint(&mut self, now: f64) -> io::Result<()> {
        self.write_buffer()?;
        let events_end = self.file.stream_position()?;
        let mut tail = String::new();
        for (id, label, start) in &self.open_groups {
            tail.push_str(",\n");
            tail.push_str(&group_slice(*id, label, *start, now.max(*start)));
        }
        tail.push_str("\n],\"displayTimeUnit\":\"ms\"}\n");
        self.file.write_all(tail.as_bytes())?;
        self.file.set_len(events_end + tail.len() as u64)?;
        self.file.flush()?;
        self.tail = Some(events_end);
        Ok(())
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

fn json_string(text: &str) -> String {
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
