/**
 * Config store: the form's raw text, the config it parses to, and the issues (same rules as the backend,
 * via the shared parseConfig). An invalid config cannot run, and neither can one whose memory estimate
 * (the shared estimateRunMemory, the same the services and the engine refuse with) is above its limit: the
 * estimate is an issue of the field that drives it.
 *
 * The form remembers which fields the user has touched: defaults that arrive late (the server's
 * config:defaults) and a data set's own defaults (DATASET_DEFAULTS, e.g. MNIST's ν) only ever fill
 * fields the user has not edited.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { DATASET_DEFAULTS, defaultConfig, parseConfig } from '../../../shared/config/schema';
import type { Config, ConfigIssue, Dataset } from '../../../shared/config/schema';
import { estimateRunMemory, type RunMemoryEstimate } from '../../../shared/run/memory';
import { getApi } from '../api/current';
import { FIELDS, labelOf } from './configFields';
import type { FieldDef } from './configFields';

export type FieldKey = FieldDef['key'];
export type FormValues = Record<FieldKey, string | boolean>;

/**
 * The state of the CSV file's check (csv:inspect): none (no file), checking, ok with its shape, or an
 * error with the line and column the run's parser stopped at.
 */
export type CsvCheck =
  | { status: 'none' }
  | { status: 'checking' }
  | { status: 'ok'; rows: number; columns: number; header: boolean }
  | { status: 'error'; message: string; line: number | null; column: number | null };

/** Turns a config into the form's raw values (numbers as text, null as empty). */
export function configToForm(c: Config): FormValues {
  const out = {} as FormValues;
  for (const f of FIELDS) {
    const v = c[f.key];
    out[f.key] = typeof v === 'boolean' ? v : v === null || v === undefined ? '' : String(v);
  }
  return out;
}

/**
 * Turns the form's raw values into a config input plus the issues only the form can see (an empty
 * required number, text that is not a number); the schema checks the rest.
 */
export function formToInput(form: FormValues): { input: Record<string, unknown>; issues: ConfigIssue[] } {
  const input: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const f of FIELDS) {
    const raw = form[f.key];
    if (f.kind === 'checkbox' || f.kind === 'select') {
      input[f.key] = raw;
      continue;
    }
    const text = String(raw).trim();
    if (text === '') {
      if (f.kind === 'optional-number' || f.kind === 'optional-int') input[f.key] = null;
      else issues.push({ key: f.key, message: 'required' });
      continue;
    }
    const n = Number(text);
    if (!Number.isFinite(n) && !/^[+-]?(Infinity|NaN)$/.test(text)) {
      issues.push({ key: f.key, message: `expected a number, got ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)}` });
      continue;
    }
    input[f.key] = n;
  }
  return { input, issues };
}

/** Keys some data set has its own default for (they follow the data set until the user edits them). */
const PRESET_KEYS = [...new Set(Object.values(DATASET_DEFAULTS).flatMap((p) => Object.keys(p ?? {})))] as FieldKey[];

/** The defaults for a data set: the base defaults with the data set's own on top. */
export function defaultsForDataset(base: Config, dataset: Dataset): Config {
  return { ...base, ...DATASET_DEFAULTS[dataset], dataset };
}

/** The issue the CSV check adds to a csv config (null when the file is fine for it). */
export function csvIssue(check: CsvCheck, samples: number | null, testSamples: number | null): ConfigIssue | null {
  switch (check.status) {
    case 'none':
      return null; // the schema's own rule ("needs a CSV file") covers a missing file
    case 'checking':
      return { key: 'csvText', message: 'checking the file…' };
    case 'error':
      return { key: 'csvText', message: check.message };
    case 'ok': {
      const need = (samples ?? 0) + (testSamples ?? 0);
      if (check.rows < need) {
        return { key: 'csvText', message: `the file has ${check.rows} data row${check.rows === 1 ? '' : 's'}; Samples + Test samples = ${need}` };
      }
      return null;
    }
  }
}

