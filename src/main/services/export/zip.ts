/**
 * A zip reader that trusts nothing in the file (session archives come from other machines), and the
 * writer the archives and `.npz` files use (fflate).
 *
 * The reader looks at the whole central directory before it decompresses a byte, and refuses — naming
 * the entry and the rule — any of: a name with a `..` segment, an absolute path, a drive letter or a
 * backslash (zip-slip); a symlink or other non-regular entry; an encrypted entry, a compression method
 * other than store/deflate, zip64 or a multi-disk archive; more entries or more declared uncompressed bytes
 * than the caller's bounds (zip bombs); two entries whose names are equal ignoring case (so that no
 * file system, case-insensitive ones included, could see one overwrite the other). While inflating it
 * stops as soon as an entry yields more bytes than it declared, and checks every CRC-32.
 */
import { Inflate, zipSync } from 'fflate';
import { WorkbenchException } from '../../../shared/api/result';
import { crc32 } from '../checkpoint';

/** The rules an archive can break; each refusal names one. */
export type ZipRule =
  | 'not-a-zip'
  | 'path-traversal'
  | 'absolute-path'
  | 'drive-letter'
  | 'backslash'
  | 'bad-name'
  | 'symlink'
  | 'not-a-file'
  | 'encrypted'
  | 'unsupported'
  | 'too-many-entries'
  | 'too-large'
  | 'duplicate-name'
  | 'size-mismatch'
  | 'checksum'
  | 'unexpected-entry'
  | 'invalid-file';

/** Bounds on what a zip may hold. */
export interface ZipLimits {
  maxEntries: number;
  /** the sum of the entries' uncompressed sizes */
  maxUncompressedBytes: number;
}

/** One file of an archive, decompressed. */
export interface ZipFile {
  name: string;
  data: Uint8Array;
}

/** A refusal: code invalid-data, message `<label>: entry "<name>": <rule>: <why>`, details {entry, rule}. */
export function zipRefusal(label: string, entry: string | null, rule: ZipRule, why: string): WorkbenchException {
  const where = entry === null ? '' : ` entry ${JSON.stringify(entry)}:`;
  return new WorkbenchException('invalid-data', `${label}:${where} ${rule}: ${why}`, { file: label, entry, rule });
}

interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  isDir: boolean;
}

const EOCD_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** compressed bytes handed to the inflater at a time: one push yields at most ~1000× that */
const INFLATE_CHUNK = 4096;

function decodeName(bytes: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Checks one entry name against the zip-slip rules; returns the rule it breaks, or null. */
export function nameRule(name: string): { rule: ZipRule; why: string } | null {
  if (name.length === 0) return { rule: 'bad-name', why: 'empty name' };
  if (name.includes('\0')) return { rule: 'bad-name', why: 'NUL character in the name' };
  if (name.includes('\\')) return { rule: 'backslash', why: 'backslash in the name (a Windows path separator)' };
  if (/^[A-Za-z]:/.test(name)) return { rule: 'drive-letter', why: 'the name starts with a drive letter' };
  if (name.startsWith('/')) return { rule: 'absolute-path', why: 'the name is an absolute path' };
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) return { rule: 'path-traversal', why: 'a ".." segment would leave the destination folder' };
  if (parts.slice(0, -1).some((p) => p === '' || p === '.') || parts[parts.length - 1] === '.') return { rule: 'bad-name', why: 'empty or "." path segment' };
  return null;
}

