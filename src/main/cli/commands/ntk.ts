/** `ntk`: the empirical NTK of a configured network. */
import type { Command } from 'commander';
import { toScriptJson } from '../../../shared/json';
import { encodeNpy } from '../../services/export/npy';
import { writeOutputFile } from '../../services/export/output';
import { matrixToCsv } from '../../../shared/export/csv';
import { errln, nonNegativeInt, out, printJson, readConfig, withHost, type CliState } from '../common';

/** Registers `ntk` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('ntk')
    .description('empirical NTK spectrum and summary of a configured network, at init or after K steps')
    .requiredOption('--config <file>', 'config JSON')
    .option('--at-step <K>', 'train K GD steps first', nonNegativeInt('--at-step'), 0)
    .option('--full', 'the full nd×nd NTK instead of the output-traced n×n average')
    .option('--npy <FILE.npy>', 'also write the matrix whose spectrum is printed (float64, size×size) as a NumPy .npy file')
    .option('--csv <FILE.csv>', 'also write that matrix as CSV')
    .option('--json', 'print only JSON')
    .action(async (o: { config: string; atStep: number; full?: boolean; npy?: string; csv?: string; json?: boolean }) => {
      const config = await readConfig(o.config);
      const wantMatrix = o.npy !== undefined || o.csv !== undefined;
      const r = await withHost((h) => h.runTask('ntk', { config, atStep: o.atStep, full: Boolean(o.full), matrix: wantMatrix }));
      const matrix = r.matrix as Float64Array | undefined;
      delete r.matrix;
      if (matrix) {
        const size = r.size as number;
        if (o.npy !== undefined) await writeOutputFile(o.npy, encodeNpy(matrix, [size, size]));
        if (o.csv !== undefined) await writeOutputFile(o.csv, matrixToCsv(matrix, size, size));
        errln(`wrote the ${size}×${size} ${String(r.kind)} empirical NTK to ${[o.npy, o.csv].filter(Boolean).join(' and ')}`);
      }
      if (o.json) printJson(r);
      else
        for (const [k, v] of Object.entries(toScriptJson(r) as Record<string, unknown>))
          out(`${k.padEnd(22)} ${Array.isArray(v) ? `[${v.length} values]` : JSON.stringify(v)}`);
    });
}
