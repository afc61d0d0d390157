/** `archive`: a run or session folder as one zip to open on another machine (`import`). */
import type { Command } from 'commander';
import path from 'node:path';
import { createArchive } from '../../services/export/archive';
import { writeOutputFile } from '../../services/export/output';
import { APP_VERSION } from '../../services/appVersion';
import { out, printJson, type CliState } from '../common';

/** Registers `archive` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('archive')
    .description('pack a run folder or a session folder into one zip (open it elsewhere with `import`)')
    .argument('<RUN_OR_SESSION_DIR>', 'a run folder or a session folder')
    .requiredOption('--out <FILE.zip>', 'the zip file to write')
    .option('--json', 'print only JSON')
    .action(async (dir: string, o: { out: string; json?: boolean }) => {
      const { bytes, manifest } = await createArchive(path.resolve(dir), APP_VERSION);
      await writeOutputFile(o.out, bytes);
      const res = {
        file: path.resolve(o.out),
        bytes: bytes.length,
        kind: manifest.kind,
        sessionId: manifest.session?.sessionId ?? null,
        runIds: manifest.runs,
      };
      if (o.json) printJson(res);
      else out(`${res.file}: ${manifest.kind === 'session' ? `session ${res.sessionId}, ` : ''}${manifest.runs.length} run(s), ${bytes.length} bytes`);
    });
}
