// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { defineComponent, h, nextTick } from 'vue';
import RunControls from '../../../../src/renderer/src/components/RunControls.vue';
import ShortcutsHelp from '../../../../src/renderer/src/components/ShortcutsHelp.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useAppStore } from '../../../../src/renderer/src/stores/app';
import { useRunStore } from '../../../../src/renderer/src/stores/run';
import { useSessionsStore } from '../../../../src/renderer/src/stores/sessions';
import { fakeApi } from '../fakeApi';

const Both = defineComponent({ render: () => h('div', [h(RunControls), h(ShortcutsHelp)]) });

function mountControls() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({
    'run:start': () => ({ ok: true, value: { runId: 'r1', sessionId: 's1' } }),
    'run:stop': () => ({ ok: true, value: { runId: 'r1' } }),
    'run:pause': () => ({ ok: true, value: { runId: 'r1' } }),
  });
  setApi(api);
  const app = useAppStore();
  void app.init();
  const run = useRunStore();
  run.init();
  const w = mount(Both, { global: { plugins: [pinia] }, attachTo: document.body });
  const button = (name: string) => w.findAll('button').find((b) => b.text() === name)!;
  return { w, api, app, run, button };
}

async function startRun(ctx: ReturnType<typeof mountControls>): Promise<void> {
  await ctx.button('Run').trigger('click');
  await flushPromises();
  ctx.api.emit('run:status', { runId: 'r1', status: 'running', reason: null });
  await nextTick();
}

describe('RunControls', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('says in the run status that the network collapsed, with the likely cause, as soon as a record reports it', async () => {
    const ctx = mountControls();
    await startRun(ctx);
    expect(ctx.w.find('[data-testid="run-warning"]').exists()).toBe(false);
    const message =
      'collapsed to the zero output since step 10: loss 7.93 ≈ ½Σ‖x‖² = 8, λ_min(H) ≤ 0, 100% of hidden units dead; the infinite-width theory does not apply. Likely cause: width too small for n·d = 12544 (m = 256)';
    ctx.api.emit('run:progress', {
      runId: 'r1',
      step: 15,
      totalSteps: 500,
      stepsPerSecond: 10,
      etaSeconds: 48,
      records: [
        { step: 10, loss: 7.93, wallMs: 1, tracked: { flipFraction: 0.5 } },
        {
          step: 15,
          loss: 7.9300001,
          wallMs: 2,
          tracked: {
            collapse: {
              step: 15,
              since: 10,
              loss: 7.93,
              zeroOutputLoss: 8,
              lambdaMin: 0,
              deadFraction: 1,
              causes: ['width too small for n·d = 12544 (m = 256)'],
              message,
            },
          },
        },
      ],
    });
    await nextTick();
    const warning = ctx.w.get('[data-testid="run-warning"]');
    expect(warning.attributes('role')).toBe('alert');
    expect(warning.text()).toBe(`⚠ ${message}`);
  });

  it('shows the status as disconnected and disables Pause, Stop and Step while the server is unreachable', async () => {
    const ctx = mountControls();
    await startRun(ctx);
    expect(ctx.button('Pause').attributes('disabled')).toBeUndefined();
    expect(ctx.button('Stop').attributes('disabled')).toBeUndefined();
    ctx.api.setConnection('disconnected');
    await nextTick();
    expect(ctx.w.get('[data-testid="run-status"]').text()).toBe('disconnected');
    expect(ctx.w.get('[data-testid="run-status"]').attributes('title')).toContain('last known: running');
    for (const name of ['Pause', 'Stop', 'Step', 'Run']) expect(ctx.button(name).attributes('disabled'), name).toBeDefined();
    ctx.api.setConnection('connected');
    await nextTick();
    expect(ctx.w.get('[data-testid="run-status"]').text()).toBe('running');
    expect(ctx.button('Pause').attributes('disabled')).toBeUndefined();
  });

  it('starts runs in the session chosen for new runs', async () => {
    const ctx = mountControls();
    useSessionsStore().setTarget('s-study', 'Depth study');
    await nextTick();
    expect(ctx.w.get('[data-testid="run-target"]').text()).toBe('→ Depth study');
    await ctx.button('Run').trigger('click');
    await flushPromises();
    expect(ctx.api.calls.find((c) => c.channel === 'run:start')?.req).toMatchObject({ sessionId: 's-study' });
  });

  it('opens the shortcuts help with ? and closes it with Esc without stopping the run', async () => {
    const ctx = mountControls();
    await startRun(ctx);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '?' }));
    await nextTick();
    const dialog = ctx.w.get('[data-testid="shortcuts-help"]');
    expect(dialog.attributes('role')).toBe('dialog');
    expect(dialog.text()).toContain('Space');
    expect(dialog.text()).toContain('Show or hide this help');
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await nextTick();
    expect(ctx.w.find('[data-testid="shortcuts-help"]').exists()).toBe(false);
    expect(ctx.api.calls.some((c) => c.channel === 'run:stop')).toBe(false);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await flushPromises();
    expect(ctx.api.calls.some((c) => c.channel === 'run:stop')).toBe(true);
  });

  it('rounds the long numbers of a reason', async () => {
    const ctx = mountControls();
    await startRun(ctx);
    ctx.api.emit('run:status', { runId: 'r1', status: 'finished', reason: 'reached the target loss ratio 1e-12 (L/L₀ = 9.887455473855786e-13 at step 287)' });
    await nextTick();
    expect(ctx.w.get('[data-testid="run-reason"]').text()).toBe('reached the target loss ratio 1e-12 (L/L₀ = 9.887e-13 at step 287)');
  });
});
