/**
 * Backend selection at start-up (issue 6): 'auto' tries tensorflow → onnx-cuda → onnx → wasm → tfjs-cpu → js, each
 * falling back with a logged reason; a pinned backend that cannot serve the request is an error that
 * names the backend and why.
 *
 * Every library is loaded through a dynamic import inside try/catch, so a missing or broken native addon
 * (tfjs-node without libtensorflow, an onnxruntime binary for another platform) becomes a reason string,
 * never a crash at import time.
 */
import { createRequire } from 'node:module';
import { WorkbenchException } from '../../../shared/api/result';
import type { BackendChoice, BackendName, Dtype } from '../../../shared/config/schema';
import type { BackendLoadAttempt, ComputeBackend } from './types';
import { TFJS_NODE_HINT, TFJS_NODE_PACKAGES } from './tfjsPackages';

/** Options every loader receives. */
export interface BackendLoadOptions {
  /** intra-op threads for native backends (default: cores − 1, at least 1) */
  threads?: number;
}

/** Loads one backend or throws with the reason it is unavailable. */
export type BackendLoader = (opts: BackendLoadOptions) => Promise<ComputeBackend>;

/** Start-up order for 'auto' (fastest first; 'js' always loads). */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow', 'onnx-cuda', 'onnx', 'wasm', 'tfjs-cpu', 'js'];

/**
 * The dtypes each backend can offer, known before loading it: a float64 request skips the float32-only
 * libraries without paying for their import.
 */
export const BACKEND_DTYPES: Readonly<Record<BackendName, readonly Dtype[]>> = {
  tensorflow: ['float32'],
  'onnx-cuda': ['float32', 'float64'],
  onnx: ['float32', 'float64'],
  wasm: ['float32'],
  'tfjs-cpu': ['float32'],
  js: ['float64', 'float32'],
};

/**
 * onnxruntime writes `mat-debug-<pid>.log` and `.ses` into the temp folder unless ORT_DISABLE_TELEMETRY is
 * set in the process environment when it loads. This covers loads on the main thread (bench, tests); engine
 * workers get it from the host, which sets it before they start (a worker's process.env is its own copy).
 */
function quietOnnx(): void {
  if (process.env.ORT_DISABLE_TELEMETRY === undefined) process.env.ORT_DISABLE_TELEMETRY = '1';
}

/** Whether a package can be found, without loading it (any answer but "not found" leaves it to the import). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code !== 'MODULE_NOT_FOUND';
  }
}

/** The real loaders (each imports its library lazily). */
export const DEFAULT_LOADERS: Readonly<Record<BackendName, BackendLoader>> = {
  tensorflow: async () => {
    // Where neither tfjs-node package is installed (any machine not set up for it) that is said without loading
    // tfjs-core and the wasm backend first: ~150 ms of every run's start (issue 13).
    if (!TFJS_NODE_PACKAGES.some(installed)) throw new Error(`${TFJS_NODE_PACKAGES.map((p) => `${p}: not installed`).join('; ')} (${TFJS_NODE_HINT})`);
    return (await import('./tfjsBackend')).createTfjsBackend('tensorflow');
  },
  'onnx-cuda': async (opts) => (quietOnnx(), await import('./onnxBackend')).createOnnxCudaBackend(opts.threads === undefined ? {} : { threads: opts.threads }),
  onnx: async (opts) => (quietOnnx(), await import('./onnxBackend')).createOnnxBackend(opts.threads === undefined ? {} : { threads: opts.threads }),
  wasm: async () => (await import('./tfjsBackend')).createTfjsBackend('wasm'),
  'tfjs-cpu': async () => (await import('./tfjsBackend')).createTfjsBackend('tfjs-cpu'),
  js: async () => (await import('./jsBackend')).createJsBackend(),
};

/** Options of {@link loadBackend}. */
export interface LoadBackendOptions extends BackendLoadOptions {
  log?: (msg: string) => void;
  /** replaces some loaders (tests inject failing ones) */
  loaders?: Partial<Record<BackendName, BackendLoader>>;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.message;
  return String(err);
}

async function tryLoad(
  name: BackendName,
  dtype: Dtype | null,
  opts: LoadBackendOptions,
): Promise<{ backend: ComputeBackend | null; attempt: BackendLoadAttempt }> {
  if (dtype !== null && !BACKEND_DTYPES[name].includes(dtype)) {
    return { backend: null, attempt: { name, ok: false, reason: `offers ${BACKEND_DTYPES[name].join(', ')} only, not ${dtype}` } };
  }
  const loader = opts.loaders?.[name] ?? DEFAULT_LOADERS[name];
  let backend: ComputeBackend;
  try {
    backend = await loader(opts.threads === undefined ? {} : { threads: opts.threads });
  } catch (err) {
    return { backend: null, attempt: { name, ok: false, reason: `failed to load: ${errorText(err)}` } };
  }
  if (dtype !== null && !backend.dtypes.includes(dtype)) {
    backend.dispose();
    return { backend: null, attempt: { name, ok: false, reason: `offers ${backend.dtypes.join(', ')} only, not ${dtype}` } };
  }
  return { backend, attempt: { name, ok: true, reason: backend.description } };
}

/**
 * Loads the compute backend for a run: for 'auto' the first of {@link AUTO_ORDER} that loads and offers
 * `dtype` (each skip is logged with its reason); for a pinned choice exactly that one.
 * @throws WorkbenchException('backend-unavailable') when a pinned backend cannot load or lacks the dtype,
 *   with the message "backend 'NAME' is not available: REASON".
 */
export async function loadBackend(
  choice: BackendChoice,
  dtype: Dtype,
  opts: LoadBackendOptions = {},
): Promise<{ backend: ComputeBackend; attempts: BackendLoadAttempt[] }> {
  const log = opts.log ?? (() => undefined);
  const order: readonly BackendName[] = choice === 'auto' ? AUTO_ORDER : [choice];
  const attempts: BackendLoadAttempt[] = [];
  for (const name of order) {
    const { backend, attempt } = await tryLoad(name, dtype, opts);
    attempts.push(attempt);
    if (backend !== null) {
      log(`backend '${name}' (${dtype}) loaded: ${attempt.reason}`);
      return { backend, attempts };
    }
    if (choice === 'auto') log(`backend '${name}' skipped: ${attempt.reason}`);
  }
  if (choice !== 'auto') {
    const reason = attempts[0]?.reason ?? 'unknown';
    throw new WorkbenchException('backend-unavailable', `backend '${choice}' is not available: ${reason}`, {
      backend: choice,
      dtype,
      reason,
    });
  }
  throw new WorkbenchException('backend-unavailable', `no backend is available for ${dtype}: ${attempts.map((a) => `${a.name}: ${a.reason}`).join('; ')}`, {
    dtype,
    attempts,
  });
}

/**
 * Tries every backend once (regardless of dtype) for the UI's backend display: `ok` with the
 * description and offered dtypes, or the reason it is unavailable. Loaded backends are disposed again.
 */
export async function probeBackends(opts: Omit<LoadBackendOptions, 'log'> = {}): Promise<BackendLoadAttempt[]> {
  const out: BackendLoadAttempt[] = [];
  for (const name of AUTO_ORDER) {
    const { backend, attempt } = await tryLoad(name, null, opts);
    if (backend !== null) {
      out.push({ name, ok: true, reason: `${backend.description} [${backend.dtypes.join(', ')}]` });
      backend.dispose();
    } else {
      out.push(attempt);
    }
  }
  return out;
}