function readCentralDirectory(buf: Uint8Array, label: string, limits: ZipLimits): CentralEntry[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 22) throw zipRefusal(label, null, 'not-a-zip', 'too short for a zip file');
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === EOCD_SIG) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw zipRefusal(label, null, 'not-a-zip', 'no end-of-central-directory record');
  const disk = v.getUint16(eocd + 4, true);
  const cdDisk = v.getUint16(eocd + 6, true);
  const count = v.getUint16(eocd + 10, true);
  const cdSize = v.getUint32(eocd + 12, true);
  const cdOffset = v.getUint32(eocd + 16, true);
  if (disk !== 0 || cdDisk !== 0) throw zipRefusal(label, null, 'unsupported', 'multi-disk archives are not supported');
  if (count === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) throw zipRefusal(label, null, 'unsupported', 'zip64 archives are not supported');
  if (count > limits.maxEntries) throw zipRefusal(label, null, 'too-many-entries', `${count} entries, more than the limit of ${limits.maxEntries}`);
  if (cdOffset + cdSize > eocd) throw zipRefusal(label, null, 'not-a-zip', 'the central directory lies outside the file');
  const out: CentralEntry[] = [];
  const seen = new Map<string, string>();
  let total = 0;
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || v.getUint32(p, true) !== CEN_SIG) throw zipRefusal(label, null, 'not-a-zip', `central directory entry ${k + 1} is damaged`);
    const madeBy = v.getUint16(p + 4, true) >> 8;
    const flags = v.getUint16(p + 8, true);
    const method = v.getUint16(p + 10, true);
    const crc = v.getUint32(p + 16, true);
    const compressedSize = v.getUint32(p + 20, true);
    const size = v.getUint32(p + 24, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const external = v.getUint32(p + 38, true);
    const localOffset = v.getUint32(p + 42, true);
    if (p + 46 + nameLen > buf.length) throw zipRefusal(label, null, 'not-a-zip', `central directory entry ${k + 1} is cut off`);
    const name = decodeName(buf.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    p += 46 + nameLen + extraLen + commentLen;
    const broken = nameRule(name);
    if (broken) throw zipRefusal(label, name, broken.rule, broken.why);
    const isDirName = name.endsWith('/');
    // Unix hosts (3) and macOS (19) keep st_mode in the upper 16 bits of the external attributes.
    const mode = madeBy === 3 || madeBy === 19 ? external >>> 16 : 0;
    const type = mode & S_IFMT;
    if (type === S_IFLNK) throw zipRefusal(label, name, 'symlink', 'symbolic links are not extracted');
    if (type !== 0 && type !== S_IFREG && type !== S_IFDIR)
      throw zipRefusal(label, name, 'not-a-file', `file type ${type.toString(8)} is not a regular file or folder`);
    if ((type === S_IFDIR) !== isDirName && type !== 0) throw zipRefusal(label, name, 'not-a-file', 'the entry type and its name disagree');
    if (flags & 0x1) throw zipRefusal(label, name, 'encrypted', 'encrypted entries are not supported');
    if (method !== 0 && method !== 8) throw zipRefusal(label, name, 'unsupported', `compression method ${method} (only store and deflate)`);
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff)
      throw zipRefusal(label, name, 'unsupported', 'zip64 entries are not supported');
    const key = (isDirName ? name.slice(0, -1) : name).toLowerCase();
    const prior = seen.get(key);
    if (prior !== undefined) throw zipRefusal(label, name, 'duplicate-name', `the archive holds ${JSON.stringify(prior)} already`);
    seen.set(key, name);
    total += size;
    if (total > limits.maxUncompressedBytes)
      throw zipRefusal(label, name, 'too-large', `the entries declare more than ${limits.maxUncompressedBytes} uncompressed bytes`);
    out.push({ name, method, flags, crc, compressedSize, size, localOffset, isDir: isDirName });
  }
  // A file entry "a" and a folder "a/" both present, or a file used as a folder ("a" and "a/b"), is a conflict too.
  const files = new Set(out.filter((e) => !e.isDir).map((e) => e.name.toLowerCase()));
  for (const e of out) {
    const parts = e.name.toLowerCase().split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (files.has(parent)) throw zipRefusal(label, e.name, 'duplicate-name', `${JSON.stringify(parent)} is both a file and a folder`);
    }
  }
  return out;
}

function inflateBounded(data: Uint8Array, expected: number, label: string, name: string): Uint8Array {
  const out = new Uint8Array(expected);
  let n = 0;
  const inf = new Inflate((chunk) => {
    if (n + chunk.length > expected) throw zipRefusal(label, name, 'size-mismatch', `inflates to more than the ${expected} bytes it declares`);
    out.set(chunk, n);
    n += chunk.length;
  });
  try {
    if (data.length === 0) inf.push(new Uint8Array(0), true);
    for (let i = 0; i < data.length; i += INFLATE_CHUNK) inf.push(data.subarray(i, i + INFLATE_CHUNK), i + INFLATE_CHUNK >= data.length);
  } catch (e) {
    if (e instanceof WorkbenchException) throw e;
    throw zipRefusal(label, name, 'not-a-zip', `the compressed data is damaged (${e instanceof Error ? e.message : String(e)})`);
  }
  if (n !== expected) throw zipRefusal(label, name, 'size-mismatch', `inflates to ${n} bytes, it declares ${expected}`);
  return out;
}

/**
 * Reads every file of a zip after checking the whole central directory against the rules above; folder
 * entries are dropped. Throws invalid-data naming the entry and the rule; never writes anything.
 */
export function readZip(bytes: Uint8Array, label: string, limits: ZipLimits): ZipFile[] {
  const entries = readCentralDirectory(bytes, label, limits);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ZipFile[] = [];
  for (const e of entries) {
    if (e.isDir) continue;
    const p = e.localOffset;
    if (p + 30 > bytes.length || v.getUint32(p, true) !== LOC_SIG) throw zipRefusal(label, e.name, 'not-a-zip', 'its local header is missing');
    const start = p + 30 + v.getUint16(p + 26, true) + v.getUint16(p + 28, true);
    if (start + e.compressedSize > bytes.length) throw zipRefusal(label, e.name, 'not-a-zip', 'its data runs past the end of the file');
    const raw = bytes.subarray(start, start + e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size) throw zipRefusal(label, e.name, 'size-mismatch', `stored with ${e.compressedSize} bytes, declares ${e.size}`);
      data = raw.slice();
    } else data = inflateBounded(raw, e.size, label, e.name);
    if (crc32(data) !== e.crc) throw zipRefusal(label, e.name, 'checksum', 'CRC-32 mismatch (damaged archive)');
    out.push({ name: e.name, data });
  }
  return out;
}

