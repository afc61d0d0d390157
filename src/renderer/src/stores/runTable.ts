/**
 * Run table store (issue 15): the rows of every run (runs:table), the filter typed in the filter box
 * (parsed in the page with the shared parser, so a bad expression is named as you type), the chosen columns
 * and sort, the selection, and the comparison of selected runs (their records from run:get, a stable colour
 * per run, runs hidden from the charts, axes, group-by and band).
 */
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { RunDetail } from '../../../shared/api/contract';
import type { BandKind } from '../../../shared/runs/bands';
import { FilterSyntaxError, type FilterExpr } from '../../../shared/runs/filter';
import { DEFAULT_COLUMNS, filterRows, parseRunFilter, sortRows, type RunRow } from '../../../shared/runs/table';
import { getApi } from '../api/current';

/** Columns remembered between visits of this page (the table's choice is the user's). */
const COLUMNS_KEY = 'ntk-workbench.runTable.columns';

function loadColumns(): string[] {
  try {
    const raw = globalThis.localStorage?.getItem(COLUMNS_KEY);
    const v = raw ? (JSON.parse(raw) as unknown) : null;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0) return v as string[];
  } catch {
    /* no storage, or a damaged entry: the defaults */
  }
  return [...DEFAULT_COLUMNS];
}

export const useRunTableStore = defineStore('runTable', () => {
  const rows = shallowRef<RunRow[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const filterText = ref('');
  const columns = ref<string[]>(loadColumns());
  const sort = ref<{ column: string; direction: 'asc' | 'desc' }>({ column: 'started', direction: 'desc' });
  const selected = ref<string[]>([]);

  const parsedFilter = computed<{ expr: FilterExpr | null; error: string | null }>(() => {
    try {
      return { expr: parseRunFilter(filterText.value), error: null };
    } catch (e) {
      return { expr: null, error: e instanceof FilterSyntaxError ? e.message : String(e) };
    }
  });

  /** The rows the filter keeps, sorted (all rows while the filter is invalid would hide the error; none are shown). */
  const visibleRows = computed<RunRow[]>(() => {
    const expr = parsedFilter.value.expr;
    if (expr === null) return [];
    return sortRows(filterRows(rows.value, expr), sort.value.column, sort.value.direction);
  });

  const byId = computed(() => new Map(rows.value.map((r) => [r.runId, r])));

  async function refresh(): Promise<void> {
    loading.value = true;
    const r = await getApi().invoke('runs:table', {});
    loading.value = false;
    if (!r.ok) {
      error.value = r.error.message;
      return;
    }
    error.value = null;
    rows.value = markRaw(r.value);
    const ids = new Set(r.value.map((x) => x.runId));
    selected.value = selected.value.filter((id) => ids.has(id));
  }

  function setColumns(next: string[]): void {
    columns.value = next;
    try {
      globalThis.localStorage?.setItem(COLUMNS_KEY, JSON.stringify(next));
    } catch {
      /* not remembered */
    }
  }

  function sortBy(column: string): void {
    sort.value = sort.value.column === column ? { column, direction: sort.value.direction === 'asc' ? 'desc' : 'asc' } : { column, direction: 'asc' };
  }

  async function annotate(runId: string, change: { tags?: string[]; note?: string }): Promise<string | null> {
    const r = await getApi().invoke('runs:annotate', { runId, ...change });
    if (!r.ok) return r.error.message;
    rows.value = markRaw(rows.value.map((x) => (x.runId === runId ? { ...x, tags: r.value.tags, note: r.value.note } : x)));
    return null;
  }

  /** Deletes runs (to the trash; `confirmed` allows a permanent delete where there is none). Returns an error or what happened. */
  async function remove(
    runIds: string[],
    confirmed = false,
  ): Promise<{ ok: true; trashed: boolean } | { ok: false; message: string; needsConfirmation: boolean }> {
    const r = await getApi().invoke('runs:delete', { runIds, confirmed });
    if (!r.ok) return { ok: false, message: r.error.message, needsConfirmation: r.error.details?.needsConfirmation === true };
    selected.value = selected.value.filter((id) => !runIds.includes(id));
    compared.value = compared.value.filter((id) => !runIds.includes(id));
    await refresh();
    return { ok: true, trashed: r.value.trashed };
  }

  // ---- comparison ------------------------------------------------------------------------------------

  /** The runs being compared (a snapshot of the selection when Compare was pressed). */
  const compared = ref<string[]>([]);
  /** run id → colour index, kept while a run stays compared, so a run keeps its colour */
  const colours = ref<Record<string, number>>({});
  const details = shallowRef<Record<string, RunDetail>>({});
  const hidden = ref<string[]>([]);
  const xAxis = ref<'step' | 'wall'>('step');
  const logX = ref(false);
  const logY = ref(true);
  const groupBy = ref<string>('');
  const band = ref<BandKind>('std');
  const compareError = ref<string | null>(null);
  const comparing = ref(false);

  /** Compares the selected runs: loads what is not loaded yet and gives each new run the lowest free colour. */
  async function compare(): Promise<void> {
    const ids = [...selected.value];
    compared.value = ids;
    const kept: Record<string, number> = {};
    for (const id of ids) if (colours.value[id] !== undefined) kept[id] = colours.value[id]!;
    for (const id of ids) {
      if (kept[id] !== undefined) continue;
      const used = new Set(Object.values(kept));
      let c = 0;
      while (used.has(c)) c++;
      kept[id] = c;
    }
    colours.value = kept;
    hidden.value = hidden.value.filter((id) => ids.includes(id));
    comparing.value = true;
    compareError.value = null;
    const next: Record<string, RunDetail> = {};
    for (const id of ids) {
      const have = details.value[id];
      if (have && have.summary.status !== 'running' && have.summary.status !== 'paused') {
        next[id] = have;
        continue;
      }
      const r = await getApi().invoke('run:get', { runId: id });
      if (r.ok) next[id] = markRaw(r.value);
      else compareError.value = `${id}: ${r.error.message}`;
    }
    details.value = next;
    comparing.value = false;
  }

  function toggleHidden(runId: string): void {
    hidden.value = hidden.value.includes(runId) ? hidden.value.filter((x) => x !== runId) : [...hidden.value, runId];
  }

  return {
    rows,
    loading,
    error,
    filterText,
    columns,
    sort,
    selected,
    parsedFilter,
    visibleRows,
    byId,
    refresh,
    setColumns,
    sortBy,
    annotate,
    remove,
    compared,
    colours,
    details,
    hidden,
    xAxis,
    logX,
    logY,
    groupBy,
    band,
    compareError,
    comparing,
    compare,
    toggleHidden,
  };
});
