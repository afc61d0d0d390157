/** `kernel`: the infinite-width Gram matrix of a CSV data set. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { encodeNpy } from '../../services/export/npy';
import { writeOutputFile } from '../../services/export/output';
import { matrixToCsv } from '../../../shared/export/csv';
import { errln, fmt, out, positiveNumber, printJson, readInput, withHost, type CliState } from '../common';

/** Registers `kernel` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('kernel')
    .description('infinite-width Gram matrix of the rows of a CSV file, with its eigenvalues (float64, ascending)')
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .addOption(new Option('--kernel <kind>', 'which kernel').choices(['enc', 'dec', 'joint']).makeOptionMandatory())
    .option('--kappa <k>', 'encoder init scale κ', positiveNumber('--kappa'), 1)
    .option('--nu <n>', 'decoder init scale ν', positiveNumber('--nu'), 1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--npy <FILE.npy>', 'also write the Gram matrix (float64, n×n) as a NumPy .npy file')
    .option('--csv <FILE.csv>', 'also write the Gram matrix as CSV (n rows of n numbers)')
    .option('--json', 'print only JSON')
    .action(async (o: { data: string; kernel: 'enc' | 'dec' | 'joint'; kappa: number; nu: number; memoryLimit: number; npy?: string; csv?: string; json?: boolean }) => {
      const csvText = await readInput(o.data, '--data');
      const r = await withHost((h) => h.runTask<{ kernel: string; n: number; d: number; gram: number[][]; eigenvalues: number[] }>('kernel', { csvText, kernel: o.kernel, kappa: o.kappa, nu: o.nu, memoryLimitMiB: o.memoryLimit }));
      if (o.npy !== undefined || o.csv !== undefined) {
        const flat = Float64Array.from(r.gram.flat());
        if (o.npy !== undefined) await writeOutputFile(o.npy, encodeNpy(flat, [r.n, r.n]));
        if (o.csv !== undefined) await writeOutputFile(o.csv, matrixToCsv(flat, r.n, r.n));
        errln(`wrote the ${r.n}×${r.n} Gram matrix to ${[o.npy, o.csv].filter(Boolean).join(' and ')}`);
      }
      if (o.json) printJson(r);
      else {
        out(`${o.kernel} kernel of ${r.n} samples in d=${r.d}`);
        out(`eigenvalues (ascending): ${r.eigenvalues.map((x) => fmt(x, 6)).join(' ')}`);
        if (r.n <= 12) for (const row of r.gram) out(row.map((x) => fmt(x, 5).padStart(12)).join(''));
      }
    });
}
