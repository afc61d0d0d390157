/**
 * NumPy `.npy` files (format version 1.0) and `.npz` archives of them, so that Python opens what the
 * workbench writes with one `np.load(...)`.
 *
 *   bytes 0–5   magic "\x93NUMPY"
 *   bytes 6–7   version 1, 0
 *   bytes 8–9   header length h, uint16 little-endian
 *   h bytes     ASCII dict {'descr': '<f8', 'fortran_order': False, 'shape': (m, d), } padded with spaces and
 *               ending in '\n' so that the data starts at a multiple of 64 bytes
 *   the data    little-endian, C order (row-major)
 *
 * Dtypes written and read: '<f8' (float64), '<f4' (float32), '<i8' (int64, for step counters). The reader
 * also accepts versions 2.0 and 3.0 (uint32 header length), which NumPy writes for very long headers.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { LITTLE_ENDIAN } from '../checkpoint';
import { concatBytes, readZip, storedZipPieces } from './zip';

export type NpyDtype = '<f8' | '<f4' | '<i8';

/** One array: its dtype, shape (C order) and data. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: Float64Array | Float32Array | BigInt64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
const BYTES: Record<NpyDtype, number> = { '<f8': 8, '<f4': 4, '<i8': 8 };

function bad(label: string, why: string): WorkbenchException {
  return new WorkbenchException('invalid-data', `${label}: not a readable .npy file: ${why}`, { file: label });
}

function dtypeOf(data: NpyArray['data']): NpyDtype {
  if (data instanceof Float64Array) return '<f8';
  if (data instanceof Float32Array) return '<f4';
  return '<i8';
}

/** The Python tuple literal of a shape: () for a scalar, (n,) for a vector, (m, d) otherwise. */
function shapeLiteral(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Encodes an array as the bytes of a version 1.0 `.npy` file (little-endian whatever the machine, C order).
 * Throws invalid-data when the shape does not match the data's length.
 */
export function encodeNpy(data: Float64Array | Float32Array | BigInt64Array, shape: readonly number[]): Uint8Array {
  return concatBytes(npyPieces(data, shape));
}

/**
 * {@link encodeNpy} as two pieces, the header and the values; on a little-endian machine the values' piece is the
 * data's own bytes (a view, not a copy).
 */
export function npyPieces(data: Float64Array | Float32Array | BigInt64Array, shape: readonly number[]): [Uint8Array, Uint8Array] {
  if (!shape.every((s) => Number.isInteger(s) && s >= 0))
    throw new WorkbenchException('invalid-data', `npy shape: expected integers ≥ 0, got [${shape.join(', ')}]`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new WorkbenchException('invalid-data', `npy shape [${shape.join(', ')}] holds ${count} values, the data has ${data.length}`);
  const dtype = dtypeOf(data);
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / ALIGN) * ALIGN;
  const header = dict + ' '.repeat(total - unpadded) + '\n';
  if (header.length > 0xffff) throw new WorkbenchException('invalid-data', `npy header of ${header.length} bytes does not fit version 1.0`);
  const head = new Uint8Array(total);
  head.set(MAGIC, 0);
  head[6] = 1;
  head[7] = 0;
  new DataView(head.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) head[10 + i] = header.charCodeAt(i);
  if (LITTLE_ENDIAN) return [head, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
  // Explicit little-endian writes: the file is '<' on a big-endian machine too.
  const width = BYTES[dtype];
  const body = new Uint8Array(data.length * width);
  const view = new DataView(body.buffer);
  let o = 0;
  if (data instanceof Float64Array) for (let i = 0; i < data.length; i++, o += 8) view.setFloat64(o, data[i]!, true);
  else if (data instanceof Float32Array) for (let i = 0; i < data.length; i++, o += 4) view.setFloat32(o, data[i]!, true);
  else for (let i = 0; i < data.length; i++, o += 8) view.setBigInt64(o, data[i]!, true);
  return [head, body];
}

/** Parses the header dict of a .npy file without evaluating it (only the three keys NumPy writes). */
function parseHeader(text: string, label: string): { dtype: NpyDtype; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad(label, `header ${JSON.stringify(text.trim().slice(0, 120))} lacks descr, fortran_order or shape`);
  if (descr !== '<f8' && descr !== '<f4' && descr !== '<i8') throw bad(label, `dtype ${descr} is not one of <f8, <f4, <i8`);
  if (fortran === 'True') throw bad(label, 'Fortran (column-major) order is not supported; save with np.ascontiguousarray');
  const parts = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = parts.map((s) => Number(s));
  if (!shape.every((s) => Number.isInteger(s) && s >= 0)) throw bad(label, `bad shape (${shapeText})`);
  return { dtype: descr, shape };
}

/** Decodes a `.npy` file (versions 1.0–3.0; '<f8', '<f4', '<i8'; C order). `label` names it in errors. */
export function decodeNpy(bytes: Uint8Array, label = 'array'): NpyArray {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw bad(label, 'bad magic');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad(label, 'truncated header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw bad(label, `format version ${major}.${bytes[7]} is not supported`);
  if (start + headerLen > bytes.length) throw bad(label, 'truncated header');
  let text = '';
  for (let i = 0; i < headerLen; i++) text += String.fromCharCode(bytes[start + i]!);
  const { dtype, shape } = parseHeader(text, label);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  const width = BYTES[dtype];
  if (bytes.length - off !== count * width) throw bad(label, `shape (${shape.join(', ')}) needs ${count * width} data bytes, found ${bytes.length - off}`);
  let data: NpyArray['data'];
  if (dtype === '<f8') {
    const a = new Float64Array(count);
    for (let i = 0; i < count; i++) a[i] = view.getFloat64(off + i * 8, true);
    data = a;
  } else if (dtype === '<f4') {
    const a = new Float32Array(count);
    for (let i = 0; i < count; i++) a[i] = view.getFloat32(off + i * 4, true);
    data = a;
  } else {
    const a = new BigInt64Array(count);
    for (let i = 0; i < count; i++) a[i] = view.getBigInt64(off + i * 8, true);
    data = a;
  }
  return { dtype, shape, data };
}

/** An `.npz` archive (what `np.savez` writes): a stored zip of `<name>.npy` files. */
export function encodeNpz(arrays: Record<string, { data: NpyArray['data']; shape: readonly number[] }>): Uint8Array {
  return concatBytes(npzPieces(arrays));
}

/** {@link encodeNpz} as pieces whose concatenation is the archive (the arrays' own bytes among them: see {@link npyPieces}). */
export function npzPieces(arrays: Record<string, { data: NpyArray['data']; shape: readonly number[] }>): Uint8Array[] {
  const files = Object.entries(arrays).map(([name, a]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new WorkbenchException('invalid-data', `npz array name ${JSON.stringify(name)}: expected a Python identifier`);
    return { name: `${name}.npy`, pieces: npyPieces(a.data, a.shape) };
  });
  return storedZipPieces(files);
}

/**
 * Decodes an `.npz` archive (ours, or NumPy's savez) into its arrays by name, through the hostile-zip
 * checks: a run folder may have come from someone else's archive.
 */
export function decodeNpz(bytes: Uint8Array, label = 'archive', maxBytes = 2 ** 32 - 1): Record<string, NpyArray> {
  const out: Record<string, NpyArray> = {};
  for (const f of readZip(bytes, label, { maxEntries: 64, maxUncompressedBytes: maxBytes })) {
    if (!f.name.endsWith('.npy')) continue;
    out[f.name.slice(0, -4)] = decodeNpy(f.data, `${label}:${f.name}`);
  }
  return out;
}
