// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import ExperimentsView from '../../../../src/renderer/src/views/ExperimentsView.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { PRESETS } from '../../../../src/shared/experiments/presets';
import type { ExperimentState } from '../../../../src/shared/experiments/api';
import { fakeApi } from '../fakeApi';

const running = (id: string): ExperimentState => ({
  experimentId: id,
  preset: 'E2',
  quick: true,
  status: 'running',
  folder: '/data/experiments/' + id,
  startedAt: '2026-12-04T00:00:00Z',
  progress: null,
  summary: null,
  figures: [],
  error: null,
});

function mountView() {
  const api = fakeApi({
    'experiment:presets': () => ({ ok: true, value: Object.values(PRESETS) }),
    'experiment:start': () => ({ ok: true, value: running('x-1') }),
    'experiment:get': () => ({
      ok: true,
      value: {
        ...running('x-1'),
        status: 'finished',
        progress: { total: 24, finished: 24, failed: 0, running: 0, pending: 0, skipped: 0, elapsedMs: 1000, etaMs: 0, cellsPerMinute: 100 },
        summary: { experiment: 'E2', claim: PRESETS.E2.claim, quick: true, holds: false, numbers: { 'weak/gaussian': { slope: -0.3 } } },
        figures: [
          {
            name: 'e2-gaussian',
            title: 'E2 figure',
            xName: 'm',
            yName: 'err',
            xLog: true,
            yLog: true,
            series: [
              {
                name: 'weak',
                points: [
                  [100, 0.1],
                  [400, 0.05],
                ],
              },
            ],
          },
        ],
      },
    }),
  });
  setApi(api);
  return { api, w: mount(ExperimentsView, { props: { theme: 'light' }, global: { stubs: { ChartBox: true } }, attachTo: document.body }) };
}

describe('ExperimentsView', () => {
  it('lists every preset with its claim and sends the edited parameters with Run', async () => {
    const { w, api } = mountView();
    await flushPromises();
    expect(w.findAll('[role="tab"]').map((t) => t.text().split(' ·')[0])).toEqual([...Object.keys(PRESETS), 'Sweep']);
    await w
      .findAll('[role="tab"]')
      .find((t) => t.text().startsWith('E2 '))!
      .trigger('click');
    await flushPromises();
    expect(w.get('[data-testid="experiment-claim"]').text()).toBe(PRESETS.E2.claim);
    await w.get('input[aria-label="Seeds"]').setValue('3, 4');
    await w.get('form').trigger('submit');
    await flushPromises();
    const start = api.calls.find((c) => c.channel === 'experiment:start')!.req as {
      preset: string;
      quick: boolean;
      params: { seeds: number[]; widths: number[] };
    };
    expect(start.preset).toBe('E2');
    expect(start.quick).toBe(true);
    expect(start.params.seeds).toEqual([3, 4]);
    expect(start.params.widths).toEqual(PRESETS.E2.quick.widths);
    expect(w.get('[data-testid="experiment-progress"]').text()).toContain('starting');
    // progress events update the status line; the end brings the verdict and the figures
    api.emit('experiment:progress', {
      experimentId: 'x-1',
      status: 'running',
      progress: { total: 24, finished: 5, failed: 1, running: 2, pending: 16, skipped: 0, elapsedMs: 1000, etaMs: 9000, cellsPerMinute: 3 },
    });
    await flushPromises();
    expect(w.get('[data-testid="experiment-progress"]').text()).toBe('6 of 24 cells done (2 running), about 9 s left');
    api.emit('experiment:progress', { experimentId: 'x-1', status: 'finished', progress: null });
    await flushPromises();
    expect(w.get('[data-testid="experiment-verdict"]').text()).toBe('Does not hold');
    expect(w.get('[data-testid="experiment-numbers"]').text()).toContain('-0.3');
    expect(w.findAllComponents({ name: 'ChartBox' }).map((c) => c.props('testid'))).toEqual(['e2-gaussian']);
  });

  it('names a parameter that does not parse and sends nothing', async () => {
    const { w, api } = mountView();
    await flushPromises();
    await w.get('input[aria-label="Monte Carlo draws"]').setValue('1000, lots');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(w.get('[role="alert"]').text()).toContain('Monte Carlo draws');
    expect(api.calls.some((c) => c.channel === 'experiment:start')).toBe(false);
  });
});