/** Writes a zip of the given files (deflated at `level`; 0 stores them). */
export function writeZip(files: readonly ZipFile[], level: 0 | 6 = 6): Uint8Array {
  if (level === 0) return storedZip(files);
  const tree: Record<string, [Uint8Array, { level: 0 | 6 }]> = {};
  for (const f of files) {
    const broken = nameRule(f.name);
    if (broken) throw zipRefusal('zip', f.name, broken.rule, broken.why);
    tree[f.name] = [f.data, { level }];
  }
  return zipSync(tree, { mtime: new Date('2000-01-01T00:00:00Z') });
}

/** 2000-01-01 00:00:00 in MS-DOS form (the entries' fixed modification time, as the deflated archives have). */
const DOS_TIME = 0;
const DOS_DATE = ((2000 - 1980) << 9) | (1 << 5) | 1;
/** Version 2.0 (the store and deflate methods), made by MS-DOS (no Unix modes: the reader takes regular files). */
const ZIP_VERSION = 20;
/** General-purpose flag: the name is UTF-8. */
const UTF8_NAME = 0x800;

/** An entry of a stored archive given in pieces (the entry's bytes are their concatenation). */
export interface StoredEntry {
  name: string;
  pieces: readonly Uint8Array[];
}

/**
 * An archive of stored (uncompressed) entries, written here rather than by fflate, as pieces whose concatenation
 * is the archive: the entries' own pieces are among them, not copied (issue 13: a run's kept parameters, 16 MB
 * each at m = 10 000, d = 100, took ~100 ms of the main thread in fflate's CRC-32 and copies, once at set-up and
 * once at the very end; the CRC-32 here is zlib's native one). Entries and the archive stay under 4 GiB (no
 * zip64; the reader refuses it too). Names must pass {@link nameRule}.
 */
export function storedZipPieces(files: readonly StoredEntry[]): Uint8Array[] {
  const enc = new TextEncoder();
  const entries = files.map((f) => {
    const broken = nameRule(f.name);
    if (broken) throw zipRefusal('zip', f.name, broken.rule, broken.why);
    const name = enc.encode(f.name);
    let crc = 0;
    let size = 0;
    for (const p of f.pieces) {
      crc = crc32(p, crc);
      size += p.length;
    }
    return { name, flags: name.length !== f.name.length ? UTF8_NAME : 0, pieces: f.pieces, crc, size };
  });
  let total = 22;
  for (const e of entries) total += 30 + 46 + 2 * e.name.length + e.size;
  if (total > 0xffffffff) throw new WorkbenchException('invalid-data', `zip: ${total} bytes: archives of stored entries stop at 4 GiB`);
  /** the fields the local and the central header share, from "version needed" to the extra field's length */
  const common = (e: (typeof entries)[number]): Field[] => [
    [2, ZIP_VERSION],
    [2, e.flags],
    [2, 0], // stored
    [2, DOS_TIME],
    [2, DOS_DATE],
    [4, e.crc],
    [4, e.size],
    [4, e.size],
    [2, e.name.length],
    [2, 0], // extra field
  ];
  const pieces: Uint8Array[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const e of entries) {
    offsets.push(at);
    const local = header([[4, LOC_SIG], ...common(e)], e.name);
    pieces.push(local, ...e.pieces);
    at += local.length + e.size;
  }
  const cd = entries.map((e, i) =>
    // made by; after the shared fields: comment length, disk, internal and external attributes, local offset
    header([[4, CEN_SIG], [2, ZIP_VERSION], ...common(e), [2, 0], [2, 0], [2, 0], [4, 0], [4, offsets[i]!]], e.name),
  );
  const cdSize = cd.reduce((a, b) => a + b.length, 0);
  const n = entries.length;
  pieces.push(
    ...cd,
    header([
      [4, EOCD_SIG],
      [2, 0],
      [2, 0],
      [2, n],
      [2, n],
      [4, cdSize],
      [4, at],
      [2, 0],
    ]),
  );
  return pieces;
}

/** A little-endian header field: its width in bytes and its value. */
type Field = readonly [2 | 4, number];

/** A header of little-endian `fields`, then `name`'s bytes. */
function header(fields: readonly Field[], name: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(fields.reduce((a, [w]) => a + w, 0) + name.length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [w, v] of fields) {
    if (w === 2) view.setUint16(at, v, true);
    else view.setUint32(at, v, true);
    at += w;
  }
  out.set(name, at);
  return out;
}

/** {@link storedZipPieces} in one array. */
function storedZip(files: readonly ZipFile[]): Uint8Array {
  return concatBytes(storedZipPieces(files.map((f) => ({ name: f.name, pieces: [f.data] }))));
}

/** The concatenation of `pieces` in a new array. */
export function concatBytes(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
