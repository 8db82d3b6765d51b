'use strict';
// Where Redis is. The engine takes a URL or {host, port, username, password, db, tls};
// with nothing given, REDIS_URL, else redis://127.0.0.1:6379.
const { InvalidOptionError } = require('./errors');

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** JSON text describing the connection, for the engine. */
function connectionJson(connection) {
  if (connection === undefined || connection === null) {
    return JSON.stringify(process.env.REDIS_URL || DEFAULT_URL);
  }
  if (typeof connection === 'string') return JSON.stringify(connection);
  if (typeof connection === 'object') {
    // An ioredis client (what BullMQ users pass): use the settings it was made with.
    const settings =
      typeof connection.connect === 'function' && connection.options && typeof connection.options === 'object'
        ? connection.options
        : connection;
    const { url, host, port, username, password, db, tls } = settings;
    return JSON.stringify({ url, host, port, username, password, db, tls: tls ? true : undefined });
  }
  throw new InvalidOptionError(
    'invalid option `connection`: must be a redis:// URL or {host, port, username, password, db, tls}',
  );
}

module.exports = { connectionJson };
