// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import SessionBrowser from '../../../../src/renderer/src/components/sessions/SessionBrowser.vue';
import type { EventChannel, EventMap, InvokeChannel, InvokeMap, RunSummary, WorkbenchApi } from '../../../../src/shared/api/contract';
import type { Result } from '../../../../src/shared/api/result';
import type { SessionSummary } from '../../../../src/shared/session/types';
import { setApi } from '../../../../src/renderer/src/api/current';
import type { ConnectedApi } from '../../../../src/renderer/src/api/client';

function session(id: string, name: string, extra: Partial<SessionSummary> = {}): SessionSummary {
  return {
    sessionId: id,
    name,
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-02T11:30:00.000Z',
    runCount: 2,
    regimes: ['decoder', 'joint'],
    widths: [64, 1024],
    status: 'finished',
    ...extra,
  };
}

function run(id: string, status: RunSummary['status'], lastStep: number, reason: string | null = null): RunSummary {
  return {
    runId: id,
    sessionId: 's1',
    status,
    reason,
    regime: 'joint',
    hiddenWidth: 64,
    samples: 16,
    steps: 100,
    lastStep,
    startedAt: '2024-05-01T10:00:00.000Z',
    backend: 'js',
    dtype: 'float64',
  };
}

/** An in-memory API that records calls and keeps a session list. */
function fakeApi(opts: { failDelete?: boolean; ownedByOther?: boolean } = {}) {
  const calls: { channel: InvokeChannel; req: unknown }[] = [];
  let sessions = [
    session('s1', 'Width sweep'),
    session('s2', 'Broken', { corrupt: 'session.json: not valid JSON', runCount: 0, regimes: [], widths: [], status: null }),
  ];
  const runs: Record<string, RunSummary[]> = { s1: [run('run-a', 'finished', 100), run('run-b', 'stopped', 40, 'interrupted')] };
  const handlers: { [K in InvokeChannel]?: (req: InvokeMap[K]['req']) => Result<InvokeMap[K]['res']> } = {
    'app:info': () => ({
      ok: true,
      value: {
        appVersion: '0',
        mode: 'browser',
        backend: 'js',
        backendReason: '',
        dtypes: [],
        dataDir: '/data/ntk',
        machine: { platform: 'linux', arch: 'x64', cpus: 2, node: '20' },
      },
    }),
    'session:list': () => ({ ok: true, value: sessions }),
    'session:runs': (req) => ({ ok: true, value: [...(runs[req.sessionId] ?? [])] }),
    'session:rename': (req) => {
      sessions = sessions.map((s) => (s.sessionId === req.sessionId ? { ...s, name: req.name } : s));
      return { ok: true, value: sessions.find((s) => s.sessionId === req.sessionId)! };
    },
    'session:duplicate': (req) => {
      const src = sessions.find((s) => s.sessionId === req.sessionId)!;
      const copy = { ...src, sessionId: 's3', name: `${src.name} (copy)` };
      sessions = [...sessions, copy];
      return { ok: true, value: copy };
    },
    'run:continue': (req) =>
      opts.ownedByOther && !req.takeOver
        ? {
            ok: false,
            error: {
              code: 'forbidden',
              message: `run ${req.runId} is marked as being written by process 4242, which is running. If that process is not writing this run, take the run over.`,
              details: { needsConfirmation: true, pid: 4242 },
            },
          }
        : { ok: true, value: { runId: req.runId } },
    'session:delete': (req) => {
      if (opts.failDelete) return { ok: false, error: { code: 'forbidden', message: 'could not move session s1 to the system trash' } };
      sessions = sessions.filter((s) => s.sessionId !== req.sessionId);
      return { ok: true, value: { sessionId: req.sessionId, trashed: true } };
    },
  };
  const listeners: Partial<Record<EventChannel, Set<(p: unknown) => void>>> = {};
  const api: WorkbenchApi = {
    async invoke(channel, req) {
      calls.push({ channel, req });
      const h = handlers[channel] as ((r: unknown) => Result<unknown>) | undefined;
      if (!h) return { ok: false, error: { code: 'internal', message: `unexpected ${channel}` } } as never;
      return h(req) as never;
    },
    on(channel, listener) {
      const l = listener as (p: unknown) => void;
      (listeners[channel] ??= new Set()).add(l);
      return () => listeners[channel]!.delete(l);
    },
  };
  const emit = <K extends EventChannel>(channel: K, payload: EventMap[K]) => listeners[channel]?.forEach((l) => l(payload));
  return { api, calls, runs, emit };
}

