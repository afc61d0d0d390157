/** `import`: a zip made by `archive` (or the app) into the data directory, as a new session. */
import type { Command } from 'commander';
import { promises as fsp } from 'node:fs';
import { WorkbenchException } from '../../../shared/api/result';
import { MAX_ARCHIVE_BYTES, importArchive } from '../../services/export/archive';
import { resolveDataDir } from '../../services/dataDir';
import { out, printJson, type CliState } from '../common';

/** Registers `import` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('import')
    .description('import an archive into the data directory as a new session; a hostile or corrupt archive exits 2 naming the entry and the rule')
    .argument('<FILE.zip>', 'an archive made by `archive` or the app')
    .option('--data-dir <dir>', 'the data directory (default: the platform data folder or $NTK_WORKBENCH_DATA_DIR)')
    .option('--json', 'print only JSON')
    .action(async (file: string, o: { dataDir?: string; json?: boolean }) => {
      const st = await fsp.stat(file).catch(() => null);
      if (!st || !st.isFile()) throw new WorkbenchException('invalid-request', `FILE.zip: cannot read ${file} (no such file)`);
      if (st.size > MAX_ARCHIVE_BYTES)
        throw new WorkbenchException('invalid-data', `${file}: too-large: ${st.size} bytes, above the ${MAX_ARCHIVE_BYTES}-byte limit for an archive`);
      const bytes = new Uint8Array(await fsp.readFile(file));
      const dataDir = resolveDataDir({ flag: o.dataDir, env: process.env });
      const r = await importArchive(bytes, dataDir, { label: file });
      if (o.json) printJson({ dataDir, ...r });
      else {
        out(`imported session ${r.sessionId} (“${r.name}”) with ${r.runIds.length} run(s) into ${dataDir}`);
        for (const id of r.runIds) out(`  ${id}`);
        for (const [from, to] of Object.entries(r.renamed)) out(`  ${from} was taken already: imported as ${to}`);
      }
    });
}
