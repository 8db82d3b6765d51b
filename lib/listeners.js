'use strict';
// User listeners run inside ferroq's own callbacks (deliveries from the engine): what
// they throw must never end the process. Shared by Worker and QueueEvents.
const { describeThrown } = require('./errors');

/**
 * Emits `error` on `emitter`; without an `error` listener (EventEmitter would throw and
 * end the process) or when that listener throws, the error is only logged: workers and
 * readers outlive Redis outages and go on by themselves.
 */
function emitError(emitter, label, err) {
  if (emitter.listenerCount('error') > 0) {
    try {
      emitter.emit('error', err);
      return;
    } catch (listenerErr) {
      err = listenerErr;
    }
  }
  console.error(`[ferroq] ${label}: ${describeThrown(err).message}`);
}

/** Runs `step`, which calls user listeners; what it throws becomes an `error` event. */
function safely(emitter, label, step) {
  try {
    step();
  } catch (err) {
    emitError(emitter, label, describeThrown(err).error);
  }
}

module.exports = { emitError, safely };
