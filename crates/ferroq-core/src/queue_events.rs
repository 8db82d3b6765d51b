//! Reading a queue's events as BullMQ's `QueueEvents` does: from a given event id, or
//! from now, in batches, blocking in the store between them (nothing polls). A failed
//! read is tried again after a pause, from the last event delivered, so no event is
//! skipped across a Redis outage.

use std::time::Duration;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::Error;
use crate::store::{EventEntry, Store};

/// Most events one read returns.
const READ_BATCH: usize = 1000;
/// Pause after the first failed read; it doubles per failure up to 3.2 s.
const FIRST_RETRY_PAUSE: Duration = Duration::from_millis(100);
const MAX_RETRY_DOUBLINGS: u32 = 5;

/// What the reader tells its listener side, one crossing each.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EventsDelivery {
    /// The reader knows where it starts: events from here on will be delivered.
    Ready,
    Events {
        events: Vec<Event>,
    },
    /// A read failed; the reader tries again by itself.
    Error {
        code: String,
        message: String,
    },
    /// The reader stopped; nothing follows.
    Closed,
}

/// One event: its stream id, its name and its arguments (`jobId`, `returnvalue`, ...).
#[derive(Debug)]
pub struct Event(pub EventEntry);

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut event = serializer.serialize_map(Some(3))?;
        event.serialize_entry("id", &self.0.id)?;
        let name = self.0.fields.iter().find(|(k, _)| k == "event");
        event.serialize_entry("event", &name.map(|(_, v)| v.as_str()).unwrap_or(""))?;
        let args: serde_json::Map<String, serde_json::Value> = self
            .0
            .fields
            .iter()
            .filter(|(k, _)| k != "event")
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        event.serialize_entry("args", &args)?;
        event.end()
    }
}

impl EventsDelivery {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(r#"{{"type":"error","code":"ERR_INTERNAL","message":"{e}"}}"#)
        })
    }

    fn error(err: &Error) -> Self {
        EventsDelivery::Error {
            code: err.code().to_string(),
            message: err.to_string(),
        }
    }
}

/// The listener side of a reader (the JavaScript `QueueEvents`).
pub trait EventsSink: Send + Sync + 'static {
    fn deliver(&self, delivery: EventsDelivery);
}

/// A running reader.
pub struct EventsReader {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl EventsReader {
    /// Starts reading on the current tokio runtime: after event `from`, or from now
    /// when `None`. Each read blocks up to `block`.
    pub fn spawn<S: Store, K: EventsSink>(
        store: S,
        from: Option<String>,
        block: Duration,
        sink: K,
    ) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(read(store, from, block, sink, stopped));
        Self {
            stop: Some(stop),
            task,
        }
    }

    /// Stops reading; resolves once the reader ended (its blocking read included).
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

async fn pause(failures: u32) {
    tokio::time::sleep(FIRST_RETRY_PAUSE * 2u32.pow(failures.min(MAX_RETRY_DOUBLINGS))).await;
}

async fn read<S: Store, K: EventsSink>(
    store: S,
    from: Option<String>,
    block: Duration,
    sink: K,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut failures = 0u32;
    // "From now" (`None`) is pinned to the newest event first, so events added while
    // a read is down are not skipped.
    let mut last = from;
    if last.is_some() {
        sink.deliver(EventsDelivery::Ready);
    }
    loop {
        let step = async {
            match &last {
                None => store.last_event_id().await.map(|id| (Some(id), Vec::new())),
                Some(after) => store
                    .read_events(after, block, READ_BATCH)
                    .await
                    .map(|events| (None, events)),
            }
        };
        tokio::select! {
            _ = &mut stopped => break,
            result = step => match result {
                Ok((Some(start), _)) => {
                    last = Some(start);
                    failures = 0;
                    sink.deliver(EventsDelivery::Ready);
                }
                Ok((None, events)) => {
                    failures = 0;
                    if let Some(newest) = events.last() {
                        last = Some(newest.id.clone());
                        sink.deliver(EventsDelivery::Events {
                            events: events.into_iter().map(Event).collect(),
                        });
                    }
                }
                Err(err) => {
                    sink.deliver(EventsDelivery::error(&err));
                    tokio::select! {
                        _ = &mut stopped => break,
                        _ = pause(failures) => {}
                    }
                    failures = failures.saturating_add(1);
                }
            },
        }
    }
    // A read still blocked in the store would hold its connection: end it.
    store.stop_waiting().await;
    sink.deliver(EventsDelivery::Closed);
}
