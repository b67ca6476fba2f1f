//! The feature `tracing`: every task's polls run inside a span named `task`, with the task's
//! name and where it started, so subscribers see jobloop's tasks.
#![cfg(feature = "tracing")]

use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A subscriber that records each span's fields and, for each event, the fields of the span
/// it happened in.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<String>>>,
    current: Arc<Mutex<Vec<u64>>>,
    events: Arc<Mutex<Vec<String>>>,
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields(format!("{}: ", span.metadata().name()));
        span.record(&mut fields);
        let mut spans = self.spans.lock().unwrap();
        spans.push(fields.0);
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let span = self.current.lock().unwrap().last().copied();
        let span = span.map_or(String::from("none"), |id| {
            self.spans.lock().unwrap()[id as usize - 1].clone()
        });
        self.events
            .lock()
            .unwrap()
            .push(format!("{} in {span}", fields.0));
    }
    fn enter(&self, span: &Id) {
        self.current.lock().unwrap().push(span.into_u64());
    }
    fn exit(&self, _: &Id) {
        self.current.lock().unwrap().pop();
    }
}

async fn job(id: u32) -> Result<u32, String> {
    tracing::info!(id, "working");
    jobloop::sleep(std::time::Duration::from_millis(5)).await;
    tracing::info!(id, "done");
    Ok(id)
}

#[test]
fn each_tasks_polls_run_in_a_span_named_after_the_task() {
    let recorder = Recorder::default();
    tracing::subscriber::with_default(recorder.clone(), || {
        jobloop::EventLoop::new().block_on(async {
            jobloop::tasks![try; for id in 0..2 => job(id)]
                .await
                .unwrap();
            jobloop::spawn(async { tracing::info!("spawned") }).await;
        });
    });
    let events = recorder.events.lock().unwrap().clone();
    let find = |needle: &str| {
        events
            .iter()
            .find(|event| event.contains(needle))
            .unwrap_or_else(|| panic!("no event {needle:?} in {events:#?}"))
            .clone()
    };
    // Both polls of each job (before and after its sleep) ran inside its span.
    for id in 0..2 {
        for what in ["working", "done"] {
            let event = find(&format!("message={what} id={id}"));
            assert!(event.contains(&format!("task=job(id)[{id}]")), "{event}");
            assert!(
                event.contains("spawned_at=tests/tracing_spans.rs:"),
                "{event}"
            );
        }
    }
    let spawned = find("message=spawned");
    assert!(
        spawned.contains("task: spawned_at=tests/tracing_spans.rs:"),
        "{spawned}"
    );
}
