//! How an attempt's outcome is stored: complete, retry or fail. A pure function of
//! the running job, the outcome and the worker's options.

use crate::backoff::{after_failure, AfterFailure};
use crate::options::{KeepJobs, WorkerOptions};
use crate::store::{Finish, FinishKind, Lock};

use super::active::RunningJob;
use super::Outcome;

/// Decides how `outcome`, the end of the attempt `job` was running under `lock`, is
/// stored. Retention: the job's own `removeOnComplete`/`removeOnFail`, else the
/// worker's, else keep everything.
pub(super) fn finish(
    lock: Lock,
    job: &RunningJob,
    outcome: Outcome,
    worker: &WorkerOptions,
) -> Finish {
    let keep = |job_rule: Option<KeepJobs>, worker_rule: Option<KeepJobs>| {
        job_rule.or(worker_rule).unwrap_or(KeepJobs::All)
    };
    // A deduplication id held until the job ends (no ttl) is freed by its final end.
    let release_dedup = job
        .opts
        .deduplication
        .as_ref()
        .filter(|dedup| dedup.ttl.is_none())
        .map(|dedup| dedup.id.clone());
    if outcome == Outcome::RateLimited {
        return Finish {
            lock,
            processed_on: job.processed_on,
            attempts_made: job.attempts_made,
            kind: FinishKind::Requeue,
            release_dedup,
        };
    }
    let attempts_made = job.attempts_made + 1;
    let kind = match outcome {
        Outcome::RateLimited => FinishKind::Requeue,
        Outcome::Cancelled { reason } => FinishKind::Fail {
            reason,
            stacktrace: job.stacktrace.clone(),
            keep: keep(job.opts.remove_on_fail, worker.remove_on_fail),
            exhausted: false,
        },
        Outcome::Completed { returnvalue } => FinishKind::Complete {
            returnvalue,
            keep: keep(job.opts.remove_on_complete, worker.remove_on_complete),
        },
        Outcome::Failed {
            message,
            stack,
            unrecoverable,
        } => {
            let stacktrace = append_stack(
                &job.stacktrace,
                stack.as_deref(),
                job.opts.stack_trace_limit,
            );
            match after_failure(&job.opts, attempts_made, unrecoverable) {
                AfterFailure::Retry { delay } => FinishKind::Retry {
                    reason: message,
                    stacktrace,
                    delay,
                },
                AfterFailure::Fail => FinishKind::Fail {
                    reason: message,
                    stacktrace,
                    keep: keep(job.opts.remove_on_fail, worker.remove_on_fail),
                    exhausted: attempts_made >= job.opts.attempts,
                },
            }
        }
    };
    Finish {
        lock,
        processed_on: job.processed_on,
        attempts_made,
        kind,
        release_dedup,
    }
}

/// Appends one stack trace to the stored JSON array, keeping the newest `limit`.
fn append_stack(stored: &str, stack: Option<&str>, limit: usize) -> String {
    let mut stacks: Vec<String> = serde_json::from_str(stored).unwrap_or_default();
    if let Some(stack) = stack {
        stacks.push(stack.to_string());
    }
    if stacks.len() > limit {
        stacks.drain(..stacks.len() - limit);
    }
    serde_json::to_string(&stacks).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{Backoff, BackoffKind, JobOptions};

    fn running(opts: JobOptions, attempts_made: u32, stacktrace: &str) -> RunningJob {
        RunningJob {
            token: "t".into(),
            opts,
            attempts_made,
            stacktrace: stacktrace.into(),
            processed_on: 7,
            timeout: None,
        }
    }

    fn lock() -> Lock {
        Lock {
            id: "1".into(),
            token: "t".into(),
        }
    }

    fn failed(message: &str, unrecoverable: bool) -> Outcome {
        Outcome::Failed {
            message: message.into(),
            stack: Some(format!("stack of {message}")),
            unrecoverable,
        }
    }

    #[test]
    fn a_success_completes_with_the_jobs_retention_else_the_workers() {
        let worker = WorkerOptions {
            remove_on_complete: Some(KeepJobs::Nothing),
            ..Default::default()
        };
        let done = Outcome::Completed {
            returnvalue: "42".into(),
        };
        let f = finish(
            lock(),
            &running(JobOptions::default(), 0, "[]"),
            done.clone(),
            &worker,
        );
        assert_eq!(f.attempts_made, 1);
        assert_eq!(f.processed_on, 7);
        assert_eq!(
            f.kind,
            FinishKind::Complete {
                returnvalue: "42".into(),
                keep: KeepJobs::Nothing
            }
        );
        let own = JobOptions {
            remove_on_complete: Some(KeepJobs::All),
            ..Default::default()
        };
        let f = finish(lock(), &running(own, 0, "[]"), done, &worker);
        assert!(matches!(
            f.kind,
            FinishKind::Complete {
                keep: KeepJobs::All,
                ..
            }
        ));
    }

    #[test]
    fn a_failure_with_attempts_left_retries_after_the_backoff() {
        let opts = JobOptions {
            attempts: 3,
            backoff: Some(Backoff {
                kind: BackoffKind::Exponential,
                delay: 100,
                jitter: 0.0,
            }),
            ..Default::default()
        };
        let f = finish(
            lock(),
            &running(opts, 1, r#"["first"]"#),
            failed("boom", false),
            &WorkerOptions::default(),
        );
        assert_eq!(f.attempts_made, 2);
        assert_eq!(
            f.kind,
            FinishKind::Retry {
                reason: "boom".into(),
                stacktrace: r#"["first","stack of boom"]"#.into(),
                delay: 200,
            }
        );
    }

    #[test]
    fn the_last_attempt_or_an_unrecoverable_error_fails() {
        let worker = WorkerOptions {
            remove_on_fail: Some(KeepJobs::Nothing),
            ..Default::default()
        };
        let opts = JobOptions {
            attempts: 2,
            ..Default::default()
        };
        let last = finish(
            lock(),
            &running(opts.clone(), 1, "[]"),
            failed("late", false),
            &worker,
        );
        assert!(matches!(
            last.kind,
            FinishKind::Fail {
                keep: KeepJobs::Nothing,
                ..
            }
        ));
        let early = finish(
            lock(),
            &running(opts, 0, "[]"),
            failed("fatal", true),
            &worker,
        );
        assert_eq!(early.kind.reason(), Some("fatal"));
        assert!(matches!(early.kind, FinishKind::Fail { .. }));
    }

    #[test]
    fn stack_traces_keep_the_newest_up_to_the_limit() {
        let opts = JobOptions {
            attempts: 5,
            stack_trace_limit: 2,
            ..Default::default()
        };
        let f = finish(
            lock(),
            &running(opts, 2, r#"["a","b"]"#),
            failed("c", false),
            &WorkerOptions::default(),
        );
        assert_eq!(f.kind.stacktrace(), Some(r#"["b","stack of c"]"#));
        assert_eq!(append_stack("[]", None, 10), "[]");
        assert_eq!(append_stack("not json", Some("x"), 0), "[]");
    }
}
