'use strict';
// The only module that touches the generated binding. The public layer uses these two
// classes through lib/queue.js and lib/worker.js and never re-exports them.
const { NativeQueue, NativeWorker } = require('../binding.js');

module.exports = { NativeQueue, NativeWorker };
