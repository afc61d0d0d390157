/** `runs`: the run table of a data directory (every session), optionally filtered, as a table or JSON. */
import type { Command } from 'commander';
import { resolveDataDir } from '../../services/dataDir';
import { RunTable } from '../../services/runs/runTable';
import { DEFAULT_COLUMNS, columnDef, formatCell, rowCells, type RunRow } from '../../../shared/runs/table';
import { out, printJson, type CliState } from '../common';

/** A row as `runs --json` prints it: the table's columns by id, plus tags, reason and the whole config. */
export function rowJson(r: RunRow): Record<string, unknown> {
  const cells = rowCells(r);
  const o: Record<string, unknown> = {};
  for (const id of ['runId', 'session', ...DEFAULT_COLUMNS, 'testLoss', 'lastStep', 'appVersion', 'machine']) o[id] = cells[id] ?? null;
  return { ...o, sessionId: r.sessionId, reason: r.reason, finishedAt: r.finishedAt, tags: r.tags, note: r.note, config: r.config };
}

/** Registers `runs` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('runs')
    .description('list the runs of every session with the run table’s columns; a bad --filter exits 2 saying where')
    .option('--data-dir <dir>', 'the data directory (default: the platform data folder or $NTK_WORKBENCH_DATA_DIR)')
    .option('--filter <expr>', 'keep the runs that match, e.g. "regime = joint and hiddenWidth >= 64" or "tag:baseline"')
    .option('--json', 'print only JSON: an array of objects, one per run')
    .action(async (o: { dataDir?: string; filter?: string; json?: boolean }) => {
      const dataDir = resolveDataDir({ flag: o.dataDir, env: process.env });
      const rows = await new RunTable(dataDir).list({ filter: o.filter });
      if (o.json) {
        printJson(rows.map(rowJson));
        return;
      }
      const cols = ['runId', ...DEFAULT_COLUMNS];
      const table = [
        cols.map((c) => columnDef(c)?.label ?? c),
        ...rows.map((r) => {
          const cells = rowCells(r);
          return cols.map((c) => formatCell(c, cells[c]));
        }),
      ];
      const widths = cols.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
      for (const line of table)
        out(
          line
            .map((s, i) => s.padEnd(widths[i]!))
            .join('  ')
            .trimEnd(),
        );
      out(`${rows.length} run${rows.length === 1 ? '' : 's'} in ${dataDir}`);
    });
}