export const useConfigStore = defineStore('config', () => {
  const form = ref<FormValues>(configToForm(defaultConfig()));
  const csvText = ref<string | null>(null);
  const csvName = ref<string | null>(null);
  const csvCheck = ref<CsvCheck>({ status: 'none' });
  const defaults = ref<Config>(defaultConfig());
  /** fields the user has edited since the last reset: defaults never overwrite them */
  const touched = ref<Set<FieldKey>>(new Set());

  const parsed = computed<{ config: Config | null; issues: ConfigIssue[] }>(() => {
    const { input, issues } = formToInput(form.value);
    if (csvText.value !== null) {
      input.csvText = csvText.value;
      if (csvName.value !== null) input.csvName = csvName.value;
    }
    const r = parseConfig(input);
    const own = [...issues];
    if (form.value.dataset === 'csv') {
      const n = typeof input.samples === 'number' ? input.samples : null;
      const t = typeof input.testSamples === 'number' ? input.testSamples : null;
      const c = csvIssue(csvCheck.value, n, t);
      if (c) own.push(c);
    }
    if (own.length > 0) {
      // The form's own issues hide the schema's complaint about the same (missing) key.
      const keys = new Set(own.map((i) => i.key));
      const rest = r.ok ? [] : r.issues.filter((i) => !keys.has(i.key));
      return { config: null, issues: [...own, ...rest] };
    }
    return r.ok ? { config: r.config, issues: [] } : { config: null, issues: r.issues };
  });

  /** what a run of the parsed config would allocate (null while the config is invalid) */
  const memory = computed<RunMemoryEstimate | null>(() => (parsed.value.config ? estimateRunMemory(parsed.value.config) : null));
  const valid = computed(() => parsed.value.config !== null && memory.value?.fits === true);
  const issues = computed<ConfigIssue[]>(() =>
    memory.value && !memory.value.fits ? [...parsed.value.issues, { key: memory.value.field, message: memory.value.message! }] : parsed.value.issues,
  );
  /** issues per key, as `Label: rule` lines shown under the field (the label the user sees, not the key) */
  const issuesByKey = computed(() => {
    const m: Record<string, string[]> = {};
    for (const i of issues.value) (m[i.key] ??= []).push(`${labelOf(i.key)}: ${i.message}`);
    return m;
  });

  /** Puts the defaults (with the current data set's own) into every field the user has not touched. */
  function fillUntouched(keys: readonly FieldKey[]): void {
    const ds = form.value.dataset as Dataset;
    const base = configToForm(defaultsForDataset(defaults.value, ds));
    const next = { ...form.value };
    for (const k of keys) if (!touched.value.has(k) && k !== 'dataset') next[k] = base[k];
    form.value = next;
  }

  /** Loads the server's defaults into the fields the user has not touched yet (falls back to the shared ones). */
  async function loadDefaults(): Promise<void> {
    const r = await getApi().invoke('config:defaults', undefined);
    if (!r.ok) return;
    defaults.value = r.value;
    if (!touched.value.has('dataset')) form.value = { ...form.value, dataset: r.value.dataset };
    fillUntouched(FIELDS.map((f) => f.key));
  }

  /** Sets one field's raw value as the user's own (a data set change brings its own defaults to untouched fields). */
  function set(key: FieldKey, value: string | boolean): void {
    touched.value = new Set(touched.value).add(key);
    form.value = { ...form.value, [key]: value };
    if (key === 'dataset') fillUntouched(PRESET_KEYS);
  }

  /** Restores every field to the defaults, forgets what was touched, and drops the imported CSV. */
  function resetForm(): void {
    touched.value = new Set();
    form.value = configToForm(defaults.value);
    clearCsv();
  }

  /** Uses a CSV file's text as the data set (the text travels in config.csvText, never a path); the check follows. */
  function importCsv(name: string, text: string): void {
    csvText.value = text;
    csvName.value = name.slice(0, 512);
    csvCheck.value = { status: 'checking' };
    set('dataset', 'csv');
  }

  /** Records the outcome of the CSV check for the file now in the form. */
  function setCsvCheck(check: CsvCheck): void {
    csvCheck.value = check;
  }

  /** Forgets the CSV file and its check (another file is being chosen, or the form was reset). */
  function clearCsv(): void {
    csvText.value = null;
    csvName.value = null;
    csvCheck.value = { status: 'none' };
  }

  /** Fills the form from a stored config (reopening a run): every field counts as the user's. */
  function loadConfig(c: Config): void {
    form.value = configToForm(c);
    touched.value = new Set(FIELDS.map((f) => f.key));
    csvText.value = c.csvText ?? null;
    csvName.value = c.csvName ?? null;
    // A stored run's file was parsed when it ran: no check is pending for it.
    csvCheck.value = { status: 'none' };
  }

  return {
    form,
    csvText,
    csvName,
    csvCheck,
    defaults,
    touched,
    parsed,
    memory,
    valid,
    issues,
    issuesByKey,
    loadDefaults,
    set,
    resetForm,
    importCsv,
    setCsvCheck,
    clearCsv,
    loadConfig,
  };
});
