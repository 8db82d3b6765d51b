'use strict';
// The JavaScript error hierarchy. Every error the engine raises arrives as data, its
// stable `code` and message (an async call resolves to an EngineError, a sync call
// throws an Error with `code`), and is turned into its subclass here, in one place.
const { EngineError } = require('./native');

/** Base class of every ferroq error; `code` is stable across releases. */
class FerroqError extends Error {
  constructor(message, code = 'ERR_FERROQ') {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option or argument broke a rule; nothing was changed. */
class InvalidOptionError extends FerroqError {
  constructor(message, code = 'ERR_INVALID_OPTION') { super(message, code); }
}

/** A value could not be turned into JSON (BigInt, cycles, ...). */
class NotSerializableError extends FerroqError {
  constructor(message, code = 'ERR_NOT_SERIALIZABLE') { super(message, code); }
}

/** A job is larger than `sizeLimit`, `maxPayloadBytes` or Redis accepts; nothing was stored. */
class PayloadTooLargeError extends FerroqError {
  constructor(message, code = 'ERR_PAYLOAD_TOO_LARGE') { super(message, code); }
}

/** Redis could not be reached; a write that fails so was not stored. */
class ConnectionError extends FerroqError {
  constructor(message, code = 'ERR_CONNECTION') { super(message, code); }
}

/** A write was sent but its answer was lost: it may or may not have been stored (retry with a `jobId` to be safe). */
class OutcomeUnknownError extends FerroqError {
  constructor(message, code = 'ERR_OUTCOME_UNKNOWN') { super(message, code); }
}

/** Redis refused the credentials, or wants some and none were given. */
class AuthError extends FerroqError {
  constructor(message, code = 'ERR_AUTH') { super(message, code); }
}

/** Redis answered a command with an error (e.g. out of memory, a wrong key type). */
class RedisError extends FerroqError {
  constructor(message, code = 'ERR_REDIS') { super(message, code); }
}

/** The job does not exist (never added, or removed). */
class JobNotFoundError extends FerroqError {
  constructor(message, code = 'ERR_JOB_NOT_FOUND') { super(message, code); }
}

/** A worker runs the job (holds its lock): it cannot be changed now. */
class JobLockedError extends FerroqError {
  constructor(message, code = 'ERR_JOB_LOCKED') { super(message, code); }
}

/** The job is not in the state the operation needs (promote a job that is not delayed, ...). */
class JobStateError extends FerroqError {
  constructor(message, code = 'ERR_JOB_STATE') { super(message, code); }
}

/** The queue has active jobs and the operation would cut them off (obliterate without force). */
class ActiveJobsError extends FerroqError {
  constructor(message, code = 'ERR_ACTIVE_JOBS') { super(message, code); }
}

/** The queue or worker is closed. */
class ClosedError extends FerroqError {
  constructor(message, code = 'ERR_CLOSED') { super(message, code); }
}

/** A BullMQ feature ferroq does not have yet (an option or a method); nothing was changed. */
class UnsupportedError extends FerroqError {
  constructor(message, code = 'ERR_UNSUPPORTED') { super(message, code); }
}

/** BullMQ's default messages of the errors a processor throws to signal something. */
const UNRECOVERABLE_ERROR = 'bullmq:unrecoverable';
const DELAYED_ERROR = 'bullmq:movedToDelayed';
const WAITING_CHILDREN_ERROR = 'bullmq:movedToWaitingChildren';
const WAITING_ERROR = 'bullmq:movedToWait';
const RATE_LIMIT_ERROR = 'bullmq:rateLimitExceeded';

/** A BullMQ error class a processor throws: its name is `name`, its default message `marker`. */
function processorError(name, marker) {
  return {
    [name]: class extends Error {
      constructor(message = marker) {
        super(message);
        this.name = name;
      }
    },
  }[name];
}

/** Thrown by a processor: the job fails at once, whatever attempts remain (BullMQ's). */
const UnrecoverableError = processorError('UnrecoverableError', UNRECOVERABLE_ERROR);
// BullMQ's processor signals whose moves (job.moveToDelayed, moveToWaitingChildren,
// moveToWait, worker.rateLimit) ferroq does not build: thrown, they fail the attempt as
// any error does.
const DelayedError = processorError('DelayedError', DELAYED_ERROR);
const WaitingChildrenError = processorError('WaitingChildrenError', WAITING_CHILDREN_ERROR);
const WaitingError = processorError('WaitingError', WAITING_ERROR);
const RateLimitError = processorError('RateLimitError', RATE_LIMIT_ERROR);

/** Longest failure message or stack trace a job keeps (characters); longer ones are cut. */
const MAX_REASON_CHARS = 1 << 20;

/** Runs `read`, or gives `fallback` when it throws (a hostile getter, a revoked Proxy). */
function attempt(read, fallback) {
  try {
    return read();
  } catch {
    return fallback;
  }
}

function clip(text) {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}… (cut at ${MAX_REASON_CHARS} characters)` : text;
}

/**
 * What a processor threw, read without ever throwing again: an Error whose `message`
 * getter throws, an object whose `toJSON` and `toString` throw, or a revoked Proxy
 * still give a readable reason. Returns `{ error, message, stack, unrecoverable }`,
 * where `error` is what the `failed` event carries: the thrown Error itself, or an
 * Error made from the reason when what was thrown is not a readable Error.
 */
function describeThrown(thrown) {
  const isError = attempt(() => thrown instanceof Error, false);
  let message = isError ? attempt(() => thrown.message, undefined) : undefined;
  if (typeof message !== 'string') {
    message = attempt(() => (typeof thrown === 'string' ? thrown : JSON.stringify(thrown)), undefined);
  }
  if (typeof message !== 'string') message = attempt(() => String(thrown), undefined);
  if (typeof message !== 'string') message = `a thrown ${typeof thrown} that cannot be read`;
  message = clip(message);
  const stack = isError ? attempt(() => thrown.stack, undefined) : undefined;
  const name = isError ? attempt(() => thrown.name, undefined) : undefined;
  const readable = isError && attempt(() => thrown.message === message, false);
  return {
    error: readable ? thrown : new Error(message),
    message,
    stack: typeof stack === 'string' ? clip(stack) : null,
    unrecoverable: name === 'UnrecoverableError' || attempt(() => thrown instanceof UnrecoverableError, false),
  };
}

/**
 * Runs `read` over a value the caller gave; what reading it throws (a hostile getter,
 * a revoked Proxy) becomes an InvalidOptionError naming `field`. ferroq's own typed
 * errors pass through.
 */
function readOption(field, read) {
  try {
    return read();
  } catch (err) {
    if (attempt(() => err instanceof FerroqError, false)) throw err;
    throw new InvalidOptionError(`invalid option \`${field}\`: cannot be read: ${describeThrown(err).message}`);
  }
}

