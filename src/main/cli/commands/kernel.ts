/** `kernel`: the infinite-width Gram matrix of a CSV data set (enc, dec, joint; and the weighted NTK of SPEC §10.6). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { WorkbenchException } from '../../../shared/api/result';
import { encodeNpy } from '../../services/export/npy';
import { writeOutputFile } from '../../services/export/output';
import { matrixToCsv } from '../../../shared/export/csv';
import { errln, fmt, out, positiveNumber, printJson, readInput, withHost, type CliState } from '../common';
import { naming, nonNegativeNumber } from '../kernelOptions';

/** Registers `kernel` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('kernel')
    .description('infinite-width Gram matrix of the rows of a CSV file, with its eigenvalues (float64, ascending)')
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .addOption(
      new Option('--kernel <kind>', 'which kernel (weighted: ω_W ν²H_enc∞ + ω_V κ²H_dec∞)').choices(['enc', 'dec', 'joint', 'weighted']).makeOptionMandatory(),
    )
    .option('--kappa <k>', 'encoder init scale κ', positiveNumber('--kappa'), 1)
    .option('--nu <n>', 'decoder init scale ν', positiveNumber('--nu'), 1)
    .option('--omega-w <A>', 'weighted: encoder step weight ω_W ≥ 0 (default 1)', nonNegativeNumber('--omega-w'))
    .option('--omega-v <B>', 'weighted: decoder step weight ω_V ≥ 0 (default 1)', nonNegativeNumber('--omega-v'))
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--npy <FILE.npy>', 'also write the Gram matrix (float64, n×n) as a NumPy .npy file')
    .option('--csv <FILE.csv>', 'also write the Gram matrix as CSV (n rows of n numbers)')
    .option('--json', 'print only JSON')
    .action(
      async (o: {
        data: string;
        kernel: 'enc' | 'dec' | 'joint' | 'weighted';
        kappa: number;
        nu: number;
        omegaW?: number;
        omegaV?: number;
        memoryLimit: number;
        npy?: string;
        csv?: string;
        json?: boolean;
      }) => {
        if (o.kernel !== 'weighted' && (o.omegaW !== undefined || o.omegaV !== undefined)) {
          throw new WorkbenchException('invalid-request', `${o.omegaW !== undefined ? '--omega-w' : '--omega-v'}: applies to --kernel weighted only`);
        }
        const csvText = await readInput(o.data, '--data');
        const kind = o.kernel;
        const r =
          kind === 'weighted'
            ? await naming({ data: `--data ${o.data}` }, () =>
                withHost((h) =>
                  h.runTask('related-kernel', {
                    data: { source: 'csv', csvText },
                    spec: { kind: 'weighted', omegaW: o.omegaW ?? 1, omegaV: o.omegaV ?? 1, kappa: o.kappa, nu: o.nu },
                    memoryLimitMiB: o.memoryLimit,
                  }),
                ),
              )
            : await withHost((h) => h.runTask('kernel', { csvText, kernel: kind, kappa: o.kappa, nu: o.nu, memoryLimitMiB: o.memoryLimit }));
        if (o.npy !== undefined || o.csv !== undefined) {
          const flat = Float64Array.from(r.gram.flat());
          if (o.npy !== undefined) await writeOutputFile(o.npy, encodeNpy(flat, [r.n, r.n]));
          if (o.csv !== undefined) await writeOutputFile(o.csv, matrixToCsv(flat, r.n, r.n));
          errln(`wrote the ${r.n}×${r.n} Gram matrix to ${[o.npy, o.csv].filter(Boolean).join(' and ')}`);
        }
        if (o.json) printJson(o.kernel === 'weighted' ? { ...r, omegaW: o.omegaW ?? 1, omegaV: o.omegaV ?? 1, kappa: o.kappa, nu: o.nu } : r);
        else {
          out(`${o.kernel} kernel of ${r.n} samples in d=${r.d}${o.kernel === 'weighted' ? ` (ω_W=${o.omegaW ?? 1}, ω_V=${o.omegaV ?? 1})` : ''}`);
          out(`eigenvalues (ascending): ${r.eigenvalues.map((x) => fmt(x, 6)).join(' ')}`);
          if (r.n <= 12) for (const row of r.gram) out(row.map((x) => fmt(x, 5).padStart(12)).join(''));
        }
      },
    );
}
