//! Where the worker is in its life: not started yet (`autorun: false`), running, or
//! closing (gracefully, or by force) with the callers waiting for the end.

use tokio::sync::oneshot;

pub(super) enum Phase {
    /// Made with `autorun: false`: takes no jobs until `run()`.
    Idle,
    Running,
    /// `close()` was called; the loop ends once nothing runs or is being stored.
    Closing {
        /// Running jobs are aborted and given back instead of awaited.
        force: bool,
        waiters: Vec<oneshot::Sender<()>>,
    },
}

impl Phase {
    /// True while the worker takes new jobs.
    pub fn takes_jobs(&self) -> bool {
        matches!(self, Phase::Running)
    }

    pub fn is_closing(&self) -> bool {
        matches!(self, Phase::Closing { .. })
    }

    pub fn is_forced_close(&self) -> bool {
        matches!(self, Phase::Closing { force: true, .. })
    }

    /// `run()`: an idle worker starts; returns whether it did.
    pub fn start(&mut self) -> bool {
        if matches!(self, Phase::Idle) {
            *self = Phase::Running;
            return true;
        }
        false
    }

    /// `close(force)`: adds a caller to wait for the end. A forced close may follow a
    /// graceful one (never the other way round).
    pub fn close(&mut self, force: bool, done: oneshot::Sender<()>) {
        match self {
            Phase::Closing {
                force: forced,
                waiters,
            } => {
                *forced |= force;
                waiters.push(done);
            }
            _ => {
                *self = Phase::Closing {
                    force,
                    waiters: vec![done],
                }
            }
        }
    }

    /// The callers waiting for the end, told once the loop stopped.
    pub fn take_waiters(&mut self) -> Vec<oneshot::Sender<()>> {
        match self {
            Phase::Closing { waiters, .. } => std::mem::take(waiters),
            _ => Vec::new(),
        }
    }
}
