// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import RunList from '../../../../src/renderer/src/components/RunList.vue';
import SessionArchive from '../../../../src/renderer/src/components/sessions/SessionArchive.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import type { RunSummary } from '../../../../src/shared/api/contract';
import { fakeApi } from '../fakeApi';

const summary = (runId: string): RunSummary => ({
  runId,
  sessionId: 's',
  status: 'finished',
  reason: null,
  regime: 'joint',
  hiddenWidth: 8,
  samples: 4,
  steps: 10,
  lastStep: 10,
  startedAt: '2026-12-01T00:00:00Z',
  backend: 'js',
  dtype: 'float64',
});
const file = { fileId: 'f'.repeat(32), fileName: 'x.csv', mime: 'text/csv', bytes: 10 };

/** The desktop app's preload is present: exports go through file:save (the native dialog). */
function desktop(): void {
  (globalThis as { workbench?: unknown }).workbench = {};
}
afterEach(() => {
  delete (globalThis as { workbench?: unknown }).workbench;
  document.body.innerHTML = '';
});

describe('RunList export of selected runs', () => {
  it('asks for the CSV of exactly the selected runs and saves it through the save dialog', async () => {
    desktop();
    setActivePinia(createPinia());
    const api = fakeApi({
      'run:list': () => ({ ok: true, value: [summary('run-a'), summary('run-b'), summary('run-c')] }),
      'export:csv': () => ({ ok: true, value: file }),
      'file:save': () => ({ ok: true, value: { saved: true, path: '/home/u/x.csv' } }),
    });
    setApi(api);
    const w = mount(RunList, { attachTo: document.body });
    await flushPromises();
    const boxes = w.findAll('input[aria-label="Select run"]');
    expect(boxes).toHaveLength(3);
    const exportCsv = w.findAll('button').find((b) => b.text() === 'Export CSV')!;
    expect(exportCsv.attributes('disabled')).toBeDefined();
    await boxes[0]!.setValue(true);
    await boxes[2]!.setValue(true);
    await exportCsv.trigger('click');
    await flushPromises();
    expect(api.calls.find((c) => c.channel === 'export:csv')!.req).toEqual({ runIds: ['run-a', 'run-c'], wide: false });
    expect(api.calls.find((c) => c.channel === 'file:save')!.req).toEqual({ fileId: file.fileId });
    expect(w.text()).toContain('Saved /home/u/x.csv');
  });
});

describe('SessionArchive', () => {
  const sessions = [{ sessionId: 's-1', name: 'One', createdAt: '', updatedAt: '', runCount: 1, regimes: [], widths: [], status: null }];

  it('archives the chosen session and saves the zip', async () => {
    desktop();
    const api = fakeApi({
      'session:archive': () => ({ ok: true, value: { ...file, fileName: 's-1.zip' } }),
      'file:save': () => ({ ok: true, value: { saved: true, path: '/tmp/s-1.zip' } }),
    });
    setApi(api);
    const w = mount(SessionArchive, { props: { sessions }, attachTo: document.body });
    await w
      .findAll('button')
      .find((b) => b.text() === 'Archive session')!
      .trigger('click');
    await flushPromises();
    expect(api.calls.find((c) => c.channel === 'session:archive')!.req).toEqual({ sessionId: 's-1' });
    expect(w.text()).toContain('Saved /tmp/s-1.zip');
  });

  it('imports a picked archive and reports a refused one with its entry and rule', async () => {
    desktop();
    let refuse = false;
    const api = fakeApi({
      'file:open': () => ({ ok: true, value: { uploadId: 'up-' + 'a'.repeat(24), kind: 'archive', name: 'x.zip', bytes: 3 } }),
      'session:import': () =>
        refuse
          ? { ok: false, error: { code: 'invalid-data', message: 'x.zip: entry "../evil": path-traversal: a ".." segment would leave the destination folder' } }
          : { ok: true, value: { sessionId: 's-new', name: 'Shared', runIds: ['r1', 'r2'], renamed: {}, migrated: [] } },
    });
    setApi(api);
    const w = mount(SessionArchive, { props: { sessions }, attachTo: document.body });
    const importButton = () => w.findAll('button').find((b) => b.text() === 'Import archive…')!;
    await importButton().trigger('click');
    await flushPromises();
    expect(w.emitted('imported')).toEqual([['s-new']]);
    expect(w.find('[role="status"]').text()).toContain('Imported “Shared” with 2 run(s)');
    refuse = true;
    await importButton().trigger('click');
    await flushPromises();
    expect(w.find('[role="alert"]').text()).toContain('entry "../evil": path-traversal');
    expect(w.emitted('imported')).toHaveLength(1);
  });
});
