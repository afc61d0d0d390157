/**
 * Request checks of browser mode: the per-start token (query on first load, then an HttpOnly cookie),
 * the Host header (against DNS rebinding) and the Origin header (against foreign pages).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BROWSER_CSP } from '../../shared/api/csp';

/** Prefix of the token cookie; the full name carries the port (see {@link cookieName}). */
export const COOKIE_PREFIX = 'ntk_workbench_token';

/**
 * The token cookie's name for the server on `port`. Cookies ignore ports, so two servers on 127.0.0.1 (a
 * local one and an SSH-tunnelled one) sharing one name would overwrite each other's cookie; a server is
 * only reachable at the port it listens on (the Host check), so the port tells instances apart.
 */
export function cookieName(port: number): string {
  return `${COOKIE_PREFIX}_${port}`;
}

/** A fresh random token (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time string comparison. */
export function sameSecret(a: string | undefined | null, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The Host values this server answers to. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** True if the Host header names this server on loopback (DNS-rebinding defence). */
export function hostAllowed(host: string | undefined, port: number): boolean {
  return typeof host === 'string' && allowedHosts(port).includes(host.toLowerCase());
}

/** True if the Origin header is absent (same-origin navigation) or this server's own origin. */
export function originAllowed(origin: string | undefined, port: number, required: boolean): boolean {
  if (origin === undefined || origin === '') return !required;
  return allowedHosts(port).some((h) => origin.toLowerCase() === `http://${h}`);
}

/**
 * Reads one cookie from a Cookie header. Any page on 127.0.0.1 can plant cookies for every port, so the
 * value is untrusted: one that is not valid percent-encoding reads as absent instead of throwing.
 */
export function readCookie(header: string | undefined, name: string): string | null {
  if (typeof header !== 'string' || header === '') return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      return null;
    }
  }
  return null;
}

/** The Set-Cookie header that stores the token for later requests to the server on `port`. */
export function tokenCookie(token: string, port: number): string {
  return `${cookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
}

export type AuthDecision = { ok: true; setCookie: boolean } | { ok: false; status: 401 | 403; reason: string };

/**
 * Decides whether a request may proceed: Host must be ours, Origin (when present; always for `strict`
 * requests: WebSocket upgrades and uploads) must be ours, and the token must come as the cookie, or as
 * `?token=` on a plain page load.
 */
export function authorize(opts: {
  token: string;
  port: number;
  host: string | undefined;
  origin: string | undefined;
  cookie: string | undefined;
  queryToken: string | null;
  /** WebSocket upgrades and uploads: an Origin is required and only the cookie counts */
  strict: boolean;
}): AuthDecision {
  if (!hostAllowed(opts.host, opts.port)) return { ok: false, status: 403, reason: 'forbidden host' };
  if (!originAllowed(opts.origin, opts.port, opts.strict)) return { ok: false, status: 403, reason: 'forbidden origin' };
  if (sameSecret(readCookie(opts.cookie, cookieName(opts.port)), opts.token)) return { ok: true, setCookie: false };
  if (!opts.strict && sameSecret(opts.queryToken, opts.token)) return { ok: true, setCookie: true };
  return { ok: false, status: 401, reason: 'missing or wrong token' };
}

/** Security headers on every response (browser mode). */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': BROWSER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
