//! The trace as a standalone SVG picture, which a browser shows: a row per group (a shaded
//! band over its start and end) followed by the rows of its tasks; a row per task, with a block
//! per poll and a thinner bar per wait; and a time axis.
//!
//! A picture needs every slice before it can be drawn (its scale is the whole run), so the
//! slices are kept in memory until a checkpoint draws them, within bounds: the first
//! [`MOST_TASKS`] tasks, [`MOST_GROUPS`] groups and [`MOST_SLICES`] slices. What does not fit is
//! counted, and the picture says how much it left out (the JSON trace keeps everything).

use std::collections::HashMap;
use std::io;
use std::path::PathBuf;

/// The most tasks drawn (rows), groups and slices (polls and waits) kept.
pub(super) const MOST_TASKS: usize = 2_000;
pub(super) const MOST_GROUPS: usize = 500;
pub(super) const MOST_SLICES: usize = 200_000;

/// One task's track: its id, label, group, its polls and its waits between them, in
/// microseconds since the trace began: (start, duration), and what a wait was on.
struct Track {
    id: u64,
    label: String,
    group: Option<u64>,
    polls: Vec<(f64, f64)>,
    waits: Vec<(f64, f64, String)>,
}

/// A group's slice: from its start until the last of its tasks was gone (or the trace's end).
struct GroupSlice {
    id: u64,
    label: String,
    start: f64,
    end: f64,
}

/// The picture being recorded, and where it goes.
pub(super) struct Picture {
    path: PathBuf,
    tracks: Vec<Track>,
    /// Where each drawn task's track is in `tracks`.
    rows: HashMap<u64, usize>,
    /// Groups: (id, label, start, end once its last task is gone).
    groups: Vec<(u64, String, f64, Option<f64>)>,
    slices: usize,
    left_out: LeftOut,
    /// Something was recorded since the picture was last drawn.
    changed: bool,
}

/// What did not fit in the picture.
#[derive(Default)]
struct LeftOut {
    tasks: u64,
    groups: u64,
    slices: u64,
}

impl Picture {
    /// A picture to be written to `path`, which is made (empty) now: a path that cannot be
    /// written is known at once.
    pub(super) fn create(path: PathBuf) -> io::Result<Picture> {
        std::fs::File::create(&path)?;
        Ok(Picture {
            path,
            tracks: Vec::new(),
            rows: HashMap::new(),
            groups: Vec::new(),
            slices: 0,
            left_out: LeftOut::default(),
            changed: true,
        })
    }

    pub(super) fn task(&mut self, id: u64, label: &str, group: Option<u64>) {
        self.changed = true;
        if self.tracks.len() >= MOST_TASKS {
            self.left_out.tasks += 1;
            return;
        }
        self.rows.insert(id, self.tracks.len());
        self.tracks.push(Track {
            id,
            label: label.to_owned(),
            group,
            polls: Vec::new(),
            waits: Vec::new(),
        });
    }

    /// The track of task `id`, when it is drawn and a slice may still be kept.
    fn track(&mut self, id: u64) -> Option<&mut Track> {
        let row = *self.rows.get(&id)?;
        if self.slices >= MOST_SLICES {
            self.left_out.slices += 1;
            return None;
        }
        self.slices += 1;
        Some(&mut self.tracks[row])
    }

    pub(super) fn poll(&mut self, id: u64, start: f64, took: f64) {
        self.changed = true;
        if let Some(track) = self.track(id) {
            track.polls.push((start, took));
        }
    }

    pub(super) fn wait(&mut self, id: u64, start: f64, took: f64, what: &str) {
        self.changed = true;
        if let Some(track) = self.track(id) {
            track.waits.push((start, took, what.to_owned()));
        }
    }

    pub(super) fn group_started(&mut self, id: u64, label: &str, start: f64) {
        self.changed = true;
        if self.groups.len() >= MOST_GROUPS {
            self.left_out.groups += 1;
            return;
        }
        self.groups.push((id, label.to_owned(), start, None));
    }

    pub(super) fn group_ended(&mut self, id: u64, end: f64) {
        self.changed = true;
        if let Some(group) = self.groups.iter_mut().rev().find(|group| group.0 == id) {
            group.3 = Some(end);
        }
    }

    /// Draws the picture of what was recorded so far into its file.
    pub(super) fn checkpoint(&mut self) -> io::Result<()> {
        // Not drawn again when nothing changed (a program that runs `block_on` many times).
        if !std::mem::take(&mut self.changed) {
            return Ok(());
        }
        std::fs::write(&self.path, self.render())
    }

    /// The picture of what was recorded so far.
    fn render(&self) -> String {
        let tracks: Vec<&Track> = self.tracks.iter().filter(|t| !t.polls.is_empty()).collect();
        let end = tracks
            .iter()
            .flat_map(|track| track.polls.iter().map(|(start, took)| start + took))
            .fold(0.0_f64, f64::max);
        let groups: Vec<GroupSlice> = self
            .groups
            .iter()
            .filter(|group| tracks.iter().any(|track| track.group == Some(group.0)))
            .map(|(id, label, start, stop)| GroupSlice {
                id: *id,
                label: label.clone(),
                start: *start,
                // Still alive (Ctrl-C, a panic): up to the last poll recorded.
                end: stop.unwrap_or(end).max(*start),
            })
            .collect();
        let note = self.left_out_note();
        to_svg(&tracks, &groups, note.as_deref())
    }

