'use strict';
// ferroq: BullMQ's API over a Rust engine. This file is the public surface; index.d.ts
// types it.
const { Queue } = require('./lib/queue');
const { Worker } = require('./lib/worker');
const { Job } = require('./lib/job');
const errors = require('./lib/errors');

module.exports = {
  Queue,
  Worker,
  Job,
  UnrecoverableError: errors.UnrecoverableError,
  FerroqError: errors.FerroqError,
  InvalidOptionError: errors.InvalidOptionError,
  NotSerializableError: errors.NotSerializableError,
  ConnectionError: errors.ConnectionError,
  JobNotFoundError: errors.JobNotFoundError,
  ClosedError: errors.ClosedError,
};
