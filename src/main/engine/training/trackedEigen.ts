/**
 * The eigenvalues of a tracked step's traced NTK (issue 13): its k smallest and k largest, now and then its full
 * spectrum, as one job from plain inputs to plain outputs. The tracker runs it in place, or — from
 * {@link EIGEN_THREAD_MIN_N} on, where the engine worker installed one — on a thread of its own
 * (engine/eigenThread.ts) while it computes the step's other diagnostics: at n = 1000 the two halves take
 * ~150 and ~120 ms, and the second core is otherwise idle between GD steps.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { extremeEigen, FULL_EIG_MAX_N, symmetricEigen } from '../linalg';

/** From this n on a tracked step's eigenvalues go to the installed thread (below they take milliseconds). */
export const EIGEN_THREAD_MIN_N = 256;

/** What one tracked step's eigenvalues are computed from (structured-cloneable). */
export interface TrackedEigenJob {
  /** the traced NTK [n, n] (a SharedArrayBuffer-backed array reaches the thread without a copy) */
  H: Float64Array;
  n: number;
  /** how many of the smallest and of the largest */
  k: number;
  /** the full spectrum as well */
  spectrum: boolean;
  /** the previous tracked step's eigenvectors, to start from */
  warmMin?: Float64Array[];
  warmMax?: Float64Array[];
  /**
   * the previous tracked step's smallest eigenvalue: the smallest are then solved for shifted to
   * {@link SHIFT_FRACTION} of it (see {@link trackedEigen})
   */
  previousMin?: number;
  /**
   * On the thread: start from the previous job's outcome there (its vectors and λ_min, as {@link nextWarm} keeps
   * them) instead of the fields above. A tracked step sets it while its previous job is still on the thread,
   * so that every step starts from what the step before it found, wherever and whenever that was computed.
   */
  fromPrevious?: boolean;
}

/** What a tracked step's eigensolves start from: the previous tracked step's vectors and smallest eigenvalue. */
export interface WarmState {
  warmMin?: Float64Array[];
  warmMax?: Float64Array[];
  lastMin?: number;
}

/**
 * The warm state after a tracked step's eigenvalues `r`, from the state `s` its solve started from: a step
 * without eigenvalues (a note) keeps the last λ_min (it moves slowly, and a shift too high costs only time)
 * and drops the vectors; the vectors come from the extreme eigensolvers only.
 */
export function nextWarm(s: WarmState, r: TrackedEigenResult): WarmState {
  const out: WarmState = {};
  const lastMin = r.eigMin?.[0] ?? s.lastMin;
  if (lastMin !== undefined) out.lastMin = lastMin;
  const fresh = r.warmMin !== undefined || r.note !== undefined;
  const warmMin = fresh ? r.warmMin : s.warmMin;
  const warmMax = fresh ? r.warmMax : s.warmMax;
  if (warmMin !== undefined) out.warmMin = warmMin;
  if (warmMax !== undefined) out.warmMax = warmMax;
  return out;
}

/** `job` started from the warm state `s` (its own warm fields and `fromPrevious` replaced). */
export function startingFrom(job: TrackedEigenJob, s: WarmState): TrackedEigenJob {
  const { warmMin: _a, warmMax: _b, previousMin: _c, fromPrevious: _d, ...rest } = job;
  const out: TrackedEigenJob = { ...rest };
  if (s.warmMin !== undefined) out.warmMin = s.warmMin;
  if (s.warmMax !== undefined) out.warmMax = s.warmMax;
  if (s.lastMin !== undefined) out.previousMin = s.lastMin;
  return out;
}

/** The warm state a job starts from (its own fields). */
function stateOf(job: TrackedEigenJob): WarmState {
  const s: WarmState = {};
  if (job.warmMin !== undefined) s.warmMin = job.warmMin;
  if (job.warmMax !== undefined) s.warmMax = job.warmMax;
  if (job.previousMin !== undefined) s.lastMin = job.previousMin;
  return s;
}

/** The eigenvalues of a tracked step (structured-cloneable). */
export interface TrackedEigenResult {
  /** ascending */
  eigMin?: number[];
  /** descending */
  eigMax?: number[];
  spectrum?: number[];
  /** the eigenvectors the next tracked step starts from (absent: start afresh) */
  warmMin?: Float64Array[];
  warmMax?: Float64Array[];
  /** why the eigenvalues are missing (an eigensolve that did not converge: the run goes on without them) */
  note?: string;
}