    /// What the picture left out, in words; `None` when it has everything.
    fn left_out_note(&self) -> Option<String> {
        let LeftOut {
            tasks,
            groups,
            slices,
        } = self.left_out;
        if tasks + groups + slices == 0 {
            return None;
        }
        Some(format!(
            "not drawn: {tasks} tasks, {groups} groups, {slices} polls and waits (the picture \
             keeps the first {MOST_TASKS} tasks, {MOST_GROUPS} groups and {MOST_SLICES} \
             slices; JOBLOOP_TRACE=trace.json keeps every one)"
        ))
    }
}

/// The colour of a wait in the picture: orange for a timer (a sleep, a timeout's deadline),
/// blue for a socket or pipe, grey for a group.
fn wait_colour(what: &str) -> &'static str {
    if what.starts_with("sleep") || what.starts_with("timeout") {
        "#e8a33d"
    } else if what.starts_with("I/O") {
        "#4f86e8"
    } else {
        "#a3a9b8"
    }
}

/// A standalone SVG picture: a row per group (a shaded band over its start and end) followed by
/// the rows of its tasks; a row per task: a thin line from its first poll to its last, a block
/// per poll (at least a pixel wide), a thinner bar per wait; and a time axis.
fn to_svg(tracks: &[&Track], groups: &[GroupSlice], note: Option<&str>) -> String {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 280.0;
    const PLOT: f64 = 640.0;
    const TOP: f64 = 48.0;
    enum Row<'a> {
        Group(&'a GroupSlice),
        Task(&'a Track),
    }
    // A line more under the title for what was left out.
    let top = if note.is_some() { TOP + 18.0 } else { TOP };
    // A group's row, then its tasks' rows; tasks of no group where they began. Ids count up
    // from one counter, so a group's key sorts it before its tasks, whenever they began.
    let mut rows: Vec<((u64, u8, u64), Row<'_>)> = groups
        .iter()
        .map(|group| ((group.id, 0, 0), Row::Group(group)))
        .chain(tracks.iter().map(|&track| {
            let key = match track.group {
                Some(group) => (group, 1, track.id),
                None => (track.id, 0, 0),
            };
            (key, Row::Task(track))
        }))
        .collect();
    rows.sort_by_key(|(key, _)| *key);
    let end = tracks
        .iter()
        .flat_map(|track| track.polls.iter().map(|(start, took)| start + took))
        .chain(groups.iter().map(|group| group.end))
        .fold(1.0_f64, f64::max);
    let x = |micros: f64| LABEL + micros / end * PLOT;
    let height = top + ROW * rows.len() as f64 + 40.0;
    let width = LABEL + PLOT + 50.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-weight=\"bold\">jobloop timeline: a row per task, under its group</text>\n\
         <rect x=\"10\" y=\"27\" width=\"12\" height=\"10\" fill=\"#2a7\"/><text x=\"26\" y=\"36\">poll (running)</text>\n\
         <rect x=\"140\" y=\"29\" width=\"12\" height=\"6\" fill=\"#e8a33d\"/><text x=\"156\" y=\"36\">sleep</text>\n\
         <rect x=\"210\" y=\"29\" width=\"12\" height=\"6\" fill=\"#4f86e8\"/><text x=\"226\" y=\"36\">I/O (socket, pipe)</text>\n\
         <rect x=\"380\" y=\"29\" width=\"12\" height=\"6\" fill=\"#a3a9b8\"/><text x=\"396\" y=\"36\">awaiting a group</text>\n\
         <rect x=\"530\" y=\"27\" width=\"12\" height=\"10\" fill=\"#dde6f3\" stroke=\"#8aa\"/><text x=\"546\" y=\"36\">a group, from start to its last task's end</text>\n"
    );
    if let Some(note) = note {
        svg.push_str(&format!(
            "<text x=\"10\" y=\"54\" fill=\"#a33\">{}</text>\n",
            xml_escape(note)
        ));
    }
    for (row, (_, item)) in rows.iter().enumerate() {
        let y = top + ROW * row as f64;
        match item {
            Row::Group(group) => {
                let label = shortened(&format!("group {}", group.label), 36);
                svg.push_str(&format!(
                    "<text x=\"10\" y=\"{:.1}\" font-weight=\"bold\">{}</text>\n",
                    y + ROW * 0.65,
                    xml_escape(&label)
                ));
                svg.push_str(&format!(
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#dde6f3\" stroke=\"#8aa\"><title>{}: {:.3} ms to {:.3} ms</title></rect>\n",
                    x(group.start),
                    y + 4.0,
                    ((group.end - group.start) / end * PLOT).max(1.5),
                    ROW - 8.0,
                    xml_escape(&group.label),
                    group.start / 1e3,
                    group.end / 1e3
                ));
            }
            Row::Task(track) => {
                let indent = if track.group.is_some() { "  " } else { "" };
                let label = shortened(&format!("{indent}{}", track.label), 38);
                svg.push_str(&format!(
                    "<text x=\"10\" y=\"{:.1}\" xml:space=\"preserve\">{}</text>\n",
                    y + ROW * 0.65,
                    xml_escape(&label)
                ));
                let first = track.polls.first().map_or(0.0, |poll| poll.0);
                let last = track.polls.last().map_or(0.0, |poll| poll.0 + poll.1);
                svg.push_str(&format!(
                    "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#9ab\" stroke-width=\"1\"/>\n",
                    x(first),
                    x(last),
                    y + ROW / 2.0,
                    y + ROW / 2.0
                ));
                for (start, took, what) in &track.waits {
                    svg.push_str(&format!(
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"6\" fill=\"{}\"><title>{} from {:.3} ms, {:.3} ms</title></rect>\n",
                        x(*start),
                        y + ROW / 2.0 - 3.0,
                        (took / end * PLOT).max(1.0),
                        wait_colour(what),
                        xml_escape(what),
                        start / 1e3,
                        took / 1e3
                    ));
                }
                for (start, took) in &track.polls {
                    svg.push_str(&format!(
                        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#2a7\"><title>poll at {:.3} ms, {:.3} ms</title></rect>\n",
                        x(*start),
                        y + 4.0,
                        (took / end * PLOT).max(1.5),
                        ROW - 8.0,
                        start / 1e3,
                        took / 1e3
                    ));
                }
            }
        }
    }
    let axis = top + ROW * rows.len() as f64 + 8.0;
    svg.push_str(&format!(
        "<line x1=\"{LABEL}\" x2=\"{:.1}\" y1=\"{axis:.1}\" y2=\"{axis:.1}\" stroke=\"black\"/>\n",
        LABEL + PLOT
    ));
    for tick in 0..=4 {
        let micros = end * f64::from(tick) / 4.0;
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{:.0} ms</text>\n",
            x(micros),
            axis + 18.0,
            micros / 1e3
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// `text`, cut to `most` characters with an ellipsis when it is longer.
fn shortened(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(most - 1).collect();
    cut.push('…');
    cut
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    //! The picture's layout, from events given by hand.

    use super::{Picture, MOST_TASKS};

    fn picture() -> Picture {
        Picture {
            path: std::path::PathBuf::new(),
            tracks: Vec::new(),
            rows: std::collections::HashMap::new(),
            groups: Vec::new(),
            slices: 0,
            left_out: super::LeftOut::default(),
            changed: true,
        }
    }

    /// Task `id` named `task<id>`, in `group`, polled at `polls` (ms, 1 ms each).
    fn task(picture: &mut Picture, id: u64, group: Option<u64>, polls: &[u64]) {
        picture.task(id, &format!("task{id}"), group);
        for at in polls {
            picture.poll(id, *at as f64 * 1e3, 1e3);
        }
    }

    #[test]
    fn each_group_row_is_followed_by_its_own_tasks_whenever_they_began() {
        let mut picture = picture();
        picture.group_started(1, "one", 0.0);
        task(&mut picture, 2, Some(1), &[0, 10]);
        task(&mut picture, 3, None, &[1]);
        picture.group_started(4, "four", 2e3);
        task(&mut picture, 5, Some(1), &[20, 30]); // a late task of group 1 (a refill)
        task(&mut picture, 6, Some(4), &[3]);
        picture.group_ended(4, 40e3);
        picture.group_ended(1, 50e3);
        let svg = picture.render();
        let at = |text: &str| {
            svg.find(&format!(">{text}<"))
                .unwrap_or_else(|| panic!("{text}"))
        };
        let rows = [
            at("group one"),
            at("  task2"),
            at("  task5"),
            at("task3"),
            at("group four"),
            at("  task6"),
        ];
        assert!(
            rows.windows(2).all(|w| w[0] < w[1]),
            "rows out of order: {rows:?}"
        );
        assert!(!svg.contains("not drawn"), "everything fits");
    }

    #[test]
    fn a_group_still_alive_when_the_picture_is_drawn_never_ends_before_it_starts() {
        let mut picture = picture();
        task(&mut picture, 1, None, &[0]);
        // Started after the last poll, still running at Ctrl-C: no end recorded.
        picture.group_started(2, "late", 30e3);
        task(&mut picture, 3, Some(2), &[5]);
        let svg = picture.render();
        assert!(svg.contains("late: 30.000 ms to 30.000 ms"), "{svg}");
    }

    #[test]
    #[cfg_attr(miri, ignore)] // thousands of rows: minutes under miri
    fn what_does_not_fit_is_counted_and_said() {
        let mut picture = picture();
        for id in 1..=(MOST_TASKS as u64 + 5) {
            task(&mut picture, id, None, &[0]);
        }
        assert_eq!(picture.tracks.len(), MOST_TASKS);
        let svg = picture.render();
        assert!(svg.contains("not drawn: 5 tasks"), "{}", &svg[..600]);
    }
}
