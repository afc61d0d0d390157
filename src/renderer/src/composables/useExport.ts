/**
 * Exports of stored runs and sessions from any view (the run list now, the run table later): each asks the
 * service for the file and hands it to the user (save dialog in the desktop app, download in a browser).
 */
import { ref } from 'vue';
import type { ExportFile } from '../../../shared/api/contract';
import type { Result } from '../../../shared/api/result';
import { getApi } from '../api/current';
import { deliverExport } from '../api/files';

/** Export actions with a shared busy flag and the last error or notice. */
export function useExport() {
  const busy = ref(false);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);

  async function deliver(make: () => Promise<Result<ExportFile>>): Promise<boolean> {
    busy.value = true;
    error.value = null;
    notice.value = null;
    try {
      const f = await make();
      if (!f.ok) {
        error.value = f.error.message;
        return false;
      }
      const r = await deliverExport(f.value);
      if (!r.ok) {
        error.value = r.error.message;
        return false;
      }
      notice.value = r.value.path ? `Saved ${r.value.path}` : r.value.saved ? `Downloading ${f.value.fileName}` : null;
      return r.value.saved;
    } finally {
      busy.value = false;
    }
  }

  return {
    busy,
    error,
    notice,
    /** the metrics of runs as one CSV (long format; `wide` for one column per metric) */
    exportRunsCsv: (runIds: string[], wide = false) => deliver(() => getApi().invoke('export:csv', { runIds, wide })),
    /** an HTML report of runs */
    exportRunsReport: (runIds: string[]) => deliver(() => getApi().invoke('export:report', { runIds })),
    /** an HTML report of a session */
    exportSessionReport: (sessionId: string) => deliver(() => getApi().invoke('export:report', { sessionId })),
    /** a run's kept parameters and spectra as .npy files in a zip */
    exportRunArrays: (runId: string) => deliver(() => getApi().invoke('export:arrays', { runId })),
    /** a session as an archive to import elsewhere */
    archiveSession: (sessionId: string) => deliver(() => getApi().invoke('session:archive', { sessionId })),
  };
}
