//! The napi binding: conversions, errors as data and the processor callback, one
//! module per exported class. No lifecycle logic lives here; it all sits in
//! `ferroq-core`.
#![deny(clippy::all)]

mod callback;
mod errors;
mod events;
mod queue;
mod worker;

/// The engine's tokio runtime, sized for this process. The worker loops, Redis
/// connections and timers are light work; one thread (the default) keeps wake-ups
/// between threads rare, which is what a job's round trip mostly waits on.
/// `FERROQ_RUNTIME_THREADS` sets another size.
#[napi_derive::module_init]
fn init_runtime() {
    let threads = std::env::var("FERROQ_RUNTIME_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1);
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
