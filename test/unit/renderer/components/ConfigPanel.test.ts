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

  it('refuses a run above the memory limit before Run: the estimate under Samples, Run and Step disabled (issue 17, issue 21 item 7)', async () => {
    const { w, api, input, button } = mountForm();
    expect(w.find('[data-testid="memory-estimate"]').text()).toMatch(/^this run: ~\d+(\.\d)? MiB$/);
    await input('Samples').setValue('20000');
    const msg = w.find('[data-testid="error-samples"]').text();
    expect(msg).toMatch(/^samples: this run needs ~1\d\.\d GiB \(largest: the 20000×20000 kernels of the automatic step size, ~1\d\.\d GiB\), above the memory limit of 2048 MiB \(memoryLimitMiB\)$/);
    expect(input('Samples').attributes('aria-invalid')).toBe('true');
    expect(button('Run').attributes('disabled')).toBeDefined();
    expect(button('Step').attributes('disabled')).toBeDefined();
    await button('Run').trigger('click');
    expect(api.calls.filter((c) => c.channel === 'run:start')).toEqual([]);
    // A given step size needs no n×n kernel: the same n then fits, and Run comes back.
    await input('Learning rate').setValue('0.01');
    expect(w.find('[data-testid="error-samples"]').text()).toBe('');
    expect(button('Run').attributes('disabled')).toBeUndefined();
  });

  it('reads a UTF-16 file with a byte-order mark, and says how to fix a file in another encoding (issue 21, item 13)', async () => {
    const { w } = mountForm();
    const file = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'text/csv' });
    const pick = async (f: File) => {
      const el = w.find('#cfg-csv').element as HTMLInputElement;
      Object.defineProperty(el, 'files', { value: [f], configurable: true });
      await w.find('#cfg-csv').trigger('change');
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    };
    const utf16 = (s: string) => new Uint8Array([0xff, 0xfe, ...Array.from(s).flatMap((c) => [c.charCodeAt(0) & 255, c.charCodeAt(0) >> 8])]);
    await pick(file(utf16('1,0\n0,1\n'), 'excel.csv'));
    expect(w.text()).toContain('excel.csv (8 characters)');
    await pick(file(utf16('1,0\n0,1\n').subarray(2), 'bare.csv'));
    expect(w.text()).toMatch(/bare\.csv looks like UTF-16 little-endian text without a byte-order mark; save it as UTF-8/);
  });
});
