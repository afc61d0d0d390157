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
import type { FakeApi } from '../fakeApi';
import { flushPromises } from '@vue/test-utils';
import { useConfigStore } from '../../../../src/renderer/src/stores/config';
import { configKey, useTheoryStore } from '../../../../src/renderer/src/stores/theory';

/** Chooses a file in the CSV field as a user would (happy-dom's input has no file picker). */
async function chooseFile(w: ReturnType<typeof mountForm>['w'], name: string, text: string): Promise<void> {
  const input = w.get('#cfg-csv');
  Object.defineProperty(input.element, 'files', { value: [new File([text], name, { type: 'text/csv' })], configurable: true });
  await input.trigger('change');
  await flushPromises();
}

/** csv:inspect as the service answers it, for the few files these tests choose. */
const inspect: FakeApi['handlers'] = {
  'csv:inspect': (req) => {
    const t = (req as { config: { csvText: string } }).config.csvText;
    if (t.includes('x'))
      return { ok: false, error: { code: 'invalid-data', message: 'line 2, column 2: "x" is not a number', details: { line: 2, column: 2 } } };
    const rows = t.trim() === '' ? 0 : t.trim().split('\n').length;
    return { ok: true, value: { rows, columns: 2, header: null } };
  },
};

const Both = defineComponent({ render: () => h('div', [h(ConfigPanel), h(RunControls)]) });

function mountForm(handlers: FakeApi['handlers'] = {}) {
  const pinia = createPinia();
  setActivePinia(pinia);
  const api = fakeApi({ 'run:start': () => ({ ok: true, value: { runId: 'r1', sessionId: 's1' } }), ...handlers });
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
    for (const label of [
      'Data set',
      'Samples',
      'Input dimension',
      'Hidden width',
      'Regime',
      'Learning rate',
      'Steps',
      'Seed',
      'Encoder scale κ',
      'Decoder scale ν',
      'Precision',
      'Tracking interval K',
    ]) {
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
    expect(w.find('[data-testid="error-hiddenWidth"]').text()).toBe('Hidden width: expected an integer ≥ 1, got 0');
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
    expect(w.find('[data-testid="error-learningRate"]').text()).toContain('Learning rate: expected a finite number > 0, got -0.1');
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
    expect(msg).toMatch(
      /^Samples: this run needs ~1\d\.\d GiB \(largest: the 20000×20000 kernels of the automatic step size, ~1\d\.\d GiB\), above the memory limit of 2048 MiB \(memoryLimitMiB\)$/,
    );
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
    const { w, api } = mountForm(inspect);
    const file = (bytes: Uint8Array, name: string) => new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'text/csv' });
    const pick = async (f: File) => {
      const el = w.find('#cfg-csv').element as HTMLInputElement;
      Object.defineProperty(el, 'files', { value: [f], configurable: true });
      await w.find('#cfg-csv').trigger('change');
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    };
    const utf16 = (s: string) => new Uint8Array([0xff, 0xfe, ...Array.from(s).flatMap((c) => [c.charCodeAt(0) & 255, c.charCodeAt(0) >> 8])]);
    await pick(file(utf16('1,0\n0,1\n'), 'excel.csv'));
    expect(w.text()).toContain('excel.csv: 2 rows × 2 columns');
    // the decoded text, not the bytes, is what the check (and later the run) gets
    expect(api.calls.find((c) => c.channel === 'csv:inspect')!.req).toEqual({ config: { csvText: '1,0\n0,1\n', csvName: 'excel.csv' } });
    await pick(file(utf16('1,0\n0,1\n').subarray(2), 'bare.csv'));
    expect(w.text()).toMatch(/bare\.csv looks like UTF-16 little-endian text without a byte-order mark; save it as UTF-8/);
  });
});

