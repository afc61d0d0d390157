// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import LossPanel from '../../../../src/renderer/src/components/LossPanel.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useAppStore } from '../../../../src/renderer/src/stores/app';
import { useRunStore } from '../../../../src/renderer/src/stores/run';
import type { RunMeta } from '../../../../src/shared/api/contract';
import { fakeApi } from '../fakeApi';

const meta: RunMeta = {
  backend: 'onnx',
  dtype: 'float32',
  learningRates: { encoder: 0.1, decoder: 0.1 },
  n: 1000,
  d: 100,
  m: 10000,
  warnings: [],
  theory: null,
  theoryPending: true,
};

function mountPanel() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({});
  setApi(api);
  useAppStore().connection = 'connected';
  const run = useRunStore();
  run.init();
  // happy-dom has no canvas: the chart is stubbed, its option shows what it would draw
  const w = mount(LossPanel, { props: { theme: 'light' }, global: { plugins: [pinia], stubs: { ChartBox: true } }, attachTo: document.body });
  const drawn = (): number[][] => {
    const option = (w.getComponent({ name: 'ChartBox' }).props('option') ?? {}) as { series?: { name?: string; data?: unknown[] }[] };
    const train = (option.series ?? []).find((s) => s.name === 'train loss') ?? option.series?.[0];
    return (train?.data ?? []) as number[][];
  };
  return { w, api, run, drawn };
}

describe('LossPanel before step 0 is recorded (issue 13)', () => {
  it("draws L(θ₀) from the set-up's meta as step 0 until the records come, and counts only records", async () => {
    const { w, api, run, drawn } = mountPanel();
    run.onStatus({ runId: 'r1', status: 'running', reason: null, meta: { ...meta, initialLoss: 25082.5, initialLossMs: 640 } });
    run.select('r1');
    await flushPromises();
    expect(w.get('[data-testid="first-loss"]').attributes('data-value')).toBe('25082.5');
    expect(w.get('[data-testid="last-loss-ratio"]').text()).toBe('1');
    expect(w.get('[data-testid="loss-points"]').attributes('data-value')).toBe('0');
    expect(drawn()).toEqual([[0, 25082.5]]);

    // step 0's record (with its tracked diagnostics) and the next one replace it
    api.emit('run:progress', {
      runId: 'r1',
      step: 1,
      totalSteps: 10,
      stepsPerSecond: null,
      etaSeconds: null,
      records: [
        { step: 0, loss: 25082.5, lossRatio: 1, wallMs: 2100, tracked: { weightMoveW: 0 } },
        { step: 1, loss: 20000, lossRatio: 20000 / 25082.5, wallMs: 2400 },
      ],
    });
    await flushPromises();
    expect(w.get('[data-testid="loss-points"]').attributes('data-value')).toBe('2');
    expect(drawn()).toEqual([
      [0, 25082.5],
      [1, 20000],
    ]);
    expect(w.get('[data-testid="last-loss"]').attributes('data-value')).toBe('20000');
  });

  it('draws nothing for a meta without a finite L(θ₀)', async () => {
    const { w, run, drawn } = mountPanel();
    run.onStatus({ runId: 'r2', status: 'running', reason: null, meta: { ...meta, initialLoss: null } });
    run.select('r2');
    await flushPromises();
    expect(w.get('[data-testid="first-loss"]').attributes('data-value')).toBe('');
    expect(drawn()).toEqual([]);
  });

  it('draws the losses of records the run still holds back (for the theory) after the records, counting only records', async () => {
    const { w, api, run, drawn } = mountPanel();
    run.onStatus({ runId: 'r3', status: 'running', reason: null, meta: { ...meta, initialLoss: 100 } });
    run.select('r3');
    const progress = (records: { step: number; loss: number }[], step: number, ahead?: { step: number; loss: number }[]) =>
      api.emit('run:progress', {
        runId: 'r3',
        step,
        totalSteps: 50,
        stepsPerSecond: null,
        etaSeconds: null,
        records: records.map((r) => ({ ...r, lossRatio: r.loss / 100, wallMs: r.step })),
        ...(ahead ? { ahead: ahead.map((r) => ({ ...r, lossRatio: r.loss / 100, wallMs: r.step })) } : {}),
      });
    progress([{ step: 0, loss: 100 }], 0);
    progress([], 3, [
      { step: 1, loss: 80 },
      { step: 2, loss: 60 },
      { step: 3, loss: 50 },
    ]);
    await flushPromises();
    expect(drawn()).toEqual([
      [0, 100],
      [1, 80],
      [2, 60],
      [3, 50],
    ]);
    expect(w.get('[data-testid="last-loss"]').attributes('data-value')).toBe('50');
    expect(w.get('[data-testid="loss-points"]').attributes('data-value')).toBe('1');
    // the held records come: the same points, now records
    progress(
      [
        { step: 1, loss: 80 },
        { step: 2, loss: 60 },
        { step: 3, loss: 50 },
      ],
      3,
    );
    await flushPromises();
    expect(drawn()).toHaveLength(4);
    expect(w.get('[data-testid="loss-points"]').attributes('data-value')).toBe('4');
  });
});
