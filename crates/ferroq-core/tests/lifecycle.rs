//! The job lifecycle against a real redis-server, without Node.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferroq_core::connection::ConnectionSpec;
use ferroq_core::error::Error;
use ferroq_core::events::{Delivery, JobSink};
use ferroq_core::job::JobState;
use ferroq_core::options::QueueOptions;
use ferroq_core::options::{KeepJobs, WorkerOptions};
use ferroq_core::queue::{prepare_job, AddResult, Queue};
use ferroq_core::redis_store::RedisStore;
use ferroq_core::store::{
    CancelRequest, Cancelled, CycleRequest, Finish, FinishKind, Lock, Renewal, Store, Stored,
};
use ferroq_core::worker::{self, Outcome, WorkerHandle};
use support::RedisServer;

fn store(server: &RedisServer, queue: &str) -> RedisStore {
    let spec = ConnectionSpec::from_url(&server.url).unwrap();
    RedisStore::new(&spec, "test", queue).unwrap()
}

fn fetch(n: u32, token: &str) -> CycleRequest {
    CycleRequest {
        finished: vec![],
        fetch: n,
        token: token.into(),
        lock_duration: 30_000,
        pass_on_wakeup: false,
        reclaim: vec![],
        worker_name: None,
        rate_limit: None,
        metrics_points: None,
    }
}

fn completed(id: &str, token: &str) -> Finish {
    Finish {
        lock: Lock {
            id: id.into(),
            token: token.into(),
        },
        processed_on: 0,
        attempts_made: 1,
        kind: FinishKind::Complete {
            returnvalue: "{\"ok\":true}".into(),
            keep: KeepJobs::All,
        },
        release_dedup: None,
    }
}

