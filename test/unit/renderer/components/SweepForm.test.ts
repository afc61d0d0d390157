// @vitest-environment happy-dom
// The Experiments view's Sweep form: grid lines, seeds and jobs into a validated sweep:start request from the
// Run form's config; progress with ETA; Cancel; bad input named before anything is sent.
import { beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import SweepForm from '../../../../src/renderer/src/components/SweepForm.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useConfigStore } from '../../../../src/renderer/src/stores/config';
import { sweepStartSchema, type SweepState } from '../../../../src/shared/experiments/api';
import { fakeApi } from '../fakeApi';

const state = (status: SweepState['status']): SweepState => ({
  sweepId: 'x-sweep-1',
  status,
  folder: '/data/experiments/x-sweep-1',
  startedAt: '2026-12-04T00:00:00Z',
  cells: 12,
  progress: null,
  error: null,
  sessionId: 's-1',
});

function mountForm() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({
    'sweep:start': () => ({ ok: true, value: state('running') }),
    'sweep:cancel': () => ({
      ok: true,
      value: {
        ...state('cancelled'),
        progress: { total: 12, finished: 3, failed: 0, running: 0, pending: 9, skipped: 0, elapsedMs: 1000, etaMs: null, cellsPerMinute: 90 },
      },
    }),
  });
  setApi(api);
  return { api, w: mount(SweepForm, { global: { plugins: [pinia] }, attachTo: document.body }) };
}

beforeEach(() => setActivePinia(createPinia()));

describe('SweepForm', () => {
  it('sends the Run form’s config with the grid, seeds and jobs; shows progress with ETA; cancels', async () => {
    const { w, api } = mountForm();
    const cfg = useConfigStore();
    await flushPromises();
    await w.get('textarea[aria-label="Grid"]').setValue('hiddenWidth=16,64\nregime=weak,joint,decoder\n');
    await w.get('input[aria-label="Sweep seeds"]').setValue('0..1');
    await w.get('input[aria-label="Jobs"]').setValue('2');
    await w.get('form').trigger('submit');
    await flushPromises();
    const req = api.calls.find((c) => c.channel === 'sweep:start')!.req as {
      base: Record<string, unknown>;
      grid: Record<string, unknown[]>;
      seeds: number[];
      jobs: number;
    };
    expect(sweepStartSchema.safeParse(req).success).toBe(true);
    expect(req.base).toEqual(cfg.parsed.config);
    expect(req.grid).toEqual({ hiddenWidth: [16, 64], regime: ['weak', 'joint', 'decoder'] });
    expect(req.seeds).toEqual([0, 1]);
    expect(req.jobs).toBe(2);
    expect(w.get('[data-testid="sweep-progress"]').text()).toBe('starting 12 cells…');
    expect(w.get('[data-testid="sweep-where"]').text()).toContain('Sweep · x-sweep-1');
    api.emit('experiment:progress', {
      experimentId: 'x-sweep-1',
      status: 'running',
      progress: { total: 12, finished: 3, failed: 1, running: 2, pending: 6, skipped: 0, elapsedMs: 1000, etaMs: 8000, cellsPerMinute: 180 },
    });
    api.emit('experiment:progress', {
      experimentId: 'x-other',
      status: 'running',
      progress: { total: 99, finished: 0, failed: 0, running: 0, pending: 99, skipped: 0, elapsedMs: 0, etaMs: null, cellsPerMinute: null },
    });
    await flushPromises();
    expect(w.get('[data-testid="sweep-progress"]').text()).toBe('4 of 12 cells done (2 running, 1 failed), about 8 s left');
    expect(w.get('button[type="submit"]').attributes('disabled')).toBeDefined();
    await w
      .findAll('button')
      .find((b) => b.text() === 'Cancel sweep')!
      .trigger('click');
    await flushPromises();
    expect(api.calls.find((c) => c.channel === 'sweep:cancel')!.req).toEqual({ sweepId: 'x-sweep-1' });
    expect(w.get('[data-testid="sweep-progress"]').text()).toBe('Cancelled: 3 of 12 cells done (0 running)');
    expect(w.get('button[type="submit"]').attributes('disabled')).toBeUndefined();
  });

  it('names a grid line, the seeds or the jobs that do not parse and sends nothing', async () => {
    const { w, api } = mountForm();
    await flushPromises();
    const submit = async (grid: string, seeds = '', jobs = ''): Promise<string> => {
      await w.get('textarea[aria-label="Grid"]').setValue(grid);
      await w.get('input[aria-label="Sweep seeds"]').setValue(seeds);
      await w.get('input[aria-label="Jobs"]').setValue(jobs);
      await w.get('form').trigger('submit');
      await flushPromises();
      return w.get('[role="alert"]').text();
    };
    expect(await submit('hiddenWidth=16\nwidht=3')).toContain("Grid line 2: unknown config key 'widht'");
    expect(await submit('hiddenWidth')).toContain('Grid line 1');
    expect(await submit('')).toContain('Grid: expected at least one line');
    expect(await submit('hiddenWidth=16', '5..2')).toContain('Seeds');
    expect(await submit('hiddenWidth=16', '', 'many')).toContain('Jobs');
    expect(api.calls.some((c) => c.channel === 'sweep:start')).toBe(false);
  });

  it('refuses to start while the Run form’s config is invalid, naming its field', async () => {
    const { w, api } = mountForm();
    const cfg = useConfigStore();
    cfg.set('hiddenWidth' as never, '0' as never);
    await flushPromises();
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(w.get('[role="alert"]').text()).toContain('Base config');
    expect(w.get('[role="alert"]').text()).toContain('hiddenWidth');
    expect(api.calls.some((c) => c.channel === 'sweep:start')).toBe(false);
  });
});
