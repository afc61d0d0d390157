// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { defineComponent, h, nextTick } from 'vue';
import DiagnosticsPanel from '../../../../src/renderer/src/components/DiagnosticsPanel.vue';
import RunControls from '../../../../src/renderer/src/components/RunControls.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useAppStore } from '../../../../src/renderer/src/stores/app';
import { useRunStore } from '../../../../src/renderer/src/stores/run';
import { tabTarget } from '../../../../src/renderer/src/composables/useTabs';
import { fakeApi } from '../fakeApi';

function mountPanel() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({ 'run:start': () => ({ ok: true, value: { runId: 'r1', sessionId: 's1' } }) });
  setApi(api);
  useAppStore().connection = 'connected';
  useRunStore().init();
  const Both = defineComponent({ render: () => h('div', [h(RunControls), h(DiagnosticsPanel, { theme: 'light' })]) });
  // happy-dom has no canvas: the chart is stubbed (its props show as attributes), its name is what is checked
  const w = mount(Both, { global: { plugins: [pinia], stubs: { ChartBox: true } }, attachTo: document.body });
  const tabs = () => w.findAll('[role="tab"]');
  const selected = () => tabs().find((t) => t.attributes('aria-selected') === 'true')!;
  return { w, api, tabs, selected };
}

describe('tabTarget()', () => {
  it('wraps the arrows and jumps with Home/End; other keys are not its business', () => {
    expect([tabTarget('ArrowRight', 6, 7), tabTarget('ArrowLeft', 0, 7), tabTarget('Home', 4, 7), tabTarget('End', 1, 7), tabTarget('Enter', 1, 7)]).toEqual([
      0,
      6,
      0,
      6,
      null,
    ]);
  });
});

describe('DiagnosticsPanel tabs (WAI-ARIA tabs pattern)', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('moves and focuses with ←/→/Home/End, keeps one tab in the tab order, and → on a tab does not Step', async () => {
    const { w, api, tabs, selected } = mountPanel();
    expect(selected().text()).toBe('Eigenvalues');
    expect(tabs().map((t) => t.attributes('tabindex'))).toEqual(['0', '-1', '-1', '-1', '-1', '-1', '-1']);
    await selected().trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(selected().text()).toBe('Spectrum');
    expect(document.activeElement?.textContent).toBe('Spectrum');
    await selected().trigger('keydown', { key: 'End' });
    await flushPromises();
    expect(selected().text()).toBe('Heatmap');
    await selected().trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(selected().text()).toBe('Eigenvalues');
    await selected().trigger('keydown', { key: 'ArrowLeft' });
    await selected().trigger('keydown', { key: 'Home' });
    await flushPromises();
    expect(selected().text()).toBe('Eigenvalues');
    expect(selected().attributes('tabindex')).toBe('0');
    expect(w.get('[role="tabpanel"]').attributes('aria-labelledby')).toBe(selected().attributes('id'));
    // the global "→ = Step" shortcut left the tab's arrow alone: no run was started
    expect(api.calls.some((c) => c.channel === 'run:start')).toBe(false);
  });

  it('names the chart of each tab', async () => {
    const { w, api, selected } = mountPanel();
    await w
      .findAll('button')
      .find((b) => b.text() === 'Run')!
      .trigger('click');
    await flushPromises();
    api.emit('run:progress', {
      runId: 'r1',
      step: 10,
      totalSteps: 10,
      stepsPerSecond: null,
      etaSeconds: null,
      records: [{ step: 0, loss: 1, wallMs: 0, tracked: { eigMin: [0.1], eigMax: [2], weightMoveW: 0, kernelDistance: 0 } }],
    });
    await nextTick();
    expect(w.get('[testid="chart-eigen"]').attributes('label')).toBe('NTK eigenvalues against step');
    await selected().trigger('keydown', { key: 'End' });
    await selected().trigger('keydown', { key: 'ArrowLeft' });
    await flushPromises();
    expect(w.get('[testid="chart-kernel"]').attributes('label')).toBe('Kernel distance from init against step');
  });
});