async function mountBrowser(opts: { failDelete?: boolean; ownedByOther?: boolean } = {}) {
  const f = fakeApi(opts);
  const w = mount(SessionBrowser, { props: { api: f.api } });
  await flushPromises();
  return { ...f, w };
}

describe('SessionBrowser', () => {
  it('lists each session with name, date, regimes, widths and status, and shows the data directory', async () => {
    const { w } = await mountBrowser();
    const row = w.get('[data-session="s1"]');
    expect(row.text()).toContain('Width sweep');
    expect(row.text()).toContain('2024-05-02 11:30');
    expect(row.get('[data-test="regimes"]').text()).toBe('decoder, joint');
    expect(row.get('[data-test="widths"]').text()).toBe('64, 1024');
    expect(row.get('[data-test="status"]').text()).toBe('finished');
    expect(w.get('[data-test="data-dir"]').text()).toContain('/data/ntk');
    expect(w.get('[data-session="s2"] [data-test="corrupt"]').text()).toContain('not valid JSON');
  });

  it('expands a session into its runs, emits open-run, and resumes only an interrupted run through run:continue', async () => {
    const { w, calls } = await mountBrowser();
    await w.get('[data-session="s1"] [data-test="toggle"]').trigger('click');
    await flushPromises();
    expect(w.findAll('[data-run]')).toHaveLength(2);
    expect(w.find('[data-run="run-a"] [data-test="resume"]').exists()).toBe(false);
    expect(w.get('[data-run="run-b"] [data-test="run-status"]').text()).toContain('stopped (interrupted)');
    await w.get('[data-run="run-a"] [data-test="open"]').trigger('click');
    await w.get('[data-run="run-b"] [data-test="resume"]').trigger('click');
    await flushPromises();
    expect(calls.filter((c) => c.channel === 'run:continue').map((c) => c.req)).toEqual([{ runId: 'run-b' }]);
    expect(w.emitted('resume-run')).toEqual([['run-b']]);
    expect(w.emitted('open-run')).toEqual([['run-a'], ['run-b']]);
  });

  it('follows the live runs: the step as progress comes, the run list again when a run changes status', async () => {
    const { w, runs, emit, calls } = await mountBrowser();
    await w.get('[data-session="s1"] [data-test="toggle"]').trigger('click');
    await flushPromises();
    const status = () => w.get('[data-run="run-b"] [data-test="run-status"]').text();
    runs.s1![1] = run('run-b', 'running', 40);
    emit('run:status', { runId: 'run-b', status: 'running', reason: null });
    await new Promise((r) => setTimeout(r, 400));
    await flushPromises();
    expect(status()).toContain('running · step 40/100');
    emit('run:progress', { runId: 'run-b', records: [], step: 73, totalSteps: 100, stepsPerSecond: null, etaSeconds: null });
    await flushPromises();
    expect(status()).toContain('running · step 73/100');
    // The run ends: one reload of the list (status events close together are coalesced) shows it.
    runs.s1![1] = run('run-b', 'finished', 100);
    const before = calls.filter((c) => c.channel === 'session:runs').length;
    emit('run:status', { runId: 'run-b', status: 'finished', reason: null });
    emit('run:status', { runId: 'run-b', status: 'finished', reason: null, meta: undefined });
    await new Promise((r) => setTimeout(r, 400));
    await flushPromises();
    expect(status()).toContain('finished · step 100/100');
    expect(calls.filter((c) => c.channel === 'session:runs').length).toBe(before + 1);
    w.unmount();
  });

  it('renames a session through session:rename and shows the new name', async () => {
    const { w, calls } = await mountBrowser();
    await w.get('[data-session="s1"] [data-test="rename"]').trigger('click');
    await w.get('[data-test="rename-input"]').setValue('Depth sweep');
    await w.get('[data-test="rename-form"]').trigger('submit');
    await flushPromises();
    expect(calls.find((c) => c.channel === 'session:rename')!.req).toEqual({ sessionId: 's1', name: 'Depth sweep' });
    expect(w.get('[data-session="s1"]').text()).toContain('Depth sweep');
    expect(w.emitted('changed')).toHaveLength(1);
  });

  it('duplicates a session and lists the copy', async () => {
    const { w } = await mountBrowser();
    await w.get('[data-session="s1"] [data-test="duplicate"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-session="s3"]').text()).toContain('Width sweep (copy)');
  });

  it('deletes only after confirmation, and cancel deletes nothing', async () => {
    const { w, calls } = await mountBrowser();
    await w.get('[data-session="s1"] [data-test="delete"]').trigger('click');
    expect(w.get('[data-test="confirm"]').text()).toContain('Width sweep');
    expect(calls.some((c) => c.channel === 'session:delete')).toBe(false);
    await w.get('[data-test="cancel-delete"]').trigger('click');
    expect(w.find('[data-test="confirm"]').exists()).toBe(false);
    expect(calls.some((c) => c.channel === 'session:delete')).toBe(false);
    await w.get('[data-session="s1"] [data-test="delete"]').trigger('click');
    await w.get('[data-test="confirm-delete"]').trigger('click');
    await flushPromises();
    expect(calls.filter((c) => c.channel === 'session:delete').map((c) => c.req)).toEqual([{ sessionId: 's1', confirmed: true }]);
    expect(w.find('[data-session="s1"]').exists()).toBe(false);
    expect(w.get('[data-test="notice"]').text()).toContain('trash');
  });

  it('shows the error message when the API refuses', async () => {
    const { w } = await mountBrowser({ failDelete: true });
    await w.get('[data-session="s1"] [data-test="delete"]').trigger('click');
    await w.get('[data-test="confirm-delete"]').trigger('click');
    await flushPromises();
    expect(w.get('[data-test="error"]').text()).toContain('could not move session s1 to the system trash');
    expect(w.find('[data-session="s1"]').exists()).toBe(true);
  });

  it('uses the installed API when no api prop is given', async () => {
    const f = fakeApi();
    setApi({ ...f.api, connection: () => 'connected', onConnection: () => () => undefined, close: () => undefined } as ConnectedApi);
    const w = mount(SessionBrowser, { props: { dataDir: '/given' } });
    await flushPromises();
    expect(w.get('[data-session="s1"]').text()).toContain('Width sweep');
    expect(w.get('[data-test="data-dir"]').text()).toContain('/given');
    expect(f.calls.some((c) => c.channel === 'app:info')).toBe(false);
  });

  it('asks before taking over a run whose owner file names a live process (a reused pid), and resumes only when confirmed (issue 21, item 14)', async () => {
    const { w, calls } = await mountBrowser({ ownedByOther: true });
    await w.get('[data-session="s1"] [data-test="toggle"]').trigger('click');
    await flushPromises();
    await w.get('[data-run="run-b"] [data-test="resume"]').trigger('click');
    await flushPromises();
    const dialog = w.get('[data-test="confirm-takeover"]');
    expect(dialog.attributes('role')).toBe('alertdialog');
    expect(dialog.text()).toContain('process 4242');
    expect(w.emitted('resume-run')).toBeUndefined();
    expect(w.find('[data-test="error"]').exists()).toBe(false);
    await w.get('[data-test="cancel-takeover"]').trigger('click');
    expect(w.find('[data-test="confirm-takeover"]').exists()).toBe(false);
    await w.get('[data-run="run-b"] [data-test="resume"]').trigger('click');
    await flushPromises();
    await w.get('[data-test="take-over"]').trigger('click');
    await flushPromises();
    expect(calls.filter((c) => c.channel === 'run:continue').map((c) => c.req)).toEqual([
      { runId: 'run-b' },
      { runId: 'run-b' },
      { runId: 'run-b', takeOver: true },
    ]);
    expect(w.emitted('resume-run')).toEqual([['run-b']]);
  });
});

