//! Cancel requests (`Store::cancel`) a worker hears for jobs it does not run. Most are
//! for jobs other workers run; one may be for a job whose taking call has not answered
//! yet (the request reaches the worker loop by another channel than the call's answer,
//! in no set order), so they are kept a few seconds and applied when such a job starts.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::store::CancelRequest;

/// The requests kept: for `KEEP`, at most `MAX` of them, oldest first.
#[derive(Default)]
pub(super) struct EarlyCancels(VecDeque<(Instant, CancelRequest)>);

impl EarlyCancels {
    const KEEP: Duration = Duration::from_secs(5);
    const MAX: usize = 1000;

    /// Keeps a request for a job that does not run here (yet).
    pub fn keep(&mut self, request: CancelRequest) {
        let now = Instant::now();
        while self.0.front().is_some_and(|(at, _)| {
            now.duration_since(*at) > Self::KEEP || self.0.len() >= Self::MAX
        }) {
            self.0.pop_front();
        }
        self.0.push_back((now, request));
    }

    /// The request kept for job `id`, if any, which is forgotten.
    pub fn take(&mut self, id: &str) -> Option<CancelRequest> {
        let at = self.0.iter().position(|(_, request)| request.id == id)?;
        self.0.remove(at).map(|(_, request)| request)
    }
}
