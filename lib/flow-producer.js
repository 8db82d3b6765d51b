'use strict';
// BullMQ's FlowProducer (parent and child jobs across queues), not built in ferroq yet.
// It exists so an app that imports it loads and compiles: constructing it opens
// nothing, and every call that would add or read a flow rejects with UnsupportedError.
const { EventEmitter } = require('node:events');
const { defineUnbuilt } = require('./unbuilt');

class FlowProducer extends EventEmitter {
  /** Keeps `opts`; connects nowhere. */
  constructor(opts = {}) {
    super();
    this.opts = opts || {};
  }

  /** Nothing was opened: resolves at once. */
  async close() {}
}

const FLOWS = 'flows (parent and child jobs) are not built';
defineUnbuilt(FlowProducer, {
  add: FLOWS,
  addBulk: FLOWS,
  getFlow: FLOWS,
  waitUntilReady: FLOWS,
  disconnect: FLOWS,
}, { label: 'flowProducer' });

module.exports = { FlowProducer };
