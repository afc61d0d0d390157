/**
 * Redis URLs for distributed sweeps: `redis://[user[:password]@]host[:port][/db]` and `rediss://…` (TLS).
 * The password (and user name) never leave this module in clear: every log line, error message and
 * presence record uses {@link RedisTarget.display} (credentials replaced by `***`), and {@link redactSecrets}
 * scrubs them from any text that may quote them (an ioredis error message, say) before it is shown.
 */
import type { ConnectionOptions } from 'bullmq';

/** A parsed Redis URL: what to connect to, and how to name it safely. */
export interface RedisTarget {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username: string | undefined;
  password: string | undefined;
  /** `redis://***@host:port/db`: the URL with credentials redacted, for messages */
  display: string;
}

/** A Redis URL that cannot be used; the message names the flag and never quotes a password. */
export class RedisUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUrlError';
  }
}

/**
 * Parses a Redis URL. `flag` names where it came from in messages (`--redis`). Refuses other schemes,
 * a missing host, a port outside 1–65535 and a database index (the URL's path) that is not an integer ≥ 0.
 */
export function parseRedisUrl(raw: string, flag = '--redis'): RedisTarget {
  const text = raw.trim();
  // WHATWG URL refuses a bad port with a generic error: name the rule first.
  const authority = /^rediss?:\/\/([^/]*)/i.exec(text)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const portPart = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostPort)?.[1];
  if (portPart !== undefined && portPart !== '' && !(/^\d+$/.test(portPart) && Number(portPart) >= 1 && Number(portPart) <= 65535)) {
    throw new RedisUrlError(`${flag}: port must be an integer in 1–65535, got ${JSON.stringify(portPart)}`);
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new RedisUrlError(`${flag}: expected a URL like redis://host:6379 or rediss://:password@host:6380/0, got ${JSON.stringify(redactLoose(text))}`);
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new RedisUrlError(`${flag}: expected the scheme redis:// or rediss:// (TLS), got ${scheme}://`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new RedisUrlError(`${flag}: the URL names no host`);
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RedisUrlError(`${flag}: port must be an integer in 1–65535, got ${u.port}`);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isSafeInteger(db))
    throw new RedisUrlError(`${flag}: the database must be an integer ≥ 0 (the URL's path), got ${JSON.stringify(dbText)}`);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const cred = username !== undefined || password !== undefined ? '***@' : '';
  return { tls: scheme === 'rediss', host, port, db, username, password, display: `${scheme}://${cred}${hostPart}:${port}/${db}` };
}

/**
 * The connection options BullMQ passes to ioredis. `maxRetriesPerRequest: null` is what BullMQ's workers
 * require (a blocking command must wait through a reconnect); ioredis reconnects forever, at most every
 * `maxRetryMs`. With `rediss://` the server's certificate is checked against the system's CAs (Node's default).
 */
export function connectionOptions(t: RedisTarget, opts: { maxRetryMs?: number } = {}): ConnectionOptions {
  const maxRetry = opts.maxRetryMs ?? 2000;
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: t.host } } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 100, maxRetry),
  };
}

/** Replaces every occurrence of the target's credentials (and its raw URL forms) in `text` with `***`. */
export function redactSecrets(text: string, t: RedisTarget | null): string {
  let s = redactLoose(text);
  if (!t) return s;
  for (const secret of [t.password, t.username]) {
    if (!secret || secret.length < 1) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) s = s.split(form).join('***');
  }
  return s;
}

/** Removes the user-info part of anything that looks like a redis URL (`redis://user:pw@` → `redis://***@`). */
function redactLoose(text: string): string {
  return text.replace(/(rediss?:\/\/)[^@\s/]*@/gi, '$1***@');
}