/** The thread's one answer to a job: the result, or the error that the same job in place would have thrown. */
export type TrackedEigenReply = { ok: true; result: TrackedEigenResult } | { ok: false; message: string; code?: string };

/**
 * The shift of the smallest eigenvalues' solve, as a fraction of the previous tracked step's λ_min. The traced
 * NTK's bottom is a tight cluster (at n = 1000, m = 10000: 0.1760, 0.1768, 0.1775, 0.1784, …), which Lanczos on
 * A⁻¹ separates slowly (~105 solves even from the previous step's vectors); on (A − 0.9·λ_min·I)⁻¹ the same
 * values take ~40, about half the solve's time (the Cholesky factor is the rest). λ_min moves little between
 * tracked steps (~0.4% in 10 GD steps there); should it fall below the shift, the factor does not exist and
 * the solve goes on unshifted, as without a previous value.
 */
export const SHIFT_FRACTION = 0.9;

/** A tracked step's eigenvalues (see the module doc); other eigensolver errors than 'not-converged' are thrown. */
export function trackedEigen(job: TrackedEigenJob): TrackedEigenResult {
  const { H, n, k } = job;
  try {
    if (n <= FULL_EIG_MAX_N || job.spectrum) {
      const vals = symmetricEigen(H, n).values;
      const out: TrackedEigenResult = { eigMin: Array.from(vals.subarray(0, k)), eigMax: Array.from(vals.subarray(n - k)).reverse() };
      if (job.spectrum) out.spectrum = Array.from(vals);
      return out;
    }
    const shift = job.previousMin !== undefined && job.previousMin > 0 ? SHIFT_FRACTION * job.previousMin : undefined;
    const lo = extremeEigen({ n, matrix: H }, { k, which: 'smallest', warmStart: job.warmMin, ...(shift !== undefined ? { shift } : {}) });
    const hi = extremeEigen({ n, matrix: H }, { k, which: 'largest', warmStart: job.warmMax });
    return {
      eigMin: Array.from(lo.values).sort((x, y) => x - y),
      eigMax: Array.from(hi.values).sort((x, y) => y - x),
      warmMin: lo.vectors,
      warmMax: hi.vectors,
    };
  } catch (e) {
    // An unconverged eigensolve must not end the run: the record says why its eigenvalues are missing.
    if (!(e instanceof WorkbenchException) || e.code !== 'not-converged') throw e;
    return { note: e.message };
  }
}

/**
 * {@link trackedEigen} as the thread answers it: every error becomes a reply. The thread keeps the warm state of
 * its last job in `chain`, which a job with `fromPrevious` starts from (and every job leaves its own there).
 */
export function trackedEigenReply(job: TrackedEigenJob, chain: { state: WarmState } = { state: {} }): TrackedEigenReply {
  try {
    const started = job.fromPrevious === true ? startingFrom(job, chain.state) : job;
    const result = trackedEigen(started);
    chain.state = nextWarm(stateOf(started), result);
    return { ok: true, result };
  } catch (e) {
    chain.state = {};
    if (e instanceof WorkbenchException) return { ok: false, message: e.message, code: e.code };
    return { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
}

/** A thread that computes tracked steps' eigenvalues, one job at a time (the engine worker starts it). */
export interface EigenThread {
  /** whether it is up and has not failed: a tracked step computes in place otherwise, rather than wait for it */
  readonly ready: boolean;
  /** the job's reply; rejects when the thread fails or exits (not when the job throws: see the reply) */
  solve(job: TrackedEigenJob): Promise<TrackedEigenReply>;
  close(): void;
}

let eigenThreadFactory: (() => EigenThread | null) | null = null;

/**
 * Lets runs started from now on compute their tracked eigenvalues on a thread that `factory` gives them (asked
 * once per run; none when it returns null; null: in place, the default). A thread that fails says so itself; its run
 * goes on computing in place.
 */
export function installEigenThread(factory: (() => EigenThread | null) | null): void {
  eigenThreadFactory = factory;
}

/** A thread for a run's tracked eigenvalues, when one is installed and the run will use it. */
export function startEigenThread(wanted: boolean): EigenThread | null {
  return wanted && eigenThreadFactory !== null ? eigenThreadFactory() : null;
}
