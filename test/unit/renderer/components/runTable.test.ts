// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import RunTablePanel from '../../../../src/renderer/src/components/runs/RunTablePanel.vue';
import ShareConfig from '../../../../src/renderer/src/components/ShareConfig.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useRunTableStore } from '../../../../src/renderer/src/stores/runTable';
import { useConfigStore } from '../../../../src/renderer/src/stores/config';
import { shareNotice } from '../../../../src/renderer/src/composables/useShareConfig';
import { encodeConfigString } from '../../../../src/shared/config/share';
import { defaultConfig } from '../../../../src/shared/config/schema';
import type { RunRow } from '../../../../src/shared/runs/table';
import { fakeApi } from '../fakeApi';

function row(runId: string, regime: string, seed: number): RunRow {
  return {
    runId,
    sessionId: 's',
    sessionName: 'S',
    status: 'finished',
    reason: null,
    config: { regime, seed, hiddenWidth: 32, init: 'gaussian', steps: 40 },
    learningRates: { encoder: 0.5, decoder: 0.5 },
    lastStep: 40,
    finalLoss: 0.01 * seed,
    lossRatio: 0.001,
    testLoss: null,
    lambdaMin: 0.1,
    lambdaMax: 2,
    stepsPerSecond: 300,
    backend: 'js',
    dtype: 'float64',
    appVersion: '0.1.0',
    machine: 'linux x64',
    startedAt: `2026-12-01T00:00:0${seed}Z`,
    finishedAt: null,
    durationMs: 1000,
    tags: regime === 'weak' ? ['baseline'] : [],
    note: '',
  };
}
const ROWS = [row('run-j1', 'joint', 1), row('run-j2', 'joint', 2), row('run-w1', 'weak', 3)];

afterEach(() => {
  document.body.innerHTML = '';
  shareNotice.value = null;
});

describe('RunTablePanel', () => {
  it('lists the runs in a table named Runs, filters them, names a bad filter, and sorts by a header', async () => {
    setActivePinia(createPinia());
    setApi(fakeApi({ 'runs:table': () => ({ ok: true, value: ROWS }) }));
    const store = useRunTableStore();
    await store.refresh();
    const w = mount(RunTablePanel, { attachTo: document.body });
    const rows = () => w.findAll('table[aria-label="Runs"] tbody tr');
    expect(rows()).toHaveLength(3);
    const filter = w.find('input#run-filter');
    await filter.setValue('regime = joint and seed >= 2');
    expect(rows()).toHaveLength(1);
    await filter.setValue('tag:baseline');
    expect(rows().map((r) => r.find('td:nth-child(3)').text())).toEqual(['weak']);
    await filter.setValue('seed >');
    expect(rows()).toHaveLength(0);
    expect(w.find('[data-testid="filter-error"]').text()).toBe("Filter: expected a value after 'seed >' at column 7, found the end of the filter");
    expect(w.find('input#run-filter').attributes('aria-invalid')).toBe('true');
    await filter.setValue('');
    const seedHeader = w.findAll('thead th button').find((b) => b.attributes('title')?.startsWith('seed '))!;
    await seedHeader.trigger('click');
    expect(rows().map((r) => r.find('input').element.getAttribute('value'))).toEqual(['run-j1', 'run-j2', 'run-w1']);
    await seedHeader.trigger('click');
    expect(rows().map((r) => r.find('input').element.getAttribute('value'))).toEqual(['run-w1', 'run-j2', 'run-j1']);
    expect(w.findAll('th[aria-sort="descending"]')).toHaveLength(1);
  });

  it('deletes the selected runs only after the confirmation', async () => {
    setActivePinia(createPinia());
    const api = fakeApi({
      'runs:table': () => ({ ok: true, value: ROWS }),
      'runs:delete': () => ({ ok: true, value: { deleted: ['run-j2'], trashed: true } }),
    });
    setApi(api);
    await useRunTableStore().refresh();
    const w = mount(RunTablePanel, { attachTo: document.body });
    await w.findAll('input[aria-label="Select run"]')[1]!.setValue(true);
    await w
      .findAll('button')
      .find((b) => b.text() === 'Delete…')!
      .trigger('click');
    expect(api.calls.some((c) => c.channel === 'runs:delete')).toBe(false);
    expect(w.text()).toContain('Move 1 run to the trash?');
    await w
      .findAll('button')
      .find((b) => b.text() === 'Confirm delete')!
      .trigger('click');
    await flushPromises();
    expect(api.calls.find((c) => c.channel === 'runs:delete')!.req).toEqual({ runIds: ['run-j2'], confirmed: false });
  });
});

describe('ShareConfig', () => {
  it('pastes a config string into the form exactly, and names the key of an invalid one', async () => {
    setActivePinia(createPinia());
    setApi(fakeApi({}));
    const config = useConfigStore();
    const w = mount(ShareConfig, { attachTo: document.body });
    await w
      .findAll('button')
      .find((b) => b.text() === 'Paste config')!
      .trigger('click');
    const want = { ...defaultConfig(), regime: 'tied' as const, seed: 77, hiddenWidth: 12, learningRate: 0.03 };
    await w.find('textarea').setValue(encodeConfigString(want));
    await w
      .findAll('button')
      .find((b) => b.text() === 'Apply to form')!
      .trigger('click');
    expect(config.parsed.config).toEqual(want);
    await w
      .findAll('button')
      .find((b) => b.text() === 'Paste config')!
      .trigger('click');
    // a string whose config fails validation: hiddenWidth 0
    const bad = encodeConfigString({ ...want, hiddenWidth: 0 } as typeof want);
    await w.find('textarea').setValue(bad);
    await w
      .findAll('button')
      .find((b) => b.text() === 'Apply to form')!
      .trigger('click');
    expect(w.find('[data-testid="paste-error"]').text()).toContain('hiddenWidth: expected an integer ≥ 1, got 0');
    expect(config.parsed.config).toEqual(want);
  });
});
