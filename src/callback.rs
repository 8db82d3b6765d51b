//! The JavaScript callback a worker loop or an event reader delivers to: one JSON
//! string per crossing, never blocking the engine.

use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;

use ferroq_core::events::{Delivery, JobSink};
use ferroq_core::queue_events::{EventsDelivery, EventsSink};

/// The callback as napi takes it (constructors spell its type out with `ts_args_type`).
pub(crate) type OnDelivery = ThreadsafeFunction<String, (), String, Status, false>;

pub(crate) struct JsCallback(pub(crate) OnDelivery);

impl JsCallback {
    fn send(&self, json: String) {
        self.0.call(json, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

impl JobSink for JsCallback {
    fn deliver(&self, delivery: Delivery) {
        self.send(delivery.to_json());
    }
}

impl EventsSink for JsCallback {
    fn deliver(&self, delivery: EventsDelivery) {
        self.send(delivery.to_json());
    }
}
