/**
 * The export channels of the API (`export:*`, `session:archive`, `session:import`, `file:save`,
 * `file:open`), implemented once for every shell: results are held in the {@link TransferStore} under a
 * random id, which Electron saves through its native dialog and browser mode serves as a download.
 * Archives to import arrive like every other upload (services/uploads.ts, kind `archive`).
 */
import * as path from 'node:path';
import type { ExportFile, ImportSummary, InvokeMap } from '../../../shared/api/contract';
import type { UploadInfo } from '../../../shared/api/upload';
import { WorkbenchException } from '../../../shared/api/result';
import type { SessionStore } from '../sessionStore';
import type { UploadStore } from '../uploads';
import { createArchive, importArchive } from './archive';
import { runArrays } from './arrays';
import { metricsCsv } from './csv';
import { buildReport } from './report';
import { readRunFolder, readSessionFolder, type RunData } from './runData';
import { TransferStore } from './transfers';
import { writeZip } from './zip';

/** Native dialogs, supplied by the Electron adapter (absent in browser mode and the CLI). */
export interface FileDialogs {
  /** asks where to save `data` (suggesting `fileName`) and writes it there; null when cancelled */
  save(fileName: string, data: Uint8Array): Promise<string | null>;
  /** asks for a file to open; null when cancelled */
  open(purpose: 'archive'): Promise<{ fileName: string; data: Uint8Array } | null>;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').slice(0, 13);
}

/** The export side of the workbench service. */
export class ExportService {
  readonly transfers: TransferStore;

  constructor(
    private readonly store: SessionStore,
    private readonly uploads: UploadStore,
    private readonly appVersion: string,
    private readonly dialogs: FileDialogs | null = null,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.transfers = new TransferStore(() => this.now().getTime());
  }

  private async runs(runIds: readonly string[]): Promise<RunData[]> {
    const out: RunData[] = [];
    for (const id of runIds) out.push(await readRunFolder(await this.store.findRunDir(id), `run ${id}`));
    return out;
  }

  /** `export:csv` */
  async csv(req: InvokeMap['export:csv']['req']): Promise<ExportFile> {
    const runs = await this.runs(req.runIds);
    const name = runs.length === 1 ? runs[0]!.runId : `${runs.length}-runs-${stamp(this.now())}`;
    return this.transfers.offer(`${name}${req.wide ? '-wide' : ''}.csv`, 'text/csv', new TextEncoder().encode(metricsCsv(runs, { wide: req.wide === true })));
  }

  /** `export:report` */
  async report(req: InvokeMap['export:report']['req']): Promise<ExportFile> {
    let html: string;
    let name: string;
    if (req.sessionId !== undefined) {
      const dir = await this.store.sessionFolder(req.sessionId);
      const s = await readSessionFolder(dir, `session ${req.sessionId}`);
      if (s.runs.length === 0) throw new WorkbenchException('invalid-request', `session ${req.sessionId} has no runs to report on`);
      html = buildReport(s.runs, { sessions: [s], appVersion: this.appVersion, generatedAt: this.now() });
      name = `report-${req.sessionId}`;
    } else {
      const runs = await this.runs(req.runIds ?? []);
      html = buildReport(runs, { appVersion: this.appVersion, generatedAt: this.now() });
      name = runs.length === 1 ? `report-${runs[0]!.runId}` : `report-${runs.length}-runs-${stamp(this.now())}`;
    }
    return this.transfers.offer(`${name}.html`, 'text/html', new TextEncoder().encode(html));
  }

  /** `export:arrays`: the run's .npy files in one zip. */
  async arrays(req: InvokeMap['export:arrays']['req']): Promise<ExportFile> {
    const [run] = await this.runs([req.runId]);
    const { files, notes } = await runArrays(run!);
    const readme = new TextEncoder().encode(`Arrays of run ${run!.runId} (float64 .npy; np.load("W0.npy")).\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
    return this.transfers.offer(
      `${run!.runId}-arrays.zip`,
      'application/zip',
      writeZip([...files.map((f) => ({ name: f.name, data: f.data })), { name: 'README.txt', data: readme }]),
    );
  }

  /** `session:archive` */
  async archiveSession(req: InvokeMap['session:archive']['req']): Promise<ExportFile> {
    const dir = await this.store.sessionFolder(req.sessionId);
    const { bytes } = await createArchive(dir, this.appVersion, this.now());
    return this.transfers.offer(`${path.basename(dir)}.zip`, 'application/zip', bytes);
  }

  /** `session:import` */
  async importUpload(req: InvokeMap['session:import']['req']): Promise<ImportSummary> {
    const up = await this.uploads.read(req.uploadId, 'archive');
    try {
      return await importArchive(new Uint8Array(up.bytes.buffer, up.bytes.byteOffset, up.bytes.byteLength), this.store.dataDir, {
        label: up.name,
        now: this.now(),
      });
    } finally {
      // An archive is imported once, refused or not: its bytes need not wait for the expiry.
      await this.uploads.discard(req.uploadId);
    }
  }

  /** `file:save` (desktop app) */
  async save(req: InvokeMap['file:save']['req']): Promise<{ saved: boolean; path: string | null }> {
    if (!this.dialogs)
      throw new WorkbenchException('invalid-request', 'file:save: there is no save dialog here; browser mode downloads files from /download/<fileId>');
    let fileName: string;
    let data: Uint8Array;
    if ('fileId' in req) {
      const f = this.transfers.take(req.fileId);
      if (!f) throw new WorkbenchException('not-found', `no export ${req.fileId} (exports are kept 10 minutes and saved once)`);
      fileName = f.fileName;
      data = f.data;
    } else {
      fileName = req.fileName;
      data = new Uint8Array(Buffer.from(req.dataBase64, 'base64'));
    }
    const where = await this.dialogs.save(fileName, data);
    return { saved: where !== null, path: where };
  }

  /** `file:open` (desktop app) */
  async open(req: InvokeMap['file:open']['req']): Promise<UploadInfo | null> {
    if (!this.dialogs) throw new WorkbenchException('invalid-request', 'file:open: there is no open dialog here; browser mode uploads files to /upload');
    const f = await this.dialogs.open(req.purpose);
    return f === null ? null : this.uploads.put(req.purpose, f.fileName, f.data);
  }
}
