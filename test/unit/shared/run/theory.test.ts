/** The theory and preview schemas of the contract (issue 12 §4) against what the engine really builds. */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { runPreviewSchema, type RunPreview } from '../../../../src/shared/run/preview';
import {
  runTheorySchema,
  theoryPreviewSchema,
  type RunTheory,
  type SufficientWidths,
  type TheoryReport,
  type TiedDiagnostics,
} from '../../../../src/shared/run/theory';
import { metricRecordSchema } from '../../../../src/shared/run/format';
import type { RunTheory as EngineRunTheory } from '../../../../src/main/engine/theory/runTheory';
import type { TheoryReport as EngineTheoryReport } from '../../../../src/main/engine/theory/report';
import type { SufficientWidths as EngineSufficientWidths } from '../../../../src/main/engine/theory/sufficientWidth';
import type { TiedDiagnostics as EngineTiedDiagnostics } from '../../../../src/main/engine/theory/tied';
import { runTheory } from '../../../../src/main/engine/theory';
import { runTask } from '../../../../src/main/engine/tasks';
import { runTraining } from '../../../../src/main/engine/training';
import { buildDataset } from '../../../../src/main/engine/datasets';
import { createJsBackend } from '../../../../src/main/engine/backends/jsBackend';
import { freeRunning } from '../../../../src/main/engine/protocol';
import { defaultConfig, type Config } from '../../../../src/shared/config/schema';
import type { RunMeta } from '../../../../src/shared/api/contract';
import type { MetricRecord } from '../../../../src/shared/run/format';

const cfg = (over: Partial<Config> = {}): Config => ({
  ...defaultConfig(),
  samples: 10,
  testSamples: 4,
  inputDim: 4,
  hiddenWidth: 32,
  steps: 20,
  trackEvery: 5,
  backend: 'js',
  dtype: 'float64',
  targetLossRatio: 0,
  ...over,
});

describe('the theory types of the contract', () => {
  it("equal the engine's own types, so neither can change alone", () => {
    expectTypeOf<RunTheory>().toEqualTypeOf<EngineRunTheory>();
    expectTypeOf<TheoryReport>().toEqualTypeOf<EngineTheoryReport>();
    expectTypeOf<SufficientWidths>().toEqualTypeOf<EngineSufficientWidths>();
    expectTypeOf<TiedDiagnostics>().toEqualTypeOf<EngineTiedDiagnostics>();
  });

  it.each([
    ['joint', cfg()],
    ['weak with the 1/n loss', cfg({ regime: 'weak', lossNormalization: 'mean' })],
    ['decoder, mean-field', cfg({ regime: 'decoder', scaling: 'mean-field' })],
    ['tied', cfg({ regime: 'tied' })],
    ['no test samples', cfg({ testSamples: 0 })],
  ])('runTheorySchema parses what runTheory builds (%s), strictly', (_name, c) => {
    const data = buildDataset(c);
    const t = runTheory(c, data, { U0: new Float64Array(data.d * data.n), learningRates: { encoder: null, decoder: null } });
    const parsed = runTheorySchema.strict().safeParse(t);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
  });

  it('theoryPreviewSchema parses the answer of theory:compute (the run-theory task), and refuses a wrong shape naming the field', async () => {
    const r = await runTask('run-theory', cfg());
    const parsed = theoryPreviewSchema.safeParse(r);
    expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
    const bad = theoryPreviewSchema.safeParse({ ...(r as object), report: { ...(r as { report: object }).report, lambdaEnc: 'small' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['report', 'lambdaEnc']);
  });
});

describe('the preview and tracked-metrics schemas', () => {
  it('parse the meta and every record of real runs (2-D points, per-sample errors), tracked fields declared', async () => {
    for (const c of [cfg({ inputDim: 2 }), cfg({ inputDim: 6 })]) {
      const metas: RunMeta[] = [];
      const records: MetricRecord[] = [];
      await runTraining(c, createJsBackend(), freeRunning, { onMeta: (m) => metas.push(m), onRecord: (r) => records.push(r), now: () => 0 });
      const preview: RunPreview = runPreviewSchema.parse(metas[0]!.preview);
      expect(preview.kind).toBe(c.inputDim === 2 ? 'points2d' : 'errors');
      // The meta comes at set-up with the theory pending, then again once the theory is in (step 0 first).
      expect(metas[0]!.theoryPending).toBe(true);
      const last = metas.at(-1)!;
      expect(last.theoryPending).toBe(false);
      const theory = runTheorySchema.safeParse(last.theory);
      expect(theory.success ? [] : theory.error.issues).toEqual([]);
      const tracked = records.filter((r) => r.tracked !== undefined);
      expect(tracked.length).toBeGreaterThan(2);
      for (const r of records) {
        const p = metricRecordSchema.safeParse(r);
        expect(p.success ? [] : p.error.issues).toEqual([]);
        // Nothing the engine writes is dropped by the schema: every tracked key is declared.
        if (r.tracked) expect(Object.keys(p.data!.tracked!).sort()).toEqual(Object.keys(r.tracked).sort());
      }
      expect(tracked.every((r) => r.tracked!.preview!.kind === preview.kind)).toBe(true);
    }
  });
});