describe('SessionBrowser at the side panel', () => {
  it('names every action after its session or run, so that identical buttons are told apart', async () => {
    const { w } = await mountBrowser();
    expect(w.get('[data-session="s1"] [data-test="rename"]').attributes('aria-label')).toBe('Rename session “Width sweep”');
    expect(w.get('[data-session="s1"] [data-test="duplicate"]').attributes('aria-label')).toBe('Duplicate session “Width sweep”');
    expect(w.get('[data-session="s1"] [data-test="delete"]').attributes('aria-label')).toBe('Delete session “Width sweep”');
    await w.get('[data-session="s1"] [data-test="toggle"]').trigger('click');
    await flushPromises();
    const open = w.findAll('[data-test="open"]').map((b) => b.attributes('aria-label'));
    expect(open).toEqual(['Open run run-a (joint, m=64, finished)', 'Open run run-b (joint, m=64, stopped)']);
    expect(w.get('[data-run="run-b"] [data-test="resume"]').attributes('aria-label')).toBe('Resume run run-b (joint, m=64, stopped) from its last checkpoint');
  });

  it('shows the delete confirmation inside the session it deletes', async () => {
    const { w } = await mountBrowser();
    await w.get('[data-session="s1"] [data-test="delete"]').trigger('click');
    expect(w.find('[data-session="s1"] [data-test="confirm"]').exists()).toBe(true);
    expect(w.find('[data-session="s2"] [data-test="confirm"]').exists()).toBe(false);
  });

  it('creates a session through session:create and makes it the one new runs go to', async () => {
    const { w, calls, api } = await mountBrowser();
    const created = { ...session('s9', 'Depth study'), runCount: 0, regimes: [], widths: [], status: null };
    const invoke = api.invoke.bind(api);
    api.invoke = (async (channel: InvokeChannel, req: unknown) => {
      if (channel === 'session:create') {
        calls.push({ channel, req });
        return { ok: true, value: created };
      }
      return invoke(channel as never, req as never);
    }) as WorkbenchApi['invoke'];
    await w.get('[data-test="new-session"]').trigger('click');
    await w.get('[data-test="create-input"]').setValue('Depth study');
    await w.get('[data-test="create-form"]').trigger('submit');
    await flushPromises();
    expect(calls.filter((c) => c.channel === 'session:create').map((c) => c.req)).toEqual([{ name: 'Depth study' }]);
    expect(w.emitted('set-target')).toEqual([['s9', 'Depth study']]);
    expect(w.get('[data-test="notice"]').text()).toContain('Depth study');
  });

  it('marks the target session, offers the others for new runs, and falls back to the default when the target is deleted', async () => {
    const f = fakeApi();
    const w = mount(SessionBrowser, { props: { api: f.api, targetSessionId: 's2' } });
    await flushPromises();
    expect(w.find('[data-session="s2"] [data-test="target"]').exists()).toBe(true);
    expect(w.find('[data-session="s2"] [data-test="use"]').exists()).toBe(false);
    await w.get('[data-session="s1"] [data-test="use"]').trigger('click');
    expect(w.emitted('set-target')).toEqual([['s1', 'Width sweep']]);
    await w.get('[data-session="s2"] [data-test="delete"]').trigger('click');
    await w.get('[data-test="confirm-delete"]').trigger('click');
    await flushPromises();
    expect(w.emitted('set-target')!.at(-1)).toEqual([null, null]);
  });
});
