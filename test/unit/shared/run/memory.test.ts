import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertRunFits, csvShape, estimateRunMemory, formatBytes } from '../../../../src/shared/run/memory';
import { defaultConfig, type Config } from '../../../../src/shared/config/schema';
import { runTraining } from '../../../../src/main/engine/training';
import { createJsBackend } from '../../../../src/main/engine/backends/jsBackend';
import { freeRunning } from '../../../../src/main/engine/protocol';

const root = path.resolve(__dirname, '../../../..');
const cfg = (over: Partial<Config> = {}): Config => ({ ...defaultConfig(), ...over });
const MIB = 1024 * 1024;

describe('estimateRunMemory() (issue 21 item 7, issue 17)', () => {
  it('counts the parameters: a 62 MiB W under a 16 MiB limit is refused, driven by hiddenWidth', () => {
    const c = cfg({ samples: 4, testSamples: 0, inputDim: 16, hiddenWidth: 507_904, memoryLimitMiB: 16, learningRate: 0.1 });
    const e = estimateRunMemory(c);
    const params = e.items.find((i) => i.key === 'parameters')!;
    expect(params.bytes).toBeGreaterThanOrEqual(2 * 8 * 507_904 * 16); // W and V in float64 at least
    expect(e.fits).toBe(false);
    expect(e.field).toBe('hiddenWidth');
    expect(e.message).toMatch(/needs ~\d+(\.\d)? (MiB|GiB).*above the memory limit of 16 MiB \(memoryLimitMiB\)/);
    expect(() => assertRunFits(c)).toThrow(
      expect.objectContaining({ code: 'too-large', details: expect.objectContaining({ field: 'hiddenWidth', limitMiB: 16 }) }),
    );
  });

  it('refuses n = 20000 with the default width under the default limit: the automatic step needs the n×n kernels (samples)', () => {
    const e = estimateRunMemory(cfg({ samples: 20_000 }));
    expect(e.fits).toBe(false);
    expect(e.field).toBe('samples');
    // ν²H_enc + κ²H_dec and the two kernels it is made of, with their cosines: ≥ 4 n² float64 = 11.9 GiB.
    expect(e.requiredBytes).toBeGreaterThanOrEqual(4 * 8 * 20_000 ** 2);
    expect(e.message).toContain('20000×20000 kernels of the automatic step size');
    expect(e.message).toMatch(/needs ~1\d\.\d GiB/);
  });

  it('plans the optional parts: without the automatic step n = 20000 runs, without tracked kernels or theory', () => {
    const e = estimateRunMemory(cfg({ samples: 20_000, learningRate: 0.01 }));
    expect(e.fits).toBe(true);
    expect(e.plan).toEqual({ trackKernels: false, theory: false });
    const small = estimateRunMemory(cfg());
    expect(small.plan).toEqual({ trackKernels: true, theory: true });
    expect(small.peakBytes).toBeGreaterThan(small.requiredBytes);
  });

  it('grows with the dtype and the backend where it can know them', () => {
    const base = { samples: 200, inputDim: 20, hiddenWidth: 10_000 };
    const f32 = estimateRunMemory(cfg({ ...base, backend: 'onnx', dtype: 'float32' })).requiredBytes;
    const f64 = estimateRunMemory(cfg({ ...base, backend: 'onnx', dtype: 'float64' })).requiredBytes;
    const js = estimateRunMemory(cfg({ ...base, backend: 'js', dtype: 'float64' })).requiredBytes;
    const auto = estimateRunMemory(cfg({ ...base, backend: 'auto', dtype: 'float64' })).requiredBytes;
    expect(f64).toBeGreaterThan(f32);
    expect(auto).toBeGreaterThanOrEqual(Math.max(js, f64));
  });

  it("reads a CSV's columns (d) and rows from its text, and the shape cheaply (header, separators)", () => {
    expect(csvShape('a;b;c\n1;2;3\n4;5;6\n\n')).toEqual({ rows: 2, columns: 3 });
    expect(csvShape('1\t2\n3\t4\n5\t6')).toEqual({ rows: 3, columns: 2 });
    expect(csvShape('')).toBeNull();
    const row = Array.from({ length: 400 }, () => '0.5').join(',');
    const e = estimateRunMemory(cfg({ dataset: 'csv', samples: 3, testSamples: 0, csvText: `${row}\n${row}\n${row}\n`, hiddenWidth: 64 }));
    expect(e.d).toBe(400);
  });

  it('formats sizes for people', () => {
    expect(formatBytes(1.5 * MIB)).toBe('1.5 MiB');
    expect(formatBytes(700 * MIB)).toBe('700 MiB');
    expect(formatBytes(18 * 1024 * MIB)).toBe('18.0 GiB');
  });

  it('bounds what a run holds: the live typed arrays at every tracked record stay under the estimate (js backend, own process)', { timeout: 60_000 }, () => {
    // A process of its own, so that only the run allocates; gc twice before each sample, so only live arrays count
    // (V8 sweeps freed ArrayBuffers concurrently after a gc: a single gc() can still count some; the next gc waits for the sweep).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-mem-'));
    const script = path.join(dir, 'measure.mts');
    fs.writeFileSync(
      script,
      `import { runTraining } from ${JSON.stringify(path.join(root, 'src/main/engine/training/index.ts'))};
import { createJsBackend } from ${JSON.stringify(path.join(root, 'src/main/engine/backends/jsBackend.ts'))};
import { freeRunning } from ${JSON.stringify(path.join(root, 'src/main/engine/protocol.ts'))};
import { defaultConfig } from ${JSON.stringify(path.join(root, 'src/shared/config/schema.ts'))};
const gc = (globalThis as { gc?: () => void }).gc!;
const c = { ...defaultConfig(), samples: 60, testSamples: 20, inputDim: 10, hiddenWidth: 3000, steps: 2, trackEvery: 1, backend: 'js' as const, dtype: 'float64' as const, targetLossRatio: 0 };
gc();
gc();
const base = process.memoryUsage().arrayBuffers;
let peak = 0;
let clock = 0;
await runTraining(c, createJsBackend(), freeRunning, { onMeta: () => undefined, onRecord: (r) => { if (r.tracked === undefined) return; gc(); gc(); peak = Math.max(peak, process.memoryUsage().arrayBuffers - base); }, now: () => (clock += 1) });
process.stdout.write(JSON.stringify({ peak, config: c }) + '\\n');`,
    );
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'bin/run-ts.mjs'), script], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { peak, config } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { peak: number; config: Config };
    const e = estimateRunMemory(config);
    expect(peak).toBeLessThanOrEqual(e.peakBytes);
    // …and it is an estimate of this run, not a blanket figure: the run holds a good part of it.
    expect(peak).toBeGreaterThan(e.requiredBytes / 4);
  });
});

describe('runTraining() under memoryLimitMiB (issue 21 item 7)', () => {
  it('refuses before it allocates: a 62 MiB W under 16 MiB is too-large and the arrays never exist', async () => {
    const c = cfg({
      samples: 4,
      testSamples: 0,
      inputDim: 16,
      hiddenWidth: 507_904,
      memoryLimitMiB: 16,
      learningRate: 0.1,
      backend: 'js',
      dtype: 'float64',
      steps: 2,
    });
    const before = process.memoryUsage().arrayBuffers;
    await expect(runTraining(c, createJsBackend(), freeRunning, { onMeta: () => undefined, onRecord: () => undefined, now: () => 0 })).rejects.toMatchObject({
      code: 'too-large',
    });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MIB);
  });
});
