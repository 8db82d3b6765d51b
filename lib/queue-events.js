'use strict';
// BullMQ's QueueEvents: the events of every job of a queue, from any process, read
// from the queue's event stream by the engine (blocking in Redis; nothing polls).
const { NativeQueueEvents } = require('./native');
const { QueueBase } = require('./queue-base');
const { openQueue, untilReady } = require('./queue');
const { errorFor, native, nativeSync, readOption } = require('./errors');
const { optionsJson } = require('./serialize');
const { emitError, safely } = require('./listeners');

/** JSON text as its value; text that is not JSON stays text. */
function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

class QueueEvents extends QueueBase {
  /** Listens to the events of queue `name`; starts at once unless `autorun: false`. */
  constructor(name, opts = {}) {
    super();
    opts = readOption('opts', () => ({ ...(opts || {}) }));
    openQueue(this, name, opts);
    const { lastEventId, blockingTimeout } = opts;
    const engineOptions = optionsJson('opts', { lastEventId, blockingTimeout });
    this._native = nativeSync(
      () => new NativeQueueEvents(this._ops, engineOptions, (delivery) => this._onDelivery(delivery)),
    );
    this._running = null;
    this._started = null;
    this._closing = null;
    if (opts.autorun !== false) this.run().catch((err) => this._emitError(err));
  }

  /** Starts reading events (for `autorun: false`); resolves once closed. */
  run() {
    if (this._running) return Promise.reject(new Error('Queue Events is already running.'));
    if (this._closing) return Promise.reject(errorFor('ERR_CLOSED', `queue events of ${this.name} are closed`));
    this._running = new Promise((resolve) => { this._stopped = resolve; });
    this._started = new Promise((resolve) => { this._onReady = resolve; });
    this._native.run();
    return this._running;
  }

  /**
   * Resolves once events from now on will be delivered (after `run()`), or once Redis
   * answers when not running.
   */
  async waitUntilReady() {
    if (this._started) return this._started;
    await untilReady(this);
  }

  _onDelivery(text) {
    const delivery = JSON.parse(text);
    switch (delivery.type) {
      case 'ready':
        this._onReady();
        break;
      case 'events':
        for (const { id, event, args } of delivery.events) this._safely(() => this._emitEvent(id, event, args));
        break;
      case 'error':
        this._emitError(errorFor(delivery.code, delivery.message));
        break;
      case 'closed':
        if (this._onReady) this._onReady();
        if (this._stopped) this._stopped();
        break;
      default:
        break;
    }
  }

  _emitEvent(id, event, args) {
    if (event === 'progress') args.data = parsed(args.data);
    if (event === 'completed') args.returnvalue = parsed(args.returnvalue);
    if (event === 'drained') {
      this.emit('drained', id);
      return;
    }
    this.emit(event, args, id);
    if (args.jobId !== undefined) this.emit(`${event}:${args.jobId}`, args, id);
  }

  /** Emits `error`, or logs it when nothing listens (see lib/listeners.js). */
  _emitError(err) {
    emitError(this, `queue events ${this.name}`, err);
  }

  /** Runs a step that calls user listeners; what they throw becomes an `error`. */
  _safely(step) {
    safely(this, `queue events ${this.name}`, step);
  }

  /** Stops reading and closes the connections; emits `closing` first. */
  close() {
    if (!this._closing) {
      this.emit('closing');
      this._closing = native(this._native.close()).then(() => native(this._ops.close()));
    }
    return this._closing;
  }
}

module.exports = { QueueEvents };
