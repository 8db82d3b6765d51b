'use strict';
// Where Redis is. The engine takes a URL or {host, port, username, password, db, tls}
// (tls: true, or {ca, cert, key, rejectUnauthorized} as ioredis takes them);
// with nothing given, REDIS_URL, else redis://127.0.0.1:6379.
const { InvalidOptionError, readOption } = require('./errors');
const { unsupported } = require('./unbuilt');

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** A PEM option as ioredis takes it (string, Buffer, or an array of them) as one string. */
function pem(value) {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(pem).join('\n');
  return Buffer.isBuffer(value) ? value.toString('utf8') : value;
}

/** ioredis' `tls` option (`true` or tls.connect options) as the engine reads it. */
function tlsJson(tls) {
  if (!tls) return undefined;
  if (typeof tls !== 'object') return true;
  const { ca, cert, key, rejectUnauthorized } = tls;
  return { ca: pem(ca), cert: pem(cert), key: pem(key), rejectUnauthorized };
}

/** JSON text describing the connection, for the engine. */
function connectionJson(connection) {
  return readOption('connection', () => describeConnection(connection));
}

function describeConnection(connection) {
  if (connection === undefined || connection === null) {
    return JSON.stringify(process.env.REDIS_URL || DEFAULT_URL);
  }
  if (typeof connection === 'string') return JSON.stringify(connection);
  if (typeof connection === 'object') {
    // An ioredis Cluster has no single address: refused, not quietly sent to localhost.
    if (connection.isCluster === true || Array.isArray(connection.startupNodes)) {
      throw unsupported('connection', 'Redis Cluster connections are planned; pass one node\'s address');
    }
    // An ioredis client (what BullMQ users pass): use the settings it was made with.
    const settings =
      typeof connection.connect === 'function' && connection.options && typeof connection.options === 'object'
        ? connection.options
        : connection;
    const { url, host, port, username, password, db, tls, commandTimeout } = settings;
    return JSON.stringify({ url, host, port, username, password, db, tls: tlsJson(tls), commandTimeout });
  }
  throw new InvalidOptionError(
    'invalid option `connection`: must be a redis:// URL or {host, port, username, password, db, tls}',
  );
}

module.exports = { connectionJson };
