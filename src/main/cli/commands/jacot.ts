/** `jacot`: Jacot's limiting NTK and NNGP of a deep ReLU network on the rows of a CSV file (SPEC §10.1). */
import type { Command } from 'commander';
import { fmt, out, positiveNumber, printJson, readInput, withHost, type CliState } from '../common';
import { integerAtLeast, naming, nonNegativeNumber } from '../kernelOptions';

/** Registers `jacot` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('jacot')
    .description("Jacot's infinite-width NTK Θ⁽ᴸ⁾ and NNGP Σ⁽ᴸ⁾ of a deep ReLU network (NTK parameterization) on the rows of a CSV file")
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .requiredOption('--layers <L>', 'weight layers L ≥ 1 (L − 1 hidden layers)', integerAtLeast('--layers', 1))
    .option('--beta <B>', 'bias scale β ≥ 0', nonNegativeNumber('--beta'), 0)
    .option('--sigma-w <S>', 'weight scale σ_w > 0 (1 in Jacot et al.)', positiveNumber('--sigma-w'), 1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON')
    .action(async (o: { data: string; layers: number; beta: number; sigmaW: number; memoryLimit: number; json?: boolean }) => {
      const csvText = await readInput(o.data, '--data');
      const r = await naming({ data: `--data ${o.data}` }, () =>
        withHost((h) =>
          h.runTask('jacot', { data: { source: 'csv', csvText }, layers: o.layers, beta: o.beta, sigmaW: o.sigmaW, memoryLimitMiB: o.memoryLimit }),
        ),
      );
      if (o.json) printJson(r);
      else {
        out(`Jacot NTK of ${r.n} samples in d=${r.d}, L=${o.layers}, β=${o.beta}, σ_w=${o.sigmaW}`);
        for (const [name, m] of [
          ['ntk (Θ)', r.ntk],
          ['nngp (Σ)', r.nngp],
        ] as const) {
          out(name);
          if (r.n <= 12) for (const row of m) out(row.map((x) => fmt(x, 5).padStart(12)).join(''));
          else out(`  [${r.n}×${r.n}; use --json for the matrix]`);
        }
      }
    });
}
