import { describe, expect, it } from 'vitest';
import { runRelatedTask, isRelatedTask, RELATED_TASKS } from '../../../../../src/main/engine/related/tasks';
import { runTask } from '../../../../../src/main/engine/tasks';
import { WorkbenchException } from '../../../../../src/shared/api/result';

async function failure(p: Promise<unknown>): Promise<WorkbenchException> {
  try {
    await p;
  } catch (e) {
    if (e instanceof WorkbenchException) return e;
    throw e;
  }
  throw new Error('expected the task to fail');
}

describe('runRelatedTask()', () => {
  it('is reached through the engine task switch for every related task name', async () => {
    for (const t of RELATED_TASKS) expect(isRelatedTask(t)).toBe(true);
    const r = (await runTask('related-kernel', { data: { source: 'sphere', n: 5, d: 3 }, spec: { kind: 'jacot', layers: 3 } })) as {
      n: number;
      eigenvalues: number[];
      gram: number[][];
    };
    expect(r.n).toBe(5);
    expect(r.gram).toHaveLength(5);
    expect(r.eigenvalues[0]!).toBeGreaterThan(0);
  });

  it('names the field and rule of an invalid request', async () => {
    const e = await failure(runRelatedTask('related-kernel', { data: { source: 'sphere', n: 5, d: 3 }, spec: { kind: 'jacot', layers: 0 } }));
    expect(e.code).toBe('invalid-request');
    expect(e.message).toMatch(/^spec\.layers: /);
    const f = await failure(runRelatedTask('rntk', { data: { source: 'arrays', sequences: [] }, readout: 'last' }));
    expect(f.message).toMatch(/^data\.sequences: /);
  });

  it('puts the request field in front of a data error (line and column for CSV)', async () => {
    const e = await failure(
      runRelatedTask('krr', { train: { source: 'csv', csvText: '1,2\n3,4\n' }, test: { source: 'csv', csvText: '1,2\n3,zz\n' }, spec: { kind: 'enc' } }),
    );
    expect(e.code).toBe('invalid-data');
    expect(e.message).toBe('test: line 2, column 2: "zz" is not a number');
  });

  it('refuses a Gram above the memory limit before computing it', async () => {
    const e = await failure(runRelatedTask('rntk', { data: { source: 'builtin', name: 'sines', count: 3000 }, readout: 'avg', memoryLimitMiB: 64 }));
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/3000×3000 recurrent kernels needs ~\d+ MiB, above the limit of 64 MiB/);
  });

  it('asks for targets when regressing on sequences, which have none by default', async () => {
    const seqs = { source: 'arrays', sequences: [[[1], [2]], [[0.5]]] };
    const e = await failure(runRelatedTask('krr', { train: seqs, test: seqs, spec: { kind: 'rntk' } }));
    expect(e.message).toMatch(/^targets: sequences have no default targets/);
    const r = (await runRelatedTask('krr', {
      train: seqs,
      test: seqs,
      targets: { source: 'rows', rows: [[1], [-1]] },
      spec: { kind: 'rntk', readout: 'avg' },
    })) as { predictions: number[][] };
    expect(r.predictions[0]![0]).toBeCloseTo(1, 8);
    expect(r.predictions[1]![0]).toBeCloseTo(-1, 8);
  });

  it('runs the panel tasks on tiny inputs', async () => {
    const circle = (await runRelatedTask('jacot-circle', { widths: [8], seeds: 2, gridPoints: 5, steps: 2, layers: 2 })) as {
      gammas: number[];
      widths: unknown[];
    };
    expect(circle.gammas).toHaveLength(5);
    const w = (await runRelatedTask('weighted-ntk', { data: { source: 'sphere', n: 4, d: 3 }, width: 20, steps: 3, continuumPoints: 2 })) as {
      steps: number[];
    };
    expect(w.steps).toEqual([0, 1, 2, 3]);
    const study = (await runRelatedTask('rntk-study', { data: { source: 'builtin', name: 'sines', count: 12, minLength: 3, maxLength: 5 }, sigmaWs: [1] })) as {
      rows: { accuracy: number }[];
    };
    expect(study.rows).toHaveLength(1);
    const sweep = (await runRelatedTask('rf-sweep', { data: { source: 'sphere', n: 8, d: 3 }, m0s: [4, 8], seeds: 2, nTest: 2 })) as {
      rows: unknown[];
      exactMs: null;
    };
    expect(sweep.rows).toHaveLength(2);
    expect(sweep.exactMs).toBeNull();
  });
});
