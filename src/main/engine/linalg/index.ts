/**
 * The linear algebra of the engine (SPEC §8), float64 throughout: dense products, the full symmetric
 * eigensolver and the extreme-eigenpair solvers. This file is the folder's public face: code outside
 * src/main/engine/linalg imports from here only (ESLint enforces it), so that the kernels behind it
 * (kernels/*.wat and the TypeScript that drives them) can change freely.
 *
 * Threads: the large symmetric products of the eigensolvers also run on helper threads once the engine
 * worker installs a spawner ({@link installSymvThreads}); without one everything runs on the calling thread.
 */
export { columnNorms, frobeniusNorm, gramCols, gramRows, matmul, matmulTransA, transpose } from './dense';
export { gemmNT, gemmNTAdd, type StridedMatrix } from './gemm';
export { gramUpperAdd } from './syr2k';
export { mirrorUpperToLower } from './householderTridiagonal';
export { symmetricEigen, type EigResult, type SymmetricEigenOptions } from './symmetricEigen';
export { extremeEigen, type ExtremeEigenDiagnostics, type ExtremeEigenOptions, type ExtremeEigenResult, type SymOperator } from './extremeEigen';
export { FULL_EIG_MAX_N, largestEigenvalue, spectralNormOfValues, symmetricSpectralNorm } from './largestEigenvalue';
export type { AbortFlag, EigDiagnostics } from './diagnostics';
export { installSymvThreads, setSymvHelperScript, setSymvThreads, type HelperSpawner, type HelperThread } from './symvThreads';
export { isSymvHelperData, type SymvHelperData, type SymvMemoryMessage } from './symvRows';
export { lanczosLargestAsync, type LanczosAsyncOptions, type LanczosAsyncResult } from './lanczosAsync';
export { warmUpEigensolvers } from './warmUp';
export { releaseIdleKernels } from './wasmKernels';
export { installFloat64Gemm, matmulFast, type Float64Gemm } from './fastGemm';
