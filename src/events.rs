//! `NativeQueueEvents`: a reader of a queue's event stream, as lib/queue-events.js
//! drives it.

use std::sync::Mutex;
use std::time::Duration;

use napi::bindgen_prelude::within_runtime_if_available;
use napi::{Env, Result};
use napi_derive::napi;

use ferroq_core::options::EventsOptions;
use ferroq_core::queue_events::EventsReader;
use ferroq_core::redis_store::RedisStore;

use crate::callback::{JsCallback, OnDelivery};
use crate::errors::{parse_json, throw};
use crate::queue::NativeQueue;

/// A queue's event reader. Its JavaScript callback keeps the process alive from the
/// constructor until `close()` (as BullMQ's connection does); the reader owns it from
/// `run()` on and lets go of it when it stops.
#[napi]
pub struct NativeQueueEvents {
    store: RedisStore,
    options: EventsOptions,
    callback: Mutex<Option<OnDelivery>>,
    reader: Mutex<Option<EventsReader>>,
}

#[napi]
impl NativeQueueEvents {
    #[napi(
        constructor,
        ts_args_type = "queue: NativeQueue, options: string, onDelivery: (delivery: string) => void"
    )]
    pub fn new(
        env: Env,
        queue: &NativeQueue,
        options: String,
        on_delivery: OnDelivery,
    ) -> Result<Self> {
        let options = parse_json("opts", &options)
            .and_then(|options| EventsOptions::from_json(&options))
            .map_err(|err| throw(&env, err))?;
        Ok(Self {
            store: queue.queue.store().clone(),
            options,
            callback: Mutex::new(Some(on_delivery)),
            reader: Mutex::new(None),
        })
    }

    /// Starts reading; returns false when it ran already.
    #[napi]
    pub fn run(&self) -> bool {
        let Some(on_delivery) = self.callback.lock().ok().and_then(|mut c| c.take()) else {
            return false;
        };
        let reader = within_runtime_if_available(|| {
            EventsReader::spawn(
                self.store.clone(),
                self.options.last_event_id.clone(),
                Duration::from_millis(self.options.blocking_timeout),
                JsCallback(on_delivery),
            )
        });
        if let Ok(mut slot) = self.reader.lock() {
            *slot = Some(reader);
        }
        true
    }

    /// Stops reading (resolves once the reader ended) and lets go of the callback.
    #[napi]
    pub async fn close(&self) {
        let reader = self.reader.lock().ok().and_then(|mut r| r.take());
        if let Some(reader) = reader {
            reader.close().await;
        }
        if let Ok(mut callback) = self.callback.lock() {
            callback.take();
        }
    }
}
