'use strict';
// The bench's own Redis: a private redis-server on a free port (never the machine's
// 6379), and a tiny RESP client for the few commands the bench itself sends (PING,
// FLUSHALL, INFO). Written over `net` so the bench needs no Redis client package and its
// own traffic is easy to account for in INFO commandstats.
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const HOST = '127.0.0.1';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `redis-server` with no persistence in a temporary directory. `stop()` kills it
 * and removes the directory; `killSync()` is for process 'exit', where nothing async runs.
 */
async function startRedisServer() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferroq-bench-redis-'));
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir];
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  let exited = null;
  const exit = new Promise((resolve) => {
    proc.once('error', (err) => { exited = err; resolve(); });
    proc.once('exit', (code, signal) => { exited = exited || new Error(`redis-server exited (${signal || code})`); resolve(); });
  });

  const server = {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    killSync() {
      if (!exited) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    async stop() {
      if (!exited) {
        proc.kill('SIGKILL');
        await exit;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) {
      server.killSync();
      const hint = exited.code === 'ENOENT' ? ' (is redis-server installed? apt-get install -y redis-server)' : '';
      throw new Error(`could not start redis-server: ${exited.message}${hint}`);
    }
    try {
      const client = await RespClient.connect(port);
      await client.call('PING');
      client.close();
      return server;
    } catch {
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`redis-server on port ${port} did not answer PING within 10 s`);
      }
      await sleep(25);
    }
  }
}

/** Parses one RESP reply at `at`; returns [value, nextOffset], or null when incomplete. */
function parseReply(buf, at) {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+': return [line, next];
    case '-': return [new Error(line), next];
    case ':': return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return null;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case '*': {
      const len = Number(line);
      if (len < 0) return [null, next];
      const items = [];
      let pos = next;
      for (let i = 0; i < len; i++) {
        const item = parseReply(buf, pos);
        if (!item) return null;
        items.push(item[0]);
        pos = item[1];
      }
      return [items, pos];
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function encodeCommand(args) {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const s = String(arg);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/** A minimal pipelined RESP2 client: `call(...args)` resolves to the reply. */
class RespClient {
  static connect(port, host = HOST) {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host);
      socket.once('connect', () => { socket.off('error', reject); resolve(new RespClient(socket)); });
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.pending = [];
    this.buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => this._onData(chunk));
    socket.on('error', (err) => this._failAll(err));
    socket.on('close', () => this._failAll(new Error('connection to redis closed')));
  }

  call(...args) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encodeCommand(args));
    });
  }

  close() {
    this.socket.end();
  }

  _onData(chunk) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const reply = parseReply(this.buffer, at);
      if (!reply) break;
      at = reply[1];
      const waiter = this.pending.shift();
      if (waiter) (reply[0] instanceof Error ? waiter.reject : waiter.resolve)(reply[0]);
    }
    this.buffer = this.buffer.subarray(at);
  }

  _failAll(err) {
    for (const waiter of this.pending.splice(0)) waiter.reject(err);
  }
}

/** Sum of `calls=` over every `cmdstat_*` line of `INFO commandstats`. */
function totalCalls(infoText) {
  let total = 0;
  for (const match of infoText.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(match[1]);
  return total;
}

/** One field of an INFO section, e.g. infoField(text, 'redis_version'). */
function infoField(infoText, field) {
  const match = infoText.match(new RegExp(`^${field}:(.*)$`, 'm'));
  return match ? match[1].trim() : undefined;
}

module.exports = { startRedisServer, RespClient, totalCalls, infoField, sleep };
