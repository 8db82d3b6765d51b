'use strict';
// The only module that touches the generated binding. The public layer uses these
// classes through lib/queue.js, lib/worker.js and lib/errors.js and never re-exports them.
const { NativeQueue, NativeWorker, NativeQueueEvents, EngineError } = require('../binding.js');

module.exports = { NativeQueue, NativeWorker, NativeQueueEvents, EngineError };
