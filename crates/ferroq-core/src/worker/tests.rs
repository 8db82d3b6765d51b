//! The worker loop over a store kept in memory, on paused tokio time: concurrency,
//! timeouts, retries after store failures, and both ways of closing, without Redis.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::value::RawValue;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::*;
use crate::error::Result;
use crate::events::FinishedStatus;
use crate::job::{ActiveJob, Added, JobRecord, JobState, NewJob};
use crate::store::{
    CancelRequest, Cancelled, CycleRequest, CycleResult, EventEntry, FinishKind, Renewal,
    StalledReport, Stored,
};

/// What the memory store holds and saw.
#[derive(Default)]
struct Memory {
    waiting: VecDeque<(String, String)>, // id, opts JSON
    locks: HashMap<String, String>,
    stored: Vec<Finish>,
    released: Vec<Lock>,
    /// Cycle calls still to fail, and when each call came.
    fail_calls: u32,
    calls: Vec<Instant>,
    /// The workers' cancel request channels.
    cancel_requests: Vec<mpsc::UnboundedSender<CancelRequest>>,
}

#[derive(Clone, Default)]
struct MemoryStore {
    memory: Arc<Mutex<Memory>>,
    work: Arc<Notify>,
}

impl MemoryStore {
    fn with_jobs(opts: &[&str]) -> Self {
        let store = Self::default();
        store.memory.lock().unwrap().waiting = opts
            .iter()
            .enumerate()
            .map(|(i, opts)| ((i + 1).to_string(), opts.to_string()))
            .collect();
        store
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap()
    }
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_string()).unwrap()
}

fn record(id: &str, opts: &str) -> JobRecord {
    JobRecord {
        id: id.into(),
        name: "job".into(),
        data: raw("{}"),
        opts: raw(opts),
        progress: raw("0"),
        returnvalue: None,
        failed_reason: None,
        stacktrace: raw("[]"),
        attempts_made: 0,
        attempts_started: 1,
        stalled_counter: 0,
        timestamp: 0,
        processed_on: Some(0),
        finished_on: None,
        delay: 0,
        priority: 0,
        processed_by: None,
        repeat_job_key: None,
        state: Some("active".into()),
    }
}

impl Store for MemoryStore {
    async fn add(&self, _jobs: &[NewJob]) -> Result<Vec<Added>> {
        unimplemented!("the loop never adds")
    }

    async fn cycle(&self, request: &CycleRequest) -> Result<CycleResult> {
        let mut memory = self.memory();
        memory.calls.push(Instant::now());
        if memory.fail_calls > 0 {
            memory.fail_calls -= 1;
            return Err(Error::Connection("store away".into()));
        }
        let mut result = CycleResult::default();
        for finish in &request.finished {
            let held = memory.locks.get(&finish.lock.id) == Some(&finish.lock.token);
            if held {
                memory.locks.remove(&finish.lock.id);
                memory.stored.push(finish.clone());
            }
            result.finished.push(if held {
                Stored::AsSent
            } else {
                Stored::LockLost
            });
        }
        for _ in 0..request.fetch {
            let Some((id, opts)) = memory.waiting.pop_front() else {
                break;
            };
            memory.locks.insert(id.clone(), request.token.clone());
            result.jobs.push(ActiveJob {
                record: record(&id, &opts),
                token: request.token.clone(),
            });
        }
        Ok(result)
    }

    async fn extend_locks(&self, locks: &[Lock], _lock_duration: u64) -> Result<Renewal> {
        let memory = self.memory();
        let lost = locks
            .iter()
            .filter(|lock| memory.locks.get(&lock.id) != Some(&lock.token))
            .map(|lock| lock.id.clone())
            .collect();
        Ok(Renewal {
            lost,
            cancelled: vec![],
        })
    }

    async fn cancel(&self, id: &str, reason: &str) -> Result<Cancelled> {
        let request = CancelRequest {
            id: id.into(),
            reason: reason.into(),
        };
        for tx in &self.memory().cancel_requests {
            let _ = tx.send(request.clone());
        }
        Ok(Cancelled::Requested)
    }

