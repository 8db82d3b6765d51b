'use strict';
// ferroq: BullMQ's API over a Rust engine. This file is the public surface; index.d.ts
// types it. Each export is its own `exports.X =` line so that Node's ESM loader sees
// every name (`import { Queue, UnrecoverableError } from 'ferroq'` works from .mjs).
const errors = require('./lib/errors');
const enums = require('./lib/enums');

exports.Queue = require('./lib/queue').Queue;
exports.Worker = require('./lib/worker').Worker;
exports.QueueEvents = require('./lib/queue-events').QueueEvents;
exports.Job = require('./lib/job').Job;
exports.QueueBase = require('./lib/queue-base').QueueBase;
exports.FlowProducer = require('./lib/flow-producer').FlowProducer;
exports.MetricsTime = enums.MetricsTime;
exports.ErrorCode = enums.ErrorCode;
exports.UnrecoverableError = errors.UnrecoverableError;
exports.DelayedError = errors.DelayedError;
exports.WaitingChildrenError = errors.WaitingChildrenError;
exports.WaitingError = errors.WaitingError;
exports.RateLimitError = errors.RateLimitError;
exports.UNRECOVERABLE_ERROR = errors.UNRECOVERABLE_ERROR;
exports.DELAYED_ERROR = errors.DELAYED_ERROR;
exports.WAITING_CHILDREN_ERROR = errors.WAITING_CHILDREN_ERROR;
exports.WAITING_ERROR = errors.WAITING_ERROR;
exports.RATE_LIMIT_ERROR = errors.RATE_LIMIT_ERROR;
exports.FerroqError = errors.FerroqError;
exports.InvalidOptionError = errors.InvalidOptionError;
exports.NotSerializableError = errors.NotSerializableError;
exports.PayloadTooLargeError = errors.PayloadTooLargeError;
exports.ConnectionError = errors.ConnectionError;
exports.OutcomeUnknownError = errors.OutcomeUnknownError;
exports.AuthError = errors.AuthError;
exports.RedisError = errors.RedisError;
exports.JobNotFoundError = errors.JobNotFoundError;
exports.JobLockedError = errors.JobLockedError;
exports.JobStateError = errors.JobStateError;
exports.ActiveJobsError = errors.ActiveJobsError;
exports.ClosedError = errors.ClosedError;
exports.UnsupportedError = errors.UnsupportedError;
