// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { defineComponent, h } from 'vue';
import TheoryPanel from '../../../../src/renderer/src/components/TheoryPanel.vue';
import ConfigPanel from '../../../../src/renderer/src/components/ConfigPanel.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useTheoryPreview, PREVIEW_DELAY_MS } from '../../../../src/renderer/src/composables/useTheoryPreview';
import { fakeApi } from '../fakeApi';
import type { RunMeta } from '../../../../src/shared/api/contract';

/** The form, the theory panel and the preview that follows the form, as the workbench view wires them. */
const View = defineComponent({
  setup() {
    useTheoryPreview();
    return () => h('div', [h(ConfigPanel), h(TheoryPanel)]);
  },
});

const report = (samples: number) => ({
  n: samples,
  d: 8,
  warnings: [],
  report: { lambdaEnc: 0.15, lambdaDec: 0.05, lambdaJoint: 0.2, lambdaMaxEnc: 2, lambdaMaxDec: 1.8, lambdaMaxJoint: 3.8 },
});

function mountView() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({
    'theory:compute': (req) => {
      const n = (req as { config: { samples: number } }).config.samples;
      return n > 1000 ? { ok: false, error: { code: 'too-large', message: `the ${n}×${n} kernels need ~18 GiB` } } : { ok: true, value: report(n) };
    },
  });
  setApi(api);
  const w = mount(View, { global: { plugins: [pinia] }, attachTo: document.body });
  const input = (label: string) =>
    w.find(
      `#${w
        .findAll('label')
        .find((x) => x.text() === label)!
        .attributes('for')}`,
    );
  const settle = async () => {
    vi.advanceTimersByTime(PREVIEW_DELAY_MS + 10);
    await flushPromises();
  };
  return { w, api, input, settle, lambda0: () => w.get('[data-testid="theory-lambda0"]').text() };
}

describe('TheoryPanel preview follows the form', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    document.body.innerHTML = '';
  });
  afterEach(() => vi.useRealTimers());

  it('shows no old λ while a field is invalid, and the preview again once it is fixed', async () => {
    const { w, input, settle, lambda0 } = mountView();
    await settle();
    expect(lambda0()).toBe('0.15');
    await input('Samples').setValue('0');
    expect(lambda0()).toBe('—');
    expect(w.get('[data-testid="theory-waiting"]').text()).toBe('Fix the form to see the theory for its config.');
    await input('Samples').setValue('16');
    expect(lambda0()).toBe('—');
    await settle();
    expect(lambda0()).toBe('0.15');
  });

  it("drops an earlier config's error as soon as the form changes (no too-large after going back to a small n)", async () => {
    const { w, input, settle } = mountView();
    await input('Samples').setValue('20000');
    await settle();
    expect(w.get('[data-testid="theory-error"]').text()).toBe('too-large: the 20000×20000 kernels need ~18 GiB');
    await input('Samples').setValue('16');
    expect(w.find('[data-testid="theory-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="theory-waiting"]').text()).toBe('computing…');
    await settle();
    expect(w.find('[data-testid="theory-waiting"]').exists()).toBe(false);
  });

  it('asks for one preview per burst of edits, and none for a change of the step size', async () => {
    const { api, input, settle } = mountView();
    await settle();
    const before = api.calls.filter((c) => c.channel === 'theory:compute').length;
    for (const v of ['1', '12', '120']) await input('Steps').setValue(v);
    await settle();
    expect(api.calls.filter((c) => c.channel === 'theory:compute').length).toBe(before + 1);
    await input('Learning rate').setValue('0.3');
    await settle();
    expect(api.calls.filter((c) => c.channel === 'theory:compute').length).toBe(before + 1);
  });

  it('lists every theory field as a name with its value in one row of the panel', async () => {
    const { w, settle } = mountView();
    await settle();
    const pairs = w.findAll('[data-testid="theory-all-fields"] .pair');
    expect(pairs.length).toBeGreaterThan(5);
    for (const p of pairs) {
      expect(p.find('dt').text().length, p.html()).toBeGreaterThan(0);
      expect(p.find('dd').text().length, p.html()).toBeGreaterThan(0);
    }
    expect(
      pairs
        .find((p) => p.find('dt').text() === 'report.lambdaMaxJoint')!
        .find('dd')
        .text(),
    ).toBe('3.8');
  });
});

describe('TheoryPanel while a run computes its theory (issue 13: step 0 first)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    document.body.innerHTML = '';
  });
  afterEach(() => vi.useRealTimers());

  it("says 'computing…' until the run's meta brings the theory, then shows the run's values", async () => {
    const { w, settle, lambda0 } = mountView();
    await settle();
    const { useRunStore } = await import('../../../../src/renderer/src/stores/run');
    const run = useRunStore();
    const meta = { backend: 'js', dtype: 'float64', learningRates: { encoder: 0.1, decoder: 0.1 }, n: 16, d: 8, m: 256, warnings: [] };
    run.onStatus({ runId: 'r1', status: 'running', reason: null, meta: { ...meta, theory: null, theoryPending: true } });
    run.select('r1');
    await flushPromises();
    expect(w.get('[data-testid="theory-waiting"]').text()).toMatch(/^computing…/);
    run.onStatus({
      runId: 'r1',
      status: 'running',
      reason: null,
      meta: { ...meta, theory: { regime: 'joint', lambdaEnc: 0.31, lambdaDec: 0.1, lambdaJoint: 0.4 } as unknown as RunMeta['theory'], theoryPending: false },
    });
    await flushPromises();
    expect(w.find('[data-testid="theory-waiting"]').exists()).toBe(false);
    expect(lambda0()).toBe('0.31');
  });

  it('does not say computing for a run that ended before its theory came', async () => {
    const { w, settle } = mountView();
    await settle();
    const { useRunStore } = await import('../../../../src/renderer/src/stores/run');
    const run = useRunStore();
    run.onStatus({
      runId: 'r2',
      status: 'failed',
      reason: 'diverged at step 0',
      meta: {
        backend: 'js',
        dtype: 'float64',
        learningRates: { encoder: 0.1, decoder: 0.1 },
        n: 16,
        d: 8,
        m: 256,
        warnings: [],
        theory: null,
        theoryPending: true,
      },
    });
    run.select('r2');
    await flushPromises();
    expect(w.find('[data-testid="theory-waiting"]').exists()).toBe(false);
  });
});