#[tokio::test]
async fn add_fetch_complete_in_order() {
    let server = RedisServer::start();
    let store = store(&server, "basic");
    let queue = Queue::new(store.clone());
    let jobs = (0..3)
        .map(|i| {
            prepare_job(
                &QueueOptions::default(),
                "n",
                format!("{{\"i\":{i}}}"),
                "{}",
            )
            .unwrap()
        })
        .collect();
    let added = queue.add(jobs).await.unwrap();
    assert_eq!(
        added.iter().map(|j| j.id()).collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    assert_eq!(store.counts(&[JobState::Waiting]).await.unwrap(), [3]);

    let got = store.cycle(&fetch(2, "t1")).await.unwrap();
    let ids: Vec<_> = got.jobs.iter().map(|j| j.record.id.clone()).collect();
    assert_eq!(ids, ["1", "2"], "FIFO");
    assert_eq!(store.get_state("1").await.unwrap(), JobState::Active);

    // Finishing with the wrong token writes nothing.
    let mut req = fetch(1, "t2");
    req.finished = vec![completed("1", "wrong"), completed("2", "t1")];
    let res = store.cycle(&req).await.unwrap();
    assert_eq!(res.finished, [Stored::LockLost, Stored::AsSent]);
    // The same finish sent again (as after a lost answer) is recognised as stored.
    let mut resent = fetch(0, "t3");
    resent.finished = vec![completed("2", "t1")];
    assert_eq!(
        store.cycle(&resent).await.unwrap().finished,
        [Stored::AsSent]
    );
    // ... also when that finish removed the job (removeOnComplete: true).
    let mut removing = completed("3", "t2");
    if let FinishKind::Complete { keep, .. } = &mut removing.kind {
        *keep = KeepJobs::Nothing;
    }
    let mut remove = fetch(0, "t4");
    remove.finished = vec![removing];
    assert_eq!(
        store.cycle(&remove).await.unwrap().finished,
        [Stored::AsSent]
    );
    assert!(store.get_job("3").await.unwrap().is_none());
    assert_eq!(
        store.cycle(&remove).await.unwrap().finished,
        [Stored::AsSent]
    );
    assert_eq!(res.jobs[0].record.id, "3", "finish-and-fetch-next");
    assert_eq!(store.get_state("1").await.unwrap(), JobState::Active);
    let job2 = store.get_job("2").await.unwrap().unwrap();
    assert_eq!(job2.job_state(), JobState::Completed);
    assert_eq!(job2.returnvalue.unwrap().get(), "{\"ok\":true}");
    assert_eq!(
        store
            .counts(&[JobState::Active, JobState::Completed])
            .await
            .unwrap(),
        [1, 1],
        "job 1 runs on, 2 completed, 3 completed and removed"
    );
}

#[tokio::test]
async fn priorities_lifo_and_custom_ids() {
    let server = RedisServer::start();
    let store = store(&server, "prio");
    let queue = Queue::new(store.clone());
    let add =
        |name: &str, opts: &str| prepare_job(&QueueOptions::default(), name, "{}", opts).unwrap();
    let added = queue
        .add(vec![
            add("p5", r#"{"priority":5}"#),
            add("p1", r#"{"priority":1}"#),
            add("plain", "{}"),
            add("p1b", r#"{"priority":1}"#),
            add("lifo", r#"{"lifo":true}"#),
            add("custom", r#"{"jobId":"my-id"}"#),
        ])
        .await
        .unwrap();
    assert_eq!(added[5].id(), "my-id");
    let again = queue
        .add(vec![prepare_job(
            &QueueOptions::default(),
            "other",
            "{\"x\":1}",
            r#"{"jobId":"my-id"}"#,
        )
        .unwrap()])
        .await
        .unwrap();
    match &again[0] {
        AddResult::Existing(job) => assert_eq!(job.name, "custom", "the stored job, unchanged"),
        other => panic!("an existing jobId returns the existing job, got {other:?}"),
    }

    let got = store.cycle(&fetch(10, "t")).await.unwrap();
    let names: Vec<_> = got.jobs.iter().map(|j| j.record.name.clone()).collect();
    assert_eq!(names, ["lifo", "plain", "custom", "p1", "p1b", "p5"]);
}

/// A call whose answer was lost (the connection broke after Redis ran it) leaves jobs
/// locked with its token; the next call that names the token gives them back.
#[tokio::test]
async fn jobs_of_a_lost_answer_are_reclaimed() {
    let server = RedisServer::start();
    let store = store(&server, "reclaim");
    let queue = Queue::new(store.clone());
    let jobs = (0..3)
        .map(|_| prepare_job(&QueueOptions::default(), "r", "{}", "{}").unwrap())
        .collect();
    queue.add(jobs).await.unwrap();

    let lost = store.cycle(&fetch(2, "w:1")).await.unwrap();
    assert_eq!(
        lost.jobs.len(),
        2,
        "taken, but pretend the answer never came"
    );
    let mut again = fetch(3, "w:2");
    again.reclaim = vec!["w:1".into(), "w:0".into()];
    let got = store.cycle(&again).await.unwrap();
    let ids: Vec<_> = got.jobs.iter().map(|j| j.record.id.clone()).collect();
    assert_eq!(
        ids.len(),
        3,
        "the two orphans and the third job, all taken again"
    );
    for id in ["1", "2", "3"] {
        assert!(ids.contains(&id.to_string()));
    }
    assert_eq!(store.counts(&[JobState::Active]).await.unwrap(), [3]);
    let renewed = store
        .extend_locks(
            &ids.iter()
                .map(|id| ferroq_core::store::Lock {
                    id: id.clone(),
                    token: "w:2".into(),
                })
                .collect::<Vec<_>>(),
            30_000,
        )
        .await
        .unwrap();
    assert_eq!(
        renewed,
        Renewal::default(),
        "every job is locked with the new token"
    );
    let record = store.get_job("1").await.unwrap().unwrap();
    assert_eq!(record.attempts_started, 2, "taken twice");
    assert_eq!(record.attempts_made, 0, "no attempt was spent");
}

#[tokio::test]
async fn stalled_jobs_return_then_fail() {
    let server = RedisServer::start();
    let store = store(&server, "stall");
    let queue = Queue::new(store.clone());
    let limits = QueueOptions::default();
    queue
        .add(vec![
            prepare_job(&limits, "s", "{}", "{}").unwrap(),
            prepare_job(&limits, "gone", "{}", r#"{"removeOnFail":true}"#).unwrap(),
        ])
        .await
        .unwrap();

    let mut req = fetch(2, "a");
    req.lock_duration = 1;
    assert_eq!(store.cycle(&req).await.unwrap().jobs.len(), 2);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let report = store.recover_stalled(1, 1, KeepJobs::All).await.unwrap();
    assert_eq!(report.recovered, ["1", "2"]);
    assert_eq!(store.get_state("1").await.unwrap(), JobState::Waiting);

    req.token = "b".into();
    assert_eq!(store.cycle(&req).await.unwrap().jobs.len(), 2);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let report = store.recover_stalled(1, 1, KeepJobs::All).await.unwrap();
    assert_eq!(report.failed, ["1", "2"]);
    assert!(
        store.get_job("2").await.unwrap().is_none(),
        "a job failed by stalling goes by its own removeOnFail"
    );
    let job = store.get_job("1").await.unwrap().unwrap();
    assert_eq!(job.job_state(), JobState::Failed);
    assert_eq!(
        job.failed_reason.as_deref(),
        Some("job stalled more than allowable limit")
    );
}

/// A processor written in Rust: completes even jobs, fails odd ones once.
struct RustProcessor {
    handle: Arc<Mutex<Option<WorkerHandle>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl JobSink for RustProcessor {
    fn deliver(&self, delivery: Delivery) {
        let handle = self.handle.lock().unwrap().clone().unwrap();
        for f in &delivery.finished {
            self.seen
                .lock()
                .unwrap()
                .push(format!("{}:{:?}", f.id, f.status));
        }
        for job in delivery.jobs {
            let id: u32 = job.record.id.parse().unwrap();
            let outcome = if id % 2 == 1 && job.record.attempts_made == 0 {
                Outcome::Failed {
                    message: "odd".into(),
                    stack: None,
                    unrecoverable: false,
                }
            } else {
                Outcome::Completed {
                    returnvalue: id.to_string(),
                }
            };
            handle.report(vec![(
                Lock {
                    id: job.record.id.clone(),
                    token: job.token.clone(),
                },
                outcome,
            )]);
        }
    }
}

#[tokio::test]
async fn worker_loop_runs_without_node() {
    let server = RedisServer::start();
    let store = store(&server, "loop");
    let queue = Queue::new(store.clone());
    let jobs = (0..50)
        .map(|_| prepare_job(&QueueOptions::default(), "j", "{}", r#"{"attempts":2}"#).unwrap())
        .collect();
    queue.add(jobs).await.unwrap();

    let handle_slot = Arc::new(Mutex::new(None));
    let seen = Arc::new(Mutex::new(Vec::new()));
    // Hold the slot while spawning so the first delivery finds the handle.
    let handle = {
        let mut slot = handle_slot.lock().unwrap();
        let handle = worker::spawn(
            store.clone(),
            WorkerOptions {
                concurrency: 8,
                ..Default::default()
            },
            true,
            RustProcessor {
                handle: handle_slot.clone(),
                seen: seen.clone(),
            },
        );
        *slot = Some(handle.clone());
        handle
    };

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while store.counts(&[JobState::Completed]).await.unwrap()[0] < 50 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "jobs did not complete"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.close(false).await;
    let statuses = seen.lock().unwrap().clone();
    assert_eq!(
        statuses.iter().filter(|s| s.ends_with("Retrying")).count(),
        25
    );
    assert_eq!(
        statuses.iter().filter(|s| s.ends_with("Completed")).count(),
        50
    );
    let job = store.get_job("1").await.unwrap().unwrap();
    assert_eq!(job.attempts_made, 2);
    assert_eq!(job.failed_reason.as_deref(), Some("odd"));
}

#[tokio::test]
async fn cancel_fails_waiting_jobs_now_and_active_ones_at_their_end() {
    let server = RedisServer::start();
    let store = store(&server, "cancel");
    let queue = Queue::new(store.clone());
    let jobs = (0..3)
        .map(|_| prepare_job(&QueueOptions::default(), "n", "{}", r#"{"attempts":3}"#).unwrap())
        .collect();
    queue.add(jobs).await.unwrap();
    let mut requests = store.cancel_requests();

    // Waiting: failed at once, with the reason.
    assert_eq!(
        store.cancel("3", "not needed").await.unwrap(),
        Cancelled::Failed
    );
    let job3 = store.get_job("3").await.unwrap().unwrap();
    assert_eq!(job3.state.as_deref(), Some("failed"));
    assert_eq!(job3.failed_reason.as_deref(), Some("not needed"));
    assert!(matches!(
        store.cancel("3", "again").await,
        Err(Error::JobState { .. })
    ));
    assert!(matches!(
        store.cancel("9", "none").await,
        Err(Error::JobNotFound(_))
    ));

    // Active: marked, the worker told through pub/sub, and its renewal says so too.
    let got = store.cycle(&fetch(2, "t1")).await.unwrap();
    assert_eq!(got.jobs.len(), 2);
    assert_eq!(
        store.cancel("1", "user").await.unwrap(),
        Cancelled::Requested
    );
    let heard = tokio::time::timeout(Duration::from_secs(5), requests.recv()).await;
    assert_eq!(
        heard.unwrap(),
        Some(CancelRequest {
            id: "1".into(),
            reason: "user".into()
        })
    );
    let renewal = store
        .extend_locks(
            &[
                Lock {
                    id: "1".into(),
                    token: "t1".into(),
                },
                Lock {
                    id: "2".into(),
                    token: "t1".into(),
                },
            ],
            30_000,
        )
        .await
        .unwrap();
    assert_eq!(
        renewal.cancelled,
        [CancelRequest {
            id: "1".into(),
            reason: "user".into()
        }]
    );
    assert!(renewal.lost.is_empty());

    // The worker did not act on it and completes the job: it fails all the same.
    let mut finish = fetch(0, "t2");
    finish.finished = vec![completed("1", "t1"), completed("2", "t1")];
    let stored = store.cycle(&finish).await.unwrap().finished;
    assert_eq!(stored, [Stored::Cancelled("user".into()), Stored::AsSent]);
    // The same call sent again (its answer lost) says the same.
    let stored = store.cycle(&finish).await.unwrap().finished;
    assert_eq!(stored, [Stored::Cancelled("user".into()), Stored::AsSent]);
    let job1 = store.get_job("1").await.unwrap().unwrap();
    assert_eq!(job1.state.as_deref(), Some("failed"));
    assert_eq!(job1.failed_reason.as_deref(), Some("user"));
    assert_eq!(
        store
            .counts(&[JobState::Failed, JobState::Completed])
            .await
            .unwrap(),
        [2, 1]
    );

    // An active job whose worker is gone fails when released, not requeued.
    queue
        .add(vec![
            prepare_job(&QueueOptions::default(), "n", "{}", "{}").unwrap()
        ])
        .await
        .unwrap();
    let got = store.cycle(&fetch(1, "t3")).await.unwrap();
    let id = got.jobs[0].record.id.clone();
    store.cancel(&id, "stop").await.unwrap();
    store
        .release(&[Lock {
            id: id.clone(),
            token: "t3".into(),
        }])
        .await
        .unwrap();
    assert_eq!(store.get_state(&id).await.unwrap(), JobState::Failed);
    assert_eq!(store.counts(&[JobState::Waiting]).await.unwrap(), [0]);
}
