//! The one error type of the engine. Every kind carries a stable code that the
//! binding maps to a JavaScript `Error` subclass; messages name the field and the rule.

/// Result alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// An option or argument broke a rule; nothing was changed.
    #[error("invalid option `{field}`: {rule}")]
    InvalidOption { field: String, rule: String },
    /// A value could not be turned into JSON (or read back from it).
    #[error("`{field}` is not serialisable: {reason}")]
    NotSerializable { field: String, reason: String },
    /// A job is larger than a limit allows; nothing was stored.
    #[error("`{field}` is {size} bytes, over the limit of {limit} bytes set by `{setting}`; nothing was stored")]
    PayloadTooLarge {
        field: String,
        size: u64,
        limit: u64,
        setting: String,
    },
    /// Redis could not be reached (refused, reset, timed out). A write that fails so
    /// was not stored.
    #[error("cannot reach Redis: {0}")]
    Connection(String),
    /// A write was sent but its answer was lost (the connection broke or no answer
    /// came in time): it may or may not have been stored.
    #[error("the outcome is unknown, the call may or may not have been stored: {0}")]
    OutcomeUnknown(String),
    /// Redis refused the credentials, or wants some and none were given.
    #[error("Redis refused the connection's authentication: {0}")]
    Auth(String),
    /// Redis answered with an error.
    #[error("Redis error: {0}")]
    Redis(String),
    /// The job does not exist (never added, or removed).
    #[error("job {0} not found")]
    JobNotFound(String),
    /// A worker runs the job (it holds its lock): it cannot be changed now.
    #[error("job {0} is active and locked by a worker: it cannot be changed now")]
    JobLocked(String),
    /// The job is not in the state the operation needs; nothing changed.
    #[error("job {id} is not {needs}: it cannot be {action}")]
    JobState {
        id: String,
        needs: String,
        action: String,
    },
    /// The queue has active jobs and the operation would cut them off.
    #[error("the queue has active jobs; pass {{ force: true }} to remove them too")]
    ActiveJobs,
    /// The queue, worker or connection was already closed.
    #[error("{0} is closed")]
    Closed(&'static str),
    /// Stored data did not have the shape the engine writes.
    #[error("unexpected data in Redis: {0}")]
    Corrupt(String),
    /// A worker no longer holds a running job's lock: it expired and the job was
    /// recovered as stalled (another worker runs it now); this attempt's outcome will
    /// not be stored.
    #[error("lost the lock of job {0}: it was recovered as stalled and runs elsewhere; this attempt's outcome is not stored")]
    LockLost(String),
    /// A BullMQ feature ferroq does not have yet; nothing was changed.
    #[error("`{field}` is not built in ferroq yet: {detail}")]
    Unsupported { field: String, detail: String },
    /// A defect in ferroq.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code the JavaScript error carries as `err.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidOption { .. } => "ERR_INVALID_OPTION",
            Error::NotSerializable { .. } => "ERR_NOT_SERIALIZABLE",
            Error::PayloadTooLarge { .. } => "ERR_PAYLOAD_TOO_LARGE",
            Error::Connection(_) => "ERR_CONNECTION",
            Error::OutcomeUnknown(_) => "ERR_OUTCOME_UNKNOWN",
            Error::Auth(_) => "ERR_AUTH",
            Error::Redis(_) => "ERR_REDIS",
            Error::JobNotFound(_) => "ERR_JOB_NOT_FOUND",
            Error::JobLocked(_) => "ERR_JOB_LOCKED",
            Error::JobState { .. } => "ERR_JOB_STATE",
            Error::ActiveJobs => "ERR_ACTIVE_JOBS",
            Error::Closed(_) => "ERR_CLOSED",
            Error::Corrupt(_) => "ERR_CORRUPT",
            Error::LockLost(_) => "ERR_LOCK_LOST",
            Error::Unsupported { .. } => "ERR_UNSUPPORTED",
            Error::Internal(_) => "ERR_INTERNAL",
        }
    }

    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Error::InvalidOption {
            field: field.into(),
            rule: rule.into(),
        }
    }

    /// True when retrying later may succeed (Redis unreachable), as opposed to a
    /// deterministic failure.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Connection(_) | Error::OutcomeUnknown(_))
    }
}
