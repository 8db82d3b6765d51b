'use strict';
// BullMQ members ferroq does not build yet. Each one exists (a typed BullMQ app compiles
// and runs) and fails by name with UnsupportedError, changing nothing, instead of being
// absent (a TypeError far from the cause) or silently doing something else.
const { errorFor } = require('./errors');

/** The UnsupportedError of `member` (`queue.getMetrics`), saying why. */
function unsupported(member, detail) {
  return errorFor('ERR_UNSUPPORTED', `\`${member}\` is not built in ferroq yet: ${detail}`);
}

/** The name of an instance as in `queue.getMetrics`: its class's, first letter lowercase. */
function instanceLabel(self) {
  const name = (self && self.constructor && self.constructor.name) || 'instance';
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/**
 * Defines the unbuilt members of `Class`, named `${label}.${name}` in their errors
 * (label: the instance's class name, as `queue`, unless given). `members` maps a name
 * to its detail, or to `[kind, detail]` where kind is:
 * - 'async' (the default): a method whose promise rejects;
 * - 'sync': a method that throws;
 * - 'getter': a property that throws when read;
 * - 'promise': a property holding a promise (BullMQ's `queue.client`) that rejects.
 * With `isStatic`, they go on the class itself.
 */
function defineUnbuilt(Class, members, { label, isStatic = false } = {}) {
  const target = isStatic ? Class : Class.prototype;
  for (const [name, spec] of Object.entries(members)) {
    const [kind, detail] = Array.isArray(spec) ? spec : ['async', spec];
    const fail = (self) => unsupported(`${label || instanceLabel(self)}.${name}`, detail);
    let descriptor;
    switch (kind) {
      case 'async':
        descriptor = { value: { async [name]() { throw fail(this); } }[name] };
        break;
      case 'sync':
        descriptor = { value: { [name]() { throw fail(this); } }[name] };
        break;
      case 'getter':
        descriptor = { get() { throw fail(this); } };
        break;
      case 'promise':
        descriptor = { get() { return Promise.reject(fail(this)); } };
        break;
      default:
        throw new Error(`unknown kind ${kind} for ${name}`);
    }
    if (descriptor.value) descriptor.writable = true;
    Object.defineProperty(target, name, { ...descriptor, configurable: true, enumerable: false });
  }
}

module.exports = { unsupported, defineUnbuilt };
