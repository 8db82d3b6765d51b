'use strict';
// JSON at the boundary: job data, return values and options cross into Rust as JSON
// text. Failures become typed errors naming the field.
const { NotSerializableError, InvalidOptionError, describeThrown, readOption } = require('./errors');

/** JSON text of `value`; `undefined` becomes `fallback`. */
function toJson(field, value, fallback = 'null') {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new NotSerializableError(`\`${field}\` is not serialisable to JSON: ${describeThrown(err).message}`);
  }
  return text === undefined ? fallback : text;
}

// JSON has no NaN/Infinity (it writes null, which would read as "not set") and no
// BigInt: keep them visible so the engine rejects them by name.
function optionReplacer(_key, value) {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return value;
}

/** JSON text of an options object, after checking it is one. */
function optionsJson(field, opts) {
  if (opts === undefined || opts === null) return '{}';
  if (typeof opts !== 'object' || readOption(field, () => Array.isArray(opts))) {
    throw new InvalidOptionError(`invalid option \`${field}\`: must be an object, got ${typeof opts}`);
  }
  try {
    return JSON.stringify(opts, optionReplacer);
  } catch (err) {
    throw new InvalidOptionError(`invalid option \`${field}\`: ${describeThrown(err).message}`);
  }
}

/** JSON text of one option's value (`undefined` as null), NaN and Infinity kept visible. */
function optionJson(value) {
  const text = JSON.stringify(value, optionReplacer);
  return text === undefined ? 'null' : text;
}

/**
 * The engine's outcome text of a failed attempt, from `describeThrown`'s reading of
 * what was thrown; `rateLimited`: put the job back without spending the attempt.
 */
function failedOutcome({ message, stack, unrecoverable }, rateLimited = false) {
  return `{"failed":${JSON.stringify({ message, stack, unrecoverable, rateLimited })}}`;
}

module.exports = { toJson, optionsJson, optionJson, failedOutcome };