    fn cancel_requests(&self) -> mpsc::UnboundedReceiver<CancelRequest> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.memory().cancel_requests.push(tx);
        rx
    }

    async fn recover_stalled(&self, _: u32, _: u64, _: KeepJobs) -> Result<StalledReport> {
        Ok(StalledReport::default())
    }

    async fn release(&self, locks: &[Lock]) -> Result<()> {
        let mut memory = self.memory();
        for lock in locks {
            memory.locks.remove(&lock.id);
            memory.released.push(lock.clone());
        }
        Ok(())
    }

    async fn wait_for_work(&self, timeout: Duration) -> Result<()> {
        let _ = tokio::time::timeout(timeout, self.work.notified()).await;
        Ok(())
    }

    async fn stop_waiting(&self) {
        self.work.notify_waiters();
    }

    async fn last_event_id(&self) -> Result<String> {
        Ok("0-0".into())
    }

    async fn read_events(&self, _: &str, block: Duration, _: usize) -> Result<Vec<EventEntry>> {
        tokio::time::sleep(block).await;
        Ok(vec![])
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }
    async fn get_job(&self, _: &str) -> Result<Option<JobRecord>> {
        Ok(None)
    }
    async fn get_jobs(&self, ids: &[String]) -> Result<Vec<Option<JobRecord>>> {
        Ok(ids.iter().map(|_| None).collect())
    }
    async fn get_state(&self, _: &str) -> Result<JobState> {
        Ok(JobState::Unknown)
    }
    async fn counts(&self, states: &[JobState]) -> Result<Vec<u64>> {
        Ok(vec![0; states.len()])
    }
    async fn set_paused(&self, _: bool) -> Result<bool> {
        Ok(false)
    }
    async fn is_paused(&self) -> Result<bool> {
        Ok(false)
    }
    async fn set_global_concurrency(&self, _: Option<u32>) -> Result<()> {
        Ok(())
    }
    async fn global_concurrency(&self) -> Result<Option<u32>> {
        Ok(None)
    }
    async fn is_maxed(&self) -> Result<bool> {
        Ok(false)
    }
    async fn set_global_rate_limit(&self, _: Option<crate::options::RateLimit>) -> Result<()> {
        Ok(())
    }
    async fn global_rate_limit(&self) -> Result<Option<crate::options::RateLimit>> {
        Ok(None)
    }
    async fn metrics(&self, _: JobState, _: i64, _: i64) -> Result<crate::store::Metrics> {
        Ok(Default::default())
    }
    async fn run_times(&self) -> Result<([u64; 15], u64)> {
        Ok(([0; 15], 0))
    }
    async fn dedup_job_id(&self, _: &str) -> Result<Option<String>> {
        Ok(None)
    }
    async fn remove_dedup(&self, _: &str, _: Option<&str>) -> Result<bool> {
        Ok(false)
    }
    async fn rate_limit_for(&self, _: u64) -> Result<()> {
        Ok(())
    }
    async fn rate_limit_ttl(&self, _: Option<crate::options::RateLimit>) -> Result<u64> {
        Ok(0)
    }
    async fn remove_rate_limit(&self) -> Result<()> {
        Ok(())
    }
    async fn workers(&self) -> Result<Vec<Vec<(String, String)>>> {
        Ok(vec![])
    }
    async fn upsert_scheduler(
        &self,
        _: &crate::scheduler::NewScheduler,
        _: &crate::scheduler::UpsertTiming,
    ) -> Result<Option<(String, JobState)>> {
        Ok(None)
    }
    async fn advance_scheduler(&self, _: &str, _: &str, _: Option<u64>) -> Result<()> {
        Ok(())
    }
    async fn stuck_schedulers(&self, _: u64) -> Result<Vec<crate::scheduler::SchedulerRecord>> {
        Ok(vec![])
    }
    async fn scheduler(&self, _: &str) -> Result<Option<crate::scheduler::SchedulerRecord>> {
        Ok(None)
    }
    async fn schedulers(
        &self,
        _: i64,
        _: i64,
        _: bool,
    ) -> Result<Vec<crate::scheduler::SchedulerRecord>> {
        Ok(vec![])
    }
    async fn scheduler_count(&self) -> Result<u64> {
        Ok(0)
    }
    async fn remove_scheduler(&self, _: &str) -> Result<bool> {
        Ok(false)
    }
    async fn remove_job(&self, _: &str) -> Result<()> {
        Ok(())
    }
    async fn drain(&self, _: bool) -> Result<u64> {
        Ok(0)
    }
    async fn clean(&self, _: JobState, _: u64, _: u64) -> Result<Vec<String>> {
        Ok(vec![])
    }
    async fn obliterate(&self, _: bool, _: u64) -> Result<()> {
        Ok(())
    }
    async fn retry(
        &self,
        _: JobState,
        _: Option<&str>,
        _: crate::options::operations::Resets,
        _: u64,
        _: u64,
    ) -> Result<u64> {
        Ok(0)
    }
    async fn promote(&self, _: Option<&str>, _: u64) -> Result<u64> {
        Ok(0)
    }
    async fn update_data(&self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }
    async fn change_delay(&self, _: &str, _: u64) -> Result<()> {
        Ok(())
    }
    async fn change_priority(&self, _: &str, _: u32, _: bool) -> Result<()> {
        Ok(())
    }
    async fn job_ids(&self, _: JobState, _: i64, _: i64, _: bool) -> Result<Vec<String>> {
        Ok(vec![])
    }
    async fn update_progress(&self, _: &str, _: &str) -> Result<()> {
        Ok(())
    }
    async fn add_log(&self, _: &str, _: &str) -> Result<u64> {
        Ok(0)
    }
    async fn logs(&self, _: &str, _: i64, _: i64, _: bool) -> Result<(Vec<String>, u64)> {
        Ok((vec![], 0))
    }
}