const byCode = {
  ERR_INVALID_OPTION: InvalidOptionError,
  ERR_NOT_SERIALIZABLE: NotSerializableError,
  ERR_PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  ERR_CONNECTION: ConnectionError,
  ERR_OUTCOME_UNKNOWN: OutcomeUnknownError,
  ERR_AUTH: AuthError,
  ERR_REDIS: RedisError,
  ERR_JOB_NOT_FOUND: JobNotFoundError,
  ERR_JOB_LOCKED: JobLockedError,
  ERR_JOB_STATE: JobStateError,
  ERR_ACTIVE_JOBS: ActiveJobsError,
  ERR_CLOSED: ClosedError,
  ERR_UNSUPPORTED: UnsupportedError,
};

/** Builds the error for an engine error code. */
function errorFor(code, message) {
  const ErrorClass = byCode[code] || FerroqError;
  return new ErrorClass(message, code);
}

/** Turns an error thrown by a sync binding call into its typed subclass. */
function fromNative(err) {
  const code = err && typeof err === 'object' ? err.code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_') ? errorFor(code, err.message) : err;
}

/** Awaits a binding call; an engine error it resolves to is thrown as its subclass. */
async function native(promise) {
  const value = await promise;
  if (value instanceof EngineError) throw errorFor(value.code, value.message);
  return value;
}

/** Runs a synchronous binding call, mapping what it throws. */
function nativeSync(fn) {
  try {
    return fn();
  } catch (err) {
    throw fromNative(err);
  }
}

module.exports = {
  FerroqError,
  InvalidOptionError,
  NotSerializableError,
  PayloadTooLargeError,
  ConnectionError,
  OutcomeUnknownError,
  AuthError,
  RedisError,
  JobNotFoundError,
  JobLockedError,
  JobStateError,
  ActiveJobsError,
  ClosedError,
  UnsupportedError,
  UnrecoverableError,
  DelayedError,
  WaitingChildrenError,
  WaitingError,
  RateLimitError,
  UNRECOVERABLE_ERROR,
  DELAYED_ERROR,
  WAITING_CHILDREN_ERROR,
  WAITING_ERROR,
  RATE_LIMIT_ERROR,
  describeThrown,
  readOption,
  errorFor,
  fromNative,
  native,
  nativeSync,
};
