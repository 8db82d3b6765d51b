//! ferroq-core: the job-queue engine behind the `ferroq` npm package, usable and
//! tested without Node. One module per lifecycle role; storage behind [`store::Store`].
#![deny(clippy::all)]

pub mod backoff;
pub mod connection;
pub mod error;
pub mod events;
pub mod job;
pub mod keys;
pub mod locks;
pub mod metrics;
pub mod options;
pub mod queue;
pub mod queue_events;
pub mod redis_store;
pub mod schedule;
pub mod scheduler;
pub mod stalled;
pub mod store;
pub mod time;
pub mod worker;

pub use error::{Error, Result};
