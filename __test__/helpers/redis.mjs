// Starts a private redis-server on a free port for one test file, so tests can stop and
// restart it and never touch another Redis.
import { execFileSync, spawn } from 'node:child_process';
import { before, after } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function ping(port, ca) {
  return new Promise((resolve) => {
    const sock = ca
      ? tlsConnect({ port, host: '127.0.0.1', ca }, () => sock.write('PING\r\n'))
      : connect(port, '127.0.0.1', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(/^(\+PONG|-NOAUTH)/.test(d.toString())); // NOAUTH: up, but wants a user
    });
    sock.once('error', () => resolve(false));
  });
}

/** Makes a CA and a server certificate for 127.0.0.1 in `dir` (openssl); returns the CA's PEM. */
function makeCertificates(dir) {
  const at = (name) => join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=ferroq test CA',
    '-keyout', at('ca.key'), '-out', at('ca.crt'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', at('server.key'), '-out', at('server.csr'));
  writeFileSync(at('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'),
    '-CAcreateserial', '-days', '1', '-extfile', at('san.ext'), '-out', at('server.crt'));
  return readFileSync(at('ca.crt'), 'utf8');
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(check, { timeoutMs = 10000, intervalMs = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class RedisServer {
  /**
   * A server not started yet; its port is chosen when it first starts. `persistent`:
   * every write is fsynced to an append-only file, so data outlives a SIGKILL. `acl`:
   * the text of an ACL file (users and their passwords) the server loads. `tls`: the
   * server speaks only TLS, with a certificate for 127.0.0.1 from a fresh CA (`ca`).
   * `args`: more redis-server arguments (`['--proto-max-bulk-len', '50mb']`).
   */
  constructor({ persistent = false, acl = null, tls = false, args = [] } = {}) {
    this.port = null;
    this.args = args;
    this.persistent = persistent;
    this.dir = mkdtempSync(join(tmpdir(), 'ferroq-redis-'));
    this.aclFile = null;
    if (acl !== null) {
      this.aclFile = join(this.dir, 'users.acl');
      writeFileSync(this.aclFile, acl);
    }
    this.ca = tls ? makeCertificates(this.dir) : null;
  }

  get url() {
    return `${this.ca ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  static async start(options) {
    const server = new RedisServer(options);
    await server.restart();
    return server;
  }

  /** Starts the server (again, on the same port and directory). */
  async restart() {
    if (this.port === null) this.port = await freePort();
    this.proc = spawn(
      'redis-server',
      [
        ...(this.ca
          ? ['--port', '0', '--tls-port', String(this.port), '--tls-auth-clients', 'no',
            '--tls-cert-file', join(this.dir, 'server.crt'), '--tls-key-file', join(this.dir, 'server.key'),
            '--tls-ca-cert-file', join(this.dir, 'ca.crt')]
          : ['--port', String(this.port)]),
        '--bind', '127.0.0.1', '--save', '', '--dir', this.dir,
        ...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
        ...(this.aclFile ? ['--aclfile', this.aclFile] : []),
        ...this.args,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(() => ping(this.port, this.ca), { what: `redis-server on ${this.port}` });
  }

  /** The text of `INFO <section>` (for counting the commands a test caused). */
  info(section) {
    return this.bulk(`INFO ${section}`);
  }

  /** The clients connected (`CLIENT LIST`, one line each), without this helper's own. */
  async clients() {
    const list = await this.bulk('CLIENT LIST', 'CLIENT SETNAME test-helper');
    return list.trim().split('\n').filter((line) => line && !/ name=test-helper /.test(line));
  }

  /**
   * Runs an inline command whose answer is one bulk string; resolves to its text.
   * `before`: a command answered `+OK` to send first (naming the helper's client).
   */
  bulk(command, before = 'CLIENT SETNAME test-helper') {
    return new Promise((resolve, reject) => {
      const sock = connect(this.port, '127.0.0.1');
      let buffer = '';
      sock.once('connect', () => sock.write(`${before}\r\n${command}\r\n`));
      sock.on('data', (d) => {
        buffer = (buffer + d.toString()).replace(/^\+OK\r\n/, '');
        const header = /^\$(\d+)\r\n/.exec(buffer);
        if (header && Buffer.byteLength(buffer) >= header[0].length + Number(header[1])) {
          sock.destroy();
          resolve(buffer.slice(header[0].length));
        }
      });
      sock.once('error', reject);
    });
  }

  /** Runs an inline command with a one-line answer (`+OK`, `:1`); resolves to that line. */
  simple(command) {
    return new Promise((resolve, reject) => {
      const sock = connect(this.port, '127.0.0.1');
      let buffer = '';
      sock.once('connect', () => sock.write(`${command}\r\n`));
      sock.on('data', (d) => {
        buffer += d.toString();
        const end = buffer.indexOf('\r\n');
        if (end >= 0) {
          sock.destroy();
          resolve(buffer.slice(0, end));
        }
      });
      sock.once('error', reject);
    });
  }

  /** How many times Redis ran `command` so far (INFO commandstats). */
  async calls(command) {
    const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await this.info('commandstats'));
    return match ? Number(match[1]) : 0;
  }

  /** Kills the server (SIGKILL) and waits until it is gone. */
  async kill() {
    if (!this.proc) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGKILL');
    await exited;
    this.proc = null;
  }

  async stop() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * One private redis-server for a test file: started before its first test, stopped after
 * its last, once every queue and worker passed to `track` is closed. `fresh()` names a
 * queue no other test uses.
 */
export function fileRedis(label) {
  const redis = new RedisServer();
  const closing = [];
  let seq = 0;
  before(() => redis.restart());
  after(async () => {
    for (const x of closing.reverse()) await x.close().catch(() => {});
    await redis.stop();
  });
  return {
    redis,
    fresh: () => `${label}-${process.pid}-${++seq}`,
    track: (x) => (closing.push(x), x),
  };
}
