// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import ExperimentsView from '../../../../src/renderer/src/views/ExperimentsView.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { PRESETS } from '../../../../src/shared/experiments/presets';
import type { ExperimentState } from '../../../../src/shared/experiments/api';
import { fakeApi } from '../fakeApi';

const remote = { redis: 'redis://***@lab1:6379/0', workers: [], notice: null };
const running: ExperimentState = {
  experimentId: 'x-r',
  preset: 'E1',
  quick: true,
  status: 'running',
  folder: '/data/experiments/x-r',
  startedAt: '2026-12-04T00:00:00Z',
  progress: null,
  summary: null,
  figures: [],
  error: null,
  remote,
};

function mountView() {
  const api = fakeApi({
    'experiment:presets': () => ({ ok: true, value: Object.values(PRESETS) }),
    'experiment:start': () => ({ ok: true, value: running }),
  });
  setApi(api);
  return { api, w: mount(ExperimentsView, { props: { theme: 'light' }, global: { stubs: { ChartBox: true } }, attachTo: document.body }) };
}

describe('ExperimentsView: Run on', () => {
  it('sends the Redis URL when "Redis URL" is chosen and lists the connected workers and notices', async () => {
    const { w, api } = mountView();
    await flushPromises();
    expect(w.get('input[aria-label="Redis URL"]').attributes('disabled')).toBeDefined();
    await w.get('input[type="radio"][value="redis"]').setValue(true);
    await w.get('input[aria-label="Redis URL"]').setValue(' redis://:pw@lab1:6379 ');
    await w.get('form').trigger('submit');
    await flushPromises();
    const start = api.calls.find((c) => c.channel === 'experiment:start')!.req as { redisUrl?: string };
    expect(start.redisUrl).toBe('redis://:pw@lab1:6379');
    expect(w.get('[data-testid="experiment-remote"]').text()).toContain('redis://***@lab1:6379/0');
    expect(w.get('ul[aria-label="Connected workers"]').text()).toContain('no worker connected yet');
    api.emit('experiment:progress', {
      experimentId: 'x-r',
      status: 'running',
      progress: null,
      remote: {
        ...remote,
        notice: 'Redis at redis://***@lab1:6379/0 is unreachable: the sweep is paused',
        workers: [
          { id: 'gpu1-1', host: 'gpu1', pid: 41, backend: 'onnx', dtype: 'float32', cellsPerMinute: 4.14, stepsPerSecond: 5210.4, active: 2, cellsDone: 7 },
        ],
      },
    });
    await flushPromises();
    expect(w.findAll('ul[aria-label="Connected workers"] li').map((l) => l.text())).toEqual([
      'gpu1 (pid 41): onnx float32, 4.1 cells/min, 5210 steps/s, 2 active, 7 done',
    ]);
    expect(w.get('[data-testid="experiment-remote"] [role="alert"]').text()).toContain('is unreachable');
  });

  it('runs on this machine by default (no Redis URL sent) and refuses an empty Redis URL', async () => {
    const { w, api } = mountView();
    await flushPromises();
    await w.get('form').trigger('submit');
    await flushPromises();
    expect((api.calls.find((c) => c.channel === 'experiment:start')!.req as { redisUrl?: string }).redisUrl).toBeUndefined();
    const { w: w2, api: api2 } = mountView();
    await flushPromises();
    await w2.get('input[type="radio"][value="redis"]').setValue(true);
    await w2.get('form').trigger('submit');
    await flushPromises();
    expect(w2.get('[role="alert"]').text()).toContain('Redis URL');
    expect(api2.calls.some((c) => c.channel === 'experiment:start')).toBe(false);
  });
});
