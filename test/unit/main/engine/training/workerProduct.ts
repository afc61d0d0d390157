import { installFloat64Gemm } from '../../../../../src/main/engine/linalg';
import { loadSyncFloat64Gemm } from '../../../../../src/main/engine/backends/float64Matmul';

/**
 * Installs in this thread the float64 product that the engine worker and the theory thread install (the
 * eigenvectors' divide-and-conquer merges, n ≥ 200), so that what a test computes in place multiplies exactly
 * as a run in the worker does; returns the undo, for afterAll.
 */
export function multiplyAsTheWorkerDoes(): () => void {
  installFloat64Gemm(() => loadSyncFloat64Gemm(1));
  return () => installFloat64Gemm(null);
}