describe('ConfigPanel: the CSV file field', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it("shows a bad file's line and column under the field, disables Run, and clears it when another file is chosen", async () => {
    const { w, button } = mountForm(inspect);
    await chooseFile(w, 'bad.csv', '1,2\n3,x\n');
    expect(w.get('[data-testid="error-csvText"]').text()).toBe('CSV file: line 2, column 2: "x" is not a number');
    expect(w.get('#cfg-csv').attributes('aria-invalid')).toBe('true');
    expect(button('Run').attributes('disabled')).toBeDefined();
    expect(button('Step').attributes('disabled')).toBeDefined();
    // a good file with exactly Samples + Test samples rows (16 + 8): the stale error is gone, Run is back
    const good = Array.from({ length: 24 }, (_, i) => `${i},1`).join('\n');
    await chooseFile(w, 'good.csv', good);
    expect(w.get('[data-testid="error-csvText"]').text()).toBe('');
    expect(w.get('[data-testid="csv-name"]').text()).toContain('good.csv: 24 rows × 2 columns');
    expect(button('Run').attributes('disabled')).toBeUndefined();
  });

  it('refuses a file with fewer rows than Samples + Test samples and offers numbers that fit', async () => {
    const { w, api, input, button } = mountForm(inspect);
    await chooseFile(w, 'one.csv', '1,2\n');
    expect(w.get('[data-testid="error-csvText"]').text()).toBe('CSV file: the file has 1 data row; Samples + Test samples = 24');
    expect(button('Run').attributes('disabled')).toBeDefined();
    const offer = w.get('[data-testid="csv-offer"]');
    expect(offer.text()).toBe("Use the file's 1 rows: Samples 1, Test samples 0");
    await offer.trigger('click');
    expect((input('Samples').element as HTMLInputElement).value).toBe('1');
    expect((input('Test samples').element as HTMLInputElement).value).toBe('0');
    expect(w.get('[data-testid="error-csvText"]').text()).toBe('');
    expect(button('Run').attributes('disabled')).toBeUndefined();
    await button('Run').trigger('click');
    const start = api.calls.find((c) => c.channel === 'run:start');
    expect(start?.req).toMatchObject({ config: { dataset: 'csv', samples: 1, testSamples: 0, csvText: '1,2\n', csvName: 'one.csv' } });
  });

  it('loads a shipped sample data set through the same check', async () => {
    const { w, api } = mountForm({
      'csv:inspect': () => ({ ok: true, value: { rows: 150, columns: 4, header: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] } }),
    });
    await w.get('select[aria-label="Sample data"]').setValue('iris.csv');
    await flushPromises();
    const req = (api.calls.find((c) => c.channel === 'csv:inspect')!.req as { config: { csvText: string } }).config;
    expect(req.csvText.startsWith('sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n')).toBe(true);
    expect(w.get('[data-testid="csv-name"]').text()).toBe('iris.csv: 150 rows × 4 columns (header row skipped)');
  });

  it('keeps the test share where the file allows it', async () => {
    const { w } = mountForm(inspect);
    await chooseFile(w, 'forty.csv', Array.from({ length: 40 }, (_, i) => `${i},1`).join('\n'));
    expect(w.get('[data-testid="csv-offer"]').text()).toBe("Use the file's 40 rows: Samples 32, Test samples 8");
  });
});

describe('ConfigPanel: fields, labels and the step size', () => {
  beforeEach(() => {
    document.body.innerHTML = '';
  });

  it('disables the input dimension for data that fix it, and "Normalize MNIST" for other data', async () => {
    const { w, input } = mountForm();
    expect(input('Input dimension').attributes('disabled')).toBeUndefined();
    expect(input('Normalize MNIST').attributes('disabled')).toBeDefined();
    await input('Data set').setValue('mnist');
    expect(input('Input dimension').attributes('disabled')).toBeDefined();
    expect(w.get('[data-testid="off-inputDim"]').text()).toBe('d = 784 for MNIST');
    expect(input('Normalize MNIST').attributes('disabled')).toBeUndefined();
    await input('Data set').setValue('halfcircle');
    expect(w.get('[data-testid="off-inputDim"]').text()).toBe('d = 2 for the half circle');
  });

  it('names fields by their labels in the summary of problems', async () => {
    const { w, input } = mountForm();
    await input('Hidden width').setValue('0');
    await input('Steps').setValue('-1');
    expect(w.get('[data-testid="config-issues"]').text()).toBe('2 problems: fix Hidden width, Steps to run.');
  });

  it('warns under Learning rate when η is above the stable limit of the preview, with the limit', async () => {
    const { w, input } = mountForm();
    const theory = useTheoryStore();
    const config = useConfigStore();
    // the preview for the form's data: λ_max of the joint kernel 3.8 → limit 2/3.8 = 0.526
    theory.preview = {
      n: 16,
      d: 8,
      warnings: [],
      report: { lambdaEnc: 0.15, lambdaDec: 0.05, lambdaJoint: 0.2, lambdaMaxEnc: 2, lambdaMaxDec: 1.8, lambdaMaxJoint: 3.8 },
    };
    theory.forKey = configKey(config.parsed.config!);
    await input('Learning rate').setValue('0.5');
    expect(w.find('[data-testid="step-warning"]').exists()).toBe(false);
    await input('Learning rate').setValue('0.6');
    expect(w.get('[data-testid="step-warning"]').text()).toBe(
      '⚠ η = 0.6 is above the stable limit 0.526 (2/λ_max of the infinite-width kernel); the run will likely diverge',
    );
    await input('Learning rate').setValue('100');
    expect(w.get('[data-testid="step-warning"]').text()).toContain('η = 100 is above the stable limit 0.526');
    // ×n for the 1/n loss: the same η is then stable
    await input('Loss normalization').setValue('mean');
    await input('Learning rate').setValue('0.6');
    expect(w.find('[data-testid="step-warning"]').exists()).toBe(false);
    // a preview of other data is not used
    await input('Loss normalization').setValue('sum');
    await input('Samples').setValue('20');
    expect(w.find('[data-testid="step-warning"]').exists()).toBe(false);
  });

  it('says under the loss normalization that with the automatic step it only rescales the loss axis', async () => {
    const { w, input } = mountForm();
    expect(w.get('[data-testid="normalization-note"]').text()).toContain('only rescales the loss axis');
    await input('Learning rate').setValue('0.1');
    expect(w.find('[data-testid="normalization-note"]').exists()).toBe(false);
  });
});
