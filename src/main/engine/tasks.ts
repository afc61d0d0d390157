/**
 * One-shot engine computations requested by the host (CLI `kernel`, `theory`, `ntk`; the UI's theory
 * preview). Arguments arrive as structured-cloned data and are checked here.
 */
import { z } from 'zod';
import { WorkbenchException } from '../../shared/api/result';
import { parseConfig, issuesToText, type Config } from '../../shared/config/schema';
import type { EngineTask } from './protocol';
import { regimeKernel } from './ntk/infiniteKernels';
import { symmetricEigen, type EigDiagnostics } from './linalg';
import { theoryReport } from './theory';
import { buildDataset, parseCsv, prepareDataset } from './datasets';
import { ntkReport } from './ntkReport';
import { loadBackend } from './backends/select';
import { assertFits, matrixBytes } from './memory';
import { isRelatedTask, runRelatedTask } from './related/tasks';

const kernelArgs = z.object({
  csvText: z.string(),
  kernel: z.enum(['enc', 'dec', 'joint']),
  kappa: z.number().positive(),
  nu: z.number().positive(),
  memoryLimitMiB: z.number().positive(),
});
const theoryArgs = z.object({
  csvText: z.string(),
  kappa: z.number().positive(),
  nu: z.number().positive(),
  steps: z.array(z.number().int().min(0)),
  delta: z.number().positive().max(1),
  memoryLimitMiB: z.number().positive(),
});
const csvInspectArgs = z.object({ csvText: z.string() });
const ntkArgs = z.object({ config: z.unknown(), atStep: z.number().int().min(0), full: z.boolean(), matrix: z.boolean().optional() });

/** Arguments of the `kernel` task. */
export type KernelTaskArgs = z.input<typeof kernelArgs>;
/** Arguments of the `theory` task. */
export type TheoryTaskArgs = z.input<typeof theoryArgs>;
/** Arguments of the `ntk` task. */
export type NtkTaskArgs = z.input<typeof ntkArgs>;

/** What the `kernel` task answers: a Gram matrix (rows), its eigenvalues (ascending) and the solver's diagnostics. */
export interface KernelTaskResult {
  kernel: 'enc' | 'dec' | 'joint';
  n: number;
  d: number;
  kappa: number;
  nu: number;
  gram: number[][];
  eigenvalues: number[];
  diagnostics: EigDiagnostics;
}

function config(raw: unknown): Config {
  const r = parseConfig(raw);
  if (!r.ok) throw new WorkbenchException('invalid-config', issuesToText(r.issues), { issues: r.issues });
  return r.config;
}

function rows(a: Float64Array, n: number, c: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) out.push(Array.from(a.subarray(i * c, (i + 1) * c)));
  return out;
}

/** Runs one task and returns a structured-clonable result. */
export async function runTask(task: EngineTask, raw: unknown): Promise<unknown> {
  switch (task) {
    case 'kernel': {
      const a = kernelArgs.parse(raw);
      const { X, d, n } = parseCsv(a.csvText);
      assertFits(matrixBytes(n, n) * 3, a.memoryLimitMiB, `the ${n}×${n} Gram matrix and its eigendecomposition`);
      const gram =
        a.kernel === 'joint'
          ? regimeKernel('joint', X, d, n, { kappa: a.kappa, nu: a.nu })
          : a.kernel === 'enc'
            ? regimeKernel('weak', X, d, n, { kappa: a.kappa, nu: a.nu })
            : regimeKernel('decoder', X, d, n, { kappa: a.kappa, nu: a.nu });
      const eig = symmetricEigen(gram, n);
      const result: KernelTaskResult = {
        kernel: a.kernel,
        n,
        d,
        kappa: a.kappa,
        nu: a.nu,
        gram: rows(gram, n, n),
        eigenvalues: Array.from(eig.values),
        diagnostics: eig.diagnostics,
      };
      return result;
    }
    case 'theory': {
      const a = theoryArgs.parse(raw);
      const { X, d, n } = parseCsv(a.csvText);
      assertFits(matrixBytes(n, n) * 6, a.memoryLimitMiB, `the ${n}×${n} kernels and their eigendecompositions`);
      return theoryReport(X, d, n, { kappa: a.kappa, nu: a.nu, steps: a.steps, delta: a.delta });
    }
    case 'ntk': {
      const a = ntkArgs.parse(raw);
      const c = config(a.config);
      const { backend } = await loadBackend(c.backend, c.dtype);
      try {
        return await ntkReport(c, backend, { atStep: a.atStep, full: a.full, matrix: a.matrix === true });
      } finally {
        backend.dispose();
      }
    }
    case 'run-theory': {
      const c = config(raw);
      await prepareDataset(c);
      const data = buildDataset(c);
      assertFits(matrixBytes(data.n, data.n) * 6, c.memoryLimitMiB, `the ${data.n}×${data.n} kernels`);
      const report = theoryReport(data.X, data.d, data.n, { kappa: c.kappa, nu: c.nu, steps: [10, 100, 1000, c.steps], delta: 0.1 });
      return { n: data.n, d: data.d, warnings: data.warnings, report };
    }
    case 'csv-inspect': {
      // The same parser a run uses, so a file that passes here cannot fail there for its format.
      const { d, n, header } = parseCsv(csvInspectArgs.parse(raw).csvText);
      return { rows: n, columns: d, header };
    }
    default:
      if (isRelatedTask(task)) return runRelatedTask(task, raw);
      throw new WorkbenchException('invalid-request', `unknown engine task ${String(task)}`);
  }
}
