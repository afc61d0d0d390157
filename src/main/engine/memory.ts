/**
 * Memory estimates made before any large matrix is allocated, and the refusal above the configured
 * limit (config key memoryLimitMiB; the CLI exits with code 4 for 'too-large').
 */
import { WorkbenchException } from '../../shared/api/result';

const MIB = 1024 * 1024;

/** Bytes of a dense rows×cols matrix with `bytesPerEntry` bytes per entry (8 = float64, the default). */
export function matrixBytes(rows: number, cols: number, bytesPerEntry = 8): number {
  if (!(rows >= 0) || !(cols >= 0) || !(bytesPerEntry > 0)) {
    throw new RangeError(`matrixBytes: expected rows, cols ≥ 0 and bytesPerEntry > 0, got ${rows}, ${cols}, ${bytesPerEntry}`);
  }
  return rows * cols * bytesPerEntry;
}

/** Formats a byte count in MiB for messages (one decimal below 10 MiB, whole MiB above). */
export function formatMiB(bytes: number): string {
  const mib = bytes / MIB;
  if (mib < 10) return (Math.ceil(mib * 10) / 10).toFixed(1);
  return String(Math.ceil(mib));
}

/**
 * Throws WorkbenchException('too-large') when `bytes` exceed `limitMiB` MiB, with the message
 * `<what> needs ~X MiB, above the limit of Y MiB (memoryLimitMiB)` and details { bytes, limitMiB }.
 */
export function assertFits(bytes: number, limitMiB: number, what: string): void {
  if (bytes > limitMiB * MIB || !Number.isFinite(bytes)) {
    throw new WorkbenchException('too-large', `${what} needs ~${formatMiB(bytes)} MiB, above the limit of ${limitMiB} MiB (memoryLimitMiB)`, {
      bytes,
      limitMiB,
    });
  }
}
