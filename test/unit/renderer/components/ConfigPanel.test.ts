// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { defineComponent, h } from 'vue';
import ConfigPanel from '../../../../src/renderer/src/components/ConfigPanel.vue';
import RunControls from '../../../../src/renderer/src/components/RunControls.vue';
import { setApi } from '../../../../src/renderer/src/api/current';
import { useAppStore } from '../../../../src/renderer/src/stores/app';
import { fakeApi } from '../fakeApi';

const Both = defineComponent({ render: () => h('div', [h(ConfigPanel), h(RunControls)]) });

function mountForm() {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({ 'run:start': () => ({ ok: true, value: { runId: 'r1', sessionId: 's1' } }) });
  setApi(api);
  useAppStore().connection = 'connected';
  const w = mount(Both, { global: { plugins: [pinia] }, attachTo: document.body });
  const input = (label: string) => {
    const l = w.findAll('label').find((x) => x.text() === label);
    if (!l) throw new Error(`no label ${label}`);
    return w.find(`#${l.attributes('for')}`);
  };
  const button = (name: string) => w.findAll('button').find((b) => b.text() === name)!;
  return { w, api, input, button };
}

describe('ConfigPanel', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('labels every required control with its exact visible name, tied to the control', () => {
    const { input } = mountForm();
    for (const label of ['Data set', 'Samples', 'Input dimension', 'Hidden width', 'Regime', 'Learning rate', 'Steps', 'Seed', 'Encoder scale κ', 'Decoder scale ν', 'Precision', 'Tracking interval K']) {
      expect(input(label).exists(), label).toBe(true);
    }
  });

  it('enables Run (and Step, which starts the run paused) with the valid defaults', () => {
    const { button } = mountForm();
    expect(button('Run').attributes('disabled')).toBeUndefined();
    expect(button('Step').attributes('disabled')).toBeUndefined();
    for (const name of ['Pause', 'Stop']) expect(button(name).attributes('disabled'), name).toBeDefined();
  });

  it('shows the rule under Hidden width when 0 is typed and disables Run', async () => {
    const { w, input, button } = mountForm();
    await input('Hidden width').setValue('0');
    expect(w.find('[data-testid="error-hiddenWidth"]').text()).toBe('hiddenWidth: expected an integer ≥ 1, got 0');
    expect(input('Hidden width').attributes('aria-invalid')).toBe('true');
    expect(button('Run').attributes('disabled')).toBeDefined();
    expect(button('Step').attributes('disabled')).toBeDefined();
    await input('Hidden width').setValue('64');
    expect(w.find('[data-testid="error-hiddenWidth"]').text()).toBe('');
    expect(button('Run').attributes('disabled')).toBeUndefined();
  });

  it('rejects a negative learning rate with the rule and accepts empty as automatic', async () => {
    const { w, input, button } = mountForm();
    await input('Learning rate').setValue('-0.1');
    expect(w.find('[data-testid="error-learningRate"]').text()).toContain('learningRate: expected a finite number > 0, got -0.1');
    expect(button('Run').attributes('disabled')).toBeDefined();
    await input('Learning rate').setValue('');
    expect(w.find('[data-testid="error-learningRate"]').text()).toContain('automatic');
    expect(button('Run').attributes('disabled')).toBeUndefined();
  });

  it('sends the parsed config on Run', async () => {
    const { api, input, button } = mountForm();
    await input('Hidden width').setValue('128');
    await input('Steps').setValue('200');
    await button('Run').trigger('click');
    const start = api.calls.find((c) => c.channel === 'run:start');
    expect(start?.req).toMatchObject({ config: { hiddenWidth: 128, steps: 200, learningRate: null } });
  });
});
