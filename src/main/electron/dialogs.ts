/**
 * The native save and open dialogs of the desktop app, given to the workbench service so that `file:save`
 * and `file:open` work there (browser mode moves files as downloads and uploads instead).
 */
import { dialog, type BrowserWindow } from 'electron';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { WorkbenchException } from '../../shared/api/result';
import type { FileDialogs } from '../services/export/exportService';
import { MAX_ARCHIVE_BYTES } from '../services/export/archive';
import { writeOutputFile } from '../services/export/output';

/** Dialogs attached to the app's window (`win()` may be null before it exists). */
export function electronDialogs(win: () => BrowserWindow | null): FileDialogs {
  return {
    async save(fileName, data) {
      const w = win();
      const opts = { defaultPath: fileName };
      const r = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts);
      if (r.canceled || !r.filePath) return null;
      await writeOutputFile(r.filePath, data);
      return r.filePath;
    },
    async open(purpose) {
      const w = win();
      const opts = { properties: ['openFile' as const], filters: purpose === 'archive' ? [{ name: 'NTK Workbench archive', extensions: ['zip'] }] : [] };
      const r = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
      const file = r.filePaths[0];
      if (r.canceled || file === undefined) return null;
      const st = await fsp.stat(file);
      if (st.size > MAX_ARCHIVE_BYTES)
        throw new WorkbenchException('too-large', `${file} is ${st.size} bytes, above the ${MAX_ARCHIVE_BYTES}-byte limit for an archive`);
      return { fileName: path.basename(file), data: new Uint8Array(await fsp.readFile(file)) };
    },
  };
}
