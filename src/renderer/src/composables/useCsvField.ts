/**
 * The CSV file field's logic: reads the chosen file in the page (its text travels in the config, or as an
 * upload the request names — never a path), asks csv:inspect for its shape with the run's own parser, and
 * keeps the config store's CSV check up to date, so that a bad file shows its line and column under the
 * field and Run stays disabled. Choosing another file first forgets the previous file and its errors; of two
 * files chosen quickly the later one wins. When the file's row count does not match Samples + Test samples it offers numbers that do.
 */
import { computed, ref } from 'vue';
import type { ComputedRef, Ref } from 'vue';
import { MAX_CSV_CHARS } from '../../../shared/config/schema';
import { decodeTextFile } from '../../../shared/data/text';
import { getApi } from '../api/current';
import { useConfigStore } from '../stores/config';

/** Samples and Test samples that fit a file of `rows` rows (keeping the current test share where it fits). */
export interface RowOffer {
  rows: number;
  samples: number;
  testSamples: number;
}

/**
 * Samples/Test samples for a file of `rows` rows: all rows used, the test set kept at its size but at most a
 * quarter of the file (none for a file of one row). Null when the form already uses every row.
 */
export function rowOffer(rows: number, samples: number | null, testSamples: number | null): RowOffer | null {
  if (!(rows >= 1)) return null;
  const t = Math.max(0, Math.min(testSamples ?? 0, Math.floor(rows / 4)));
  const offer = { rows, samples: rows - t, testSamples: t };
  return offer.samples === samples && offer.testSamples === testSamples ? null : offer;
}

export interface CsvField {
  /** reads a file and checks it (also for drops) */
  choose(file: File): Promise<void>;
  /** the Samples/Test samples offer for the checked file, or null */
  offer: ComputedRef<RowOffer | null>;
  /** puts the offer into the form */
  applyOffer(): void;
  /** true while the file is read or checked */
  busy: Ref<boolean>;
}

/** The CSV field's state and actions (one per field). */
export function useCsvField(): CsvField {
  const config = useConfigStore();
  const busy = ref(false);
  let seq = 0;

  async function choose(file: File): Promise<void> {
    const mine = ++seq;
    config.clearCsv();
    if (file.size > MAX_CSV_CHARS) {
      config.set('dataset', 'csv');
      config.setCsvCheck({
        status: 'error',
        message: `${file.name} is ${(file.size / 1048576).toFixed(1)} MiB; at most ${MAX_CSV_CHARS / 1048576} MiB`,
        line: null,
        column: null,
      });
      return;
    }
    busy.value = true;
    try {
      // Decoded as the service and the CLI decode it: UTF-16 with a byte-order mark works, other encodings get a hint.
      const decoded = decodeTextFile(new Uint8Array(await file.arrayBuffer()), file.name);
      if (mine !== seq) return;
      if (!decoded.ok) {
        config.set('dataset', 'csv');
        config.setCsvCheck({ status: 'error', message: decoded.message, line: null, column: null });
        return;
      }
      const text = decoded.text;
      config.importCsv(file.name, text);
      // The text as a config field: the browser client sends a long one once, as an upload, like Run does.
      const r = await getApi().invoke('csv:inspect', { config: { csvText: text, csvName: file.name.slice(0, 512) } });
      if (mine !== seq) return;
      if (r.ok) {
        config.setCsvCheck({ status: 'ok', rows: r.value.rows, columns: r.value.columns, header: r.value.header !== null });
      } else {
        const d = r.error.details ?? {};
        config.setCsvCheck({
          status: 'error',
          message: r.error.message,
          line: typeof d.line === 'number' ? d.line : null,
          column: typeof d.column === 'number' ? d.column : null,
        });
      }
    } catch (e) {
      if (mine === seq)
        config.setCsvCheck({
          status: 'error',
          message: `could not read ${file.name}: ${e instanceof Error ? e.message : String(e)}`,
          line: null,
          column: null,
        });
    } finally {
      if (mine === seq) busy.value = false;
    }
  }

  const offer = computed<RowOffer | null>(() => {
    const c = config.csvCheck;
    if (c.status !== 'ok') return null;
    const num = (v: string | boolean): number | null => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : null);
    return rowOffer(c.rows, num(config.form.samples), num(config.form.testSamples));
  });

  function applyOffer(): void {
    const o = offer.value;
    if (!o) return;
    config.set('samples', String(o.samples));
    config.set('testSamples', String(o.testSamples));
  }

  return { choose, offer, applyOffer, busy };
}