/// The processor side: every delivery goes to the test.
struct Channel(mpsc::UnboundedSender<Delivery>);

impl JobSink for Channel {
    fn deliver(&self, delivery: Delivery) {
        let _ = self.0.send(delivery);
    }
}

fn start(
    store: &MemoryStore,
    options: WorkerOptions,
) -> (WorkerHandle, mpsc::UnboundedReceiver<Delivery>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (spawn(store.clone(), options, true, Channel(tx)), rx)
}

fn lock_of(job: &ActiveJob) -> Lock {
    Lock {
        id: job.record.id.clone(),
        token: job.token.clone(),
    }
}

fn done() -> Outcome {
    Outcome::Completed {
        returnvalue: "1".into(),
    }
}

#[tokio::test(start_paused = true)]
async fn never_runs_more_jobs_than_its_concurrency_and_runs_them_all() {
    let store = MemoryStore::with_jobs(&["{}"; 10]);
    let options = WorkerOptions {
        concurrency: 3,
        ..Default::default()
    };
    let (handle, mut deliveries) = start(&store, options);
    let running = Arc::new(Mutex::new(0usize));
    let (mut peak, mut completed) = (0, 0);
    while completed < 10 {
        let delivery = deliveries.recv().await.unwrap();
        completed += delivery
            .finished
            .iter()
            .filter(|f| f.status == FinishedStatus::Completed)
            .count();
        for job in &delivery.jobs {
            *running.lock().unwrap() += 1;
            // Each job takes 10 ms in the processor.
            let (handle, running, lock) = (handle.clone(), running.clone(), lock_of(job));
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                *running.lock().unwrap() -= 1;
                handle.report(vec![(lock, done())]);
            });
        }
        peak = peak.max(*running.lock().unwrap());
    }
    assert_eq!(peak, 3);
    assert_eq!(store.memory().stored.len(), 10);
    handle.close(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_timeout_aborts_the_attempt_and_fails_it_at_its_time() {
    let store = MemoryStore::with_jobs(&[r#"{"timeout":250,"attempts":2}"#]);
    let (handle, mut deliveries) = start(&store, WorkerOptions::default());
    let started = Instant::now();
    let (mut aborted, mut finished) = (None, None);
    while finished.is_none() {
        let delivery = deliveries.recv().await.unwrap();
        for event in delivery.events {
            if let WorkerEvent::Abort { kind, .. } = event {
                aborted = Some((kind, started.elapsed()));
            }
        }
        finished = delivery.finished.into_iter().next();
    }
    let (kind, at) = aborted.expect("the AbortSignal fires");
    assert_eq!(kind, AbortKind::Timeout);
    assert_eq!(at, Duration::from_millis(250));
    let finished = finished.unwrap();
    assert_eq!(
        finished.status,
        FinishedStatus::Retrying,
        "one attempt remains"
    );
    assert_eq!(
        finished.failed_reason.as_deref(),
        Some("job 1 timed out after 250 ms")
    );
    handle.close(true).await;
}

#[tokio::test(start_paused = true)]
async fn store_failures_pause_calls_longer_each_time_and_keep_the_outcomes() {
    let store = MemoryStore::with_jobs(&["{}"]);
    let (handle, mut deliveries) = start(&store, WorkerOptions::default());
    let job = loop {
        if let Some(job) = deliveries.recv().await.unwrap().jobs.pop() {
            break job;
        }
    };
    store.memory().fail_calls = 3;
    let reported = store.memory().calls.len();
    handle.report(vec![(lock_of(&job), done())]);
    let mut errors = 0;
    loop {
        let delivery = deliveries.recv().await.unwrap();
        errors += delivery
            .events
            .iter()
            .filter(|e| matches!(e, WorkerEvent::Error { .. }))
            .count();
        if let Some(finished) = delivery.finished.first() {
            assert_eq!(finished.status, FinishedStatus::Completed);
            break;
        }
    }
    assert_eq!(errors, 3);
    let calls = store.memory().calls[reported..].to_vec();
    let gaps: Vec<u128> = calls
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis())
        .collect();
    assert_eq!(
        gaps,
        [100, 200, 400],
        "the same outcome, sent again after each pause"
    );
    assert_eq!(store.memory().stored.len(), 1, "stored once");
    handle.close(false).await;
}

#[tokio::test(start_paused = true)]
async fn a_graceful_close_waits_for_running_jobs_and_stores_them() {
    let store = MemoryStore::with_jobs(&["{}"]);
    let (handle, mut deliveries) = start(&store, WorkerOptions::default());
    let job = loop {
        if let Some(job) = deliveries.recv().await.unwrap().jobs.pop() {
            break job;
        }
    };
    let closing = tokio::spawn({
        let handle = handle.clone();
        async move { handle.close(false).await }
    });
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(!closing.is_finished(), "waits for the running job");
    handle.report(vec![(lock_of(&job), done())]);
    closing.await.unwrap();
    assert_eq!(store.memory().stored.len(), 1);
    assert!(matches!(
        store.memory().stored[0].kind,
        FinishKind::Complete { .. }
    ));
}

#[tokio::test(start_paused = true)]
async fn a_forced_close_aborts_running_jobs_and_gives_them_back() {
    let store = MemoryStore::with_jobs(&["{}", "{}"]);
    let options = WorkerOptions {
        concurrency: 2,
        ..Default::default()
    };
    let (handle, mut deliveries) = start(&store, options);
    let mut taken = Vec::new();
    while taken.len() < 2 {
        taken.extend(deliveries.recv().await.unwrap().jobs.iter().map(lock_of));
    }
    handle.close(true).await;
    let mut aborted = Vec::new();
    while let Ok(delivery) = deliveries.try_recv() {
        for event in delivery.events {
            if let WorkerEvent::Abort { kind, job_id, .. } = event {
                assert_eq!(kind, AbortKind::Close);
                aborted.push(job_id);
            }
        }
    }
    aborted.sort();
    assert_eq!(aborted, ["1", "2"]);
    let mut released = store.memory().released.clone();
    released.sort_by(|a, b| a.id.cmp(&b.id));
    taken.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(released, taken);
    // A late outcome of an aborted attempt changes nothing.
    handle.report(vec![(taken[0].clone(), done())]);
    assert!(store.memory().stored.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_job_is_aborted_and_fails_without_retry() {
    let store = MemoryStore::with_jobs(&[r#"{"attempts":3}"#]);
    let (handle, mut deliveries) = start(&store, WorkerOptions::default());
    let job = loop {
        if let Some(job) = deliveries.recv().await.unwrap().jobs.pop() {
            break job;
        }
    };
    store.cancel("1", "user asked").await.unwrap();
    let (mut aborted, mut finished) = (None, None);
    while finished.is_none() {
        let delivery = deliveries.recv().await.unwrap();
        for event in delivery.events {
            if let WorkerEvent::Abort { kind, reason, .. } = event {
                aborted = Some((kind, reason));
            }
        }
        finished = delivery.finished.into_iter().next();
    }
    assert_eq!(aborted, Some((AbortKind::Cancel, "user asked".into())));
    let finished = finished.unwrap();
    assert_eq!(finished.status, FinishedStatus::Failed);
    assert_eq!(finished.failed_reason.as_deref(), Some("user asked"));
    // The processor's late answer changes nothing.
    handle.report(vec![(lock_of(&job), done())]);
    handle.close(false).await;
    let stored = &store.memory().stored;
    assert_eq!(stored.len(), 1);
    assert!(matches!(
        &stored[0].kind,
        FinishKind::Fail { reason, exhausted: false, .. } if reason == "user asked"
    ));
}
