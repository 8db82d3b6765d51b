//! How many jobs the worker may take now. Today that is its concurrency, less what it
//! runs and what its store calls in flight will bring; pausing, rate limits and a
//! global concurrency limit are further inputs of this one role.

use super::dispatcher::MAX_IN_FLIGHT;

pub(super) struct Capacity {
    concurrency: u32,
    /// `worker.pause()`: this worker takes no jobs until `resume()`.
    paused: bool,
}

impl Capacity {
    pub fn new(concurrency: u32) -> Self {
        Self {
            concurrency: concurrency.max(1),
            paused: false,
        }
    }

    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// A new concurrency; jobs running above it finish, no new ones start meanwhile.
    pub fn set_concurrency(&mut self, concurrency: u32) {
        self.concurrency = concurrency.max(1);
    }

    /// Slots neither running a job nor promised to a store call in flight (none
    /// while paused).
    pub fn free(&self, running: usize, reserved: u32) -> u32 {
        if self.paused {
            return 0;
        }
        let busy = running.saturating_add(reserved as usize);
        (self.concurrency as usize).saturating_sub(busy) as u32
    }

    /// Most jobs one store call asks for: half the concurrency (rounded up), so two
    /// calls in flight keep Redis and the processor busy at the same time.
    pub fn per_call(&self) -> u32 {
        self.concurrency.div_ceil(MAX_IN_FLIGHT as u32).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_slots_count_running_and_reserved_jobs() {
        let capacity = Capacity::new(10);
        assert_eq!(capacity.free(0, 0), 10);
        assert_eq!(capacity.free(4, 5), 1);
        assert_eq!(
            capacity.free(12, 0),
            0,
            "lowered concurrency: none until below it"
        );
        assert_eq!(capacity.per_call(), 5);
        assert_eq!(Capacity::new(1).per_call(), 1);
        assert_eq!(Capacity::new(3).per_call(), 2);
        let mut paused = Capacity::new(10);
        paused.set_paused(true);
        assert_eq!(paused.free(0, 0), 0);
    }
}
