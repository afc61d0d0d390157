/**
 * The whole config (seed included) as one compact, versioned string for "Copy config" / "Paste config"
 * and browser-mode links: `ntkwb<version>.<base64url(deflate(JSON))>`.
 *
 * Every key is encoded (not only those that differ from the defaults), so a string restores the form
 * exactly even after a later version changes a default. Decoding migrates strings of older versions and
 * says what changed; a string of a newer version, a damaged string or a config that fails validation is
 * refused with a message naming the problem (for validation: the key and the rule).
 */
import { Inflate, deflateSync, strFromU8, strToU8 } from 'fflate';
import { parseConfig, type Config, type ConfigIssue } from './schema';

/** The version written by this build. */
export const CONFIG_STRING_VERSION = 1;
const PREFIX = 'ntkwb';
/** Decoded JSON above this size is refused (a config with an inline CSV is at most ~64 MiB). */
const MAX_DECODED_CHARS = 80 * 1024 * 1024;

/**
 * Migrations from version v to v + 1, each returning the migrated object and one sentence per change
 * for the user. Add one here whenever the config schema changes incompatibly.
 */
const MIGRATIONS: Record<number, (raw: Record<string, unknown>) => { raw: Record<string, unknown>; changes: string[] }> = {};

export type DecodeConfigResult = { ok: true; config: Config; version: number; changes: string[] } | { ok: false; message: string; issues?: ConfigIssue[] };

function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('it contains characters that are not part of a config string');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Inflates `data`, or returns null as soon as the output would exceed `max` bytes (a deflate bomb stops early). */
function inflateBounded(data: Uint8Array, max: number): Uint8Array | null {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let tooLarge = false;
  const inf = new Inflate((chunk) => {
    total += chunk.length;
    if (total > max) tooLarge = true;
    else chunks.push(chunk);
  });
  for (let i = 0; i < data.length && !tooLarge; i += 4096) inf.push(data.subarray(i, i + 4096), i + 4096 >= data.length);
  if (tooLarge) return null;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Encodes a validated config as a config string. */
export function encodeConfigString(config: Config): string {
  return `${PREFIX}${CONFIG_STRING_VERSION}.${toBase64Url(deflateSync(strToU8(JSON.stringify(config)), { level: 9 }))}`;
}

/**
 * Decodes a config string (surrounding whitespace ignored), migrating older versions. Never throws.
 * `maxDecodedBytes` bounds the inflated JSON (default: enough for a config with a 64 MiB inline CSV).
 */
export function decodeConfigString(text: string, maxDecodedBytes = MAX_DECODED_CHARS): DecodeConfigResult {
  const s = text.trim();
  const m = /^ntkwb(\d+)\.(.*)$/s.exec(s);
  if (!m) return { ok: false, message: `not a config string: it should start with "${PREFIX}${CONFIG_STRING_VERSION}."` };
  const version = Number(m[1]);
  if (version > CONFIG_STRING_VERSION) {
    return {
      ok: false,
      message: `this config string was written by a newer version of NTK Workbench (format ${version}); this version reads formats up to ${CONFIG_STRING_VERSION}`,
    };
  }
  if (version < 1) return { ok: false, message: `unknown config string format ${version}` };
  let raw: unknown;
  try {
    const inflated = inflateBounded(fromBase64Url(m[2]!), maxDecodedBytes);
    if (inflated === null) return { ok: false, message: 'the config string is too large' };
    raw = JSON.parse(strFromU8(inflated));
  } catch (e) {
    return { ok: false, message: `the config string is damaged (${(e as Error).message}); copy it again in full` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'the config string does not hold a config object' };
  let obj = raw as Record<string, unknown>;
  const changes: string[] = [];
  for (let v = version; v < CONFIG_STRING_VERSION; v++) {
    const step = MIGRATIONS[v];
    if (!step) return { ok: false, message: `no migration from config string format ${v} to ${v + 1}` };
    const r = step(obj);
    obj = r.raw;
    changes.push(...r.changes);
  }
  const parsed = parseConfig(obj);
  if (!parsed.ok) {
    return {
      ok: false,
      message: `the config in the string is not valid here: ${parsed.issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`,
      issues: parsed.issues,
    };
  }
  return { ok: true, config: parsed.config, version, changes };
}
