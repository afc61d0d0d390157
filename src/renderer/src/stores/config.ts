/**
 * Config store: the form's raw text, the config it parses to, and the issues (same rules as the backend,
 * via the shared parseConfig). An invalid config cannot run, and neither can one whose memory estimate
 * (the shared estimateRunMemory, the same the services and the engine refuse with) is above its limit: the
 * estimate is an issue of the field that drives it.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { defaultConfig, parseConfig } from '../../../shared/config/schema';
import type { Config, ConfigIssue } from '../../../shared/config/schema';
import { estimateRunMemory, type RunMemoryEstimate } from '../../../shared/run/memory';
import { getApi } from '../api/current';
import { FIELDS } from './configFields';
import type { FieldDef } from './configFields';

export type FormValues = Record<FieldDef['key'], string | boolean>;

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

export const useConfigStore = defineStore('config', () => {
  const form = ref<FormValues>(configToForm(defaultConfig()));
  const csvText = ref<string | null>(null);
  const csvName = ref<string | null>(null);
  const defaults = ref<Config>(defaultConfig());

  const parsed = computed<{ config: Config | null; issues: ConfigIssue[] }>(() => {
    const { input, issues } = formToInput(form.value);
    if (csvText.value !== null) {
      input.csvText = csvText.value;
      if (csvName.value !== null) input.csvName = csvName.value;
    }
    const r = parseConfig(input);
    if (issues.length > 0) {
      // The form's own issues hide the schema's complaint about the same (missing) key.
      const own = new Set(issues.map((i) => i.key));
      const rest = r.ok ? [] : r.issues.filter((i) => !own.has(i.key));
      return { config: null, issues: [...issues, ...rest] };
    }
    return r.ok ? { config: r.config, issues: [] } : { config: null, issues: r.issues };
  });

  /** what a run of the parsed config would allocate (null while the config is invalid) */
  const memory = computed<RunMemoryEstimate | null>(() => (parsed.value.config ? estimateRunMemory(parsed.value.config) : null));
  const valid = computed(() => parsed.value.config !== null && memory.value?.fits === true);
  const issues = computed<ConfigIssue[]>(() =>
    memory.value && !memory.value.fits ? [...parsed.value.issues, { key: memory.value.field, message: memory.value.message! }] : parsed.value.issues,
  );
  /** issues per key, as `key: rule` lines shown under the field */
  const issuesByKey = computed(() => {
    const m: Record<string, string[]> = {};
    for (const i of issues.value) (m[i.key] ??= []).push(`${i.key}: ${i.message}`);
    return m;
  });

  /** Loads the server's defaults (falls back to the shared defaults). */
  async function loadDefaults(): Promise<void> {
    const r = await getApi().invoke('config:defaults', undefined);
    if (r.ok) {
      defaults.value = r.value;
      form.value = configToForm(r.value);
    }
  }

  /** Sets one field's raw value. */
  function set(key: FieldDef['key'], value: string | boolean): void {
    form.value = { ...form.value, [key]: value };
  }

  /** Restores every field to the defaults and drops the imported CSV. */
  function resetForm(): void {
    form.value = configToForm(defaults.value);
    csvText.value = null;
    csvName.value = null;
  }

  /** Uses a CSV file's text as the data set (the text travels in config.csvText, never a path). */
  function importCsv(name: string, text: string): void {
    csvText.value = text;
    csvName.value = name.slice(0, 512);
    form.value = { ...form.value, dataset: 'csv' };
  }

  /** Fills the form from a stored config (reopening a run). */
  function loadConfig(c: Config): void {
    form.value = configToForm(c);
    csvText.value = c.csvText ?? null;
    csvName.value = c.csvName ?? null;
  }

  return { form, csvText, csvName, defaults, parsed, memory, valid, issues, issuesByKey, loadDefaults, set, resetForm, importCsv, loadConfig };
});
