import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkbenchService } from '../../../../src/main/services/workbench';
import { regimeKernel } from '../../../../src/main/engine/ntk/infiniteKernels';

let dir: string;
let svc: WorkbenchService;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-svc-related-'));
  svc = new WorkbenchService({ mode: 'browser', dataDir: dir });
});
afterAll(async () => {
  await svc.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('WorkbenchService related:* channels', () => {
  it('computes a weighted NTK in the engine worker: (1, 0) is the weak kernel', async () => {
    const rows = [
      [1, 0, 0],
      [0.6, 0.8, 0],
      [0, 0.6, 0.8],
    ];
    const r = await svc.invoke('related:kernel', { data: { source: 'rows', rows }, spec: { kind: 'weighted', omegaW: 1, omegaV: 0 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const X = Float64Array.from([1, 0.6, 0, 0, 0.8, 0.6, 0, 0, 0.8]);
    const weak = regimeKernel('weak', X, 3, 3, { kappa: 1, nu: 1 });
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(r.value.gram[i]![j]).toBeCloseTo(weak[i * 3 + j]!, 15);
    expect(r.value.lambdaMin).toBe(r.value.eigenvalues[0]);
  });

  it('refuses a malformed request before the engine sees it, naming the field', async () => {
    const r = await svc.invokeUnknown('related:rntk', { data: { source: 'builtin', name: 'sines' }, readout: 'middle' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid-request');
      expect(r.error.message).toMatch(/^related:rntk: readout: /);
    }
  });

  it('passes an engine refusal through as its error code', async () => {
    const r = await svc.invoke('related:rntk', { data: { source: 'builtin', name: 'sines', count: 4000 }, readout: 'avg', memoryLimitMiB: 32 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('too-large');
  });
});
