/** `rntk`: NNGP and NTK of an infinitely wide ReLU Elman RNN on a set of sequences (SPEC §10.2–§10.3). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { fmt, out, positiveNumber, printJson, withHost, type CliState } from '../common';
import { dataFile, integerAtLeast, naming, nonNegativeNumber, type SequenceCsvFlag } from '../kernelOptions';

/** Registers `rntk` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('rntk')
    .description('recurrent NTK and NNGP (single-layer ReLU Elman RNN, infinite width) of sequences of possibly different lengths')
    .requiredOption('--data <FILE.json>', 'JSON {"sequences": number[][][]} (sequence i is T_i × p), or a CSV with --format')
    .addOption(new Option('--readout <r>', 'last state, or average pooling over time').choices(['last', 'avg']).makeOptionMandatory())
    .option('--bidirectional', 'independent RNNs on x and on reversed x: ½[Θ(x, x′) + Θ(rev x, rev x′)]')
    .option('--sw <σ>', 'σ_w, recurrent weights', nonNegativeNumber('--sw'), 1)
    .option('--su <σ>', 'σ_u, input weights', nonNegativeNumber('--su'), 1)
    .option('--sb <σ>', 'σ_b, bias', nonNegativeNumber('--sb'), 0)
    .option('--sv <σ>', 'σ_v, readout', nonNegativeNumber('--sv'), 1)
    .addOption(
      new Option(
        '--format <f>',
        'CSV data: rows (one sequence per row) or long (sequence,t,features…); default: long when the header starts with sequence,t',
      ).choices(['rows', 'long']),
    )
    .option('--features <p>', 'features per time step of a rows-format CSV', integerAtLeast('--features', 1), 1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON')
    .action(
      async (o: {
        data: string;
        readout: 'last' | 'avg';
        bidirectional?: boolean;
        sw: number;
        su: number;
        sb: number;
        sv: number;
        format?: SequenceCsvFlag;
        features: number;
        memoryLimit: number;
        json?: boolean;
      }) => {
        const data = await dataFile(o.data, '--data', o.format ?? 'auto', o.features);
        const r = await naming({ data: `--data ${o.data}` }, () =>
          withHost((h) =>
            h.runTask('rntk', {
              data,
              readout: o.readout,
              bidirectional: o.bidirectional === true,
              sigmaW: o.sw,
              sigmaU: o.su,
              sigmaB: o.sb,
              sigmaV: o.sv,
              memoryLimitMiB: o.memoryLimit,
            }),
          ),
        );
        if (o.json) printJson({ ntk: r.ntk, nngp: r.nngp, n: r.n, p: r.p, lengths: r.lengths });
        else {
          out(`RNTK (${o.readout}${o.bidirectional ? ', bidirectional' : ''}) of ${r.n} sequences, p=${r.p}, lengths ${r.lengths.join(' ')}`);
          for (const [name, m] of [
            ['ntk', r.ntk],
            ['nngp', r.nngp],
          ] as const) {
            out(name);
            if (r.n <= 12) for (const row of m) out(row.map((x) => fmt(x, 5).padStart(12)).join(''));
            else out(`  [${r.n}×${r.n}; use --json for the matrix]`);
          }
        }
      },
    );
}
