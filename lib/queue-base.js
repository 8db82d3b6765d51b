'use strict';
// What Queue, Worker and QueueEvents share as BullMQ's QueueBase: the members a typed
// BullMQ app reads on any of them.
const { EventEmitter } = require('node:events');
const { defineUnbuilt } = require('./unbuilt');

class QueueBase extends EventEmitter {
  /** `prefix:name`, the stem of the queue's keys (BullMQ's `qualifiedName`). */
  get qualifiedName() {
    return `${this.opts.prefix}:${this.name}`;
  }

  /** The promise of `close()` once it was called, else undefined (BullMQ's `closing`). */
  get closing() {
    return this._closing || undefined;
  }
}

// ferroq's connections live in the Rust engine: there is no ioredis client to hand out.
defineUnbuilt(QueueBase, {
  client: ['promise', 'the Redis connection lives in the Rust engine and is not exposed'],
  redisVersion: ['getter', 'the Redis connection lives in the Rust engine and is not exposed'],
  disconnect: 'use close()',
});

module.exports = { QueueBase };
