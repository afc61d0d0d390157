/** `rf-ntk`: random-feature approximation of the two-layer ReLU NTK, one draw or an error-vs-D sweep (SPEC §10.4). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { WorkbenchException } from '../../../shared/api/result';
import { RF_SKETCHES } from '../../../shared/related/schema';
import { fmt, out, positiveNumber, printJson, readInput, withHost, type CliState } from '../common';
import { integerAtLeast, naming, nonNegativeNumber, positiveIntList } from '../kernelOptions';

/** Registers `rf-ntk` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('rf-ntk')
    .description('random features of Θ = H_enc∞ + H_dec∞ (optionally sketched): the approximate Gram and its error, or the error against D (--sweep)')
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .option('--m0 <m>', 'features of the order-0 (tensor) block', integerAtLeast('--m0', 0), 64)
    .option('--m1 <m>', 'features of the order-1 (ReLU) block (default m0·d; with --sweep m1 = m0·d)', integerAtLeast('--m1', 0))
    .addOption(new Option('--sketch <s>', 'sketch of the tensor block').choices([...RF_SKETCHES]).default('none'))
    .option('--sketch-dim <k>', 'sketch size (default a quarter of m0·d)', integerAtLeast('--sketch-dim', 1))
    .option('--seed <s>', 'seed of the random features (sweep: the first of --seeds seeds)', integerAtLeast('--seed', 0), 0)
    .option('--sweep <m0,…>', 'instead of one draw: the error for each m0 in the list, with the fitted log–log slope', positiveIntList('--sweep'))
    .option('--seeds <R>', 'draws per m0 in a sweep', integerAtLeast('--seeds', 1), 5)
    .option('--ridge <R>', 'sweep: ridge of the kernel-regression comparison', nonNegativeNumber('--ridge'), 1e-3)
    .option('--test <k>', 'sweep: the last k rows are held out for the prediction error', integerAtLeast('--test', 0), 0)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON')
    .action(
      async (o: {
        data: string;
        m0: number;
        m1?: number;
        sketch: (typeof RF_SKETCHES)[number];
        sketchDim?: number;
        seed: number;
        sweep?: number[];
        seeds: number;
        ridge: number;
        test: number;
        memoryLimit: number;
        json?: boolean;
      }) => {
        const csvText = await readInput(o.data, '--data');
        const data = { source: 'csv' as const, csvText };
        const fields = { data: `--data ${o.data}` };
        if (o.sweep) {
          if (o.sweep.length < 2) throw new WorkbenchException('invalid-request', '--sweep: expected at least two m0 values to fit a slope');
          if (o.m1 !== undefined || o.sketchDim !== undefined)
            throw new WorkbenchException(
              'invalid-request',
              `${o.m1 !== undefined ? '--m1' : '--sketch-dim'}: a sweep sets m1 = m0·d and the sketch size to a quarter of m0·d`,
            );
          const r = await naming(fields, () =>
            withHost((h) =>
              h.runTask('rf-sweep', {
                data,
                m0s: o.sweep,
                sketch: o.sketch,
                seeds: o.seeds,
                seed: o.seed,
                ridge: o.ridge,
                nTest: o.test,
                memoryLimitMiB: o.memoryLimit,
              }),
            ),
          );
          if (o.json) printJson(r);
          else {
            out('m0        D   rel. spectral error (mean ± std)   λ_min rel. error   prediction rel. error');
            for (const row of r.rows) {
              out(
                `${String(row.m0).padStart(5)} ${String(row.D).padStart(8)}   ${fmt(row.relativeSpectralError.mean, 4)} ± ${fmt(row.relativeSpectralError.std, 2)}          ${fmt(row.lambdaMinError.mean, 4)}            ${row.predictionError ? fmt(row.predictionError.mean, 4) : '—'}`,
              );
            }
            out(`fitted slope of log error vs log D: ${fmt(r.slope, 4)}${r.slopeStdError !== null ? ` ± ${fmt(r.slopeStdError, 2)}` : ''} (theory −0.5)`);
          }
          return;
        }
        const r = await naming(fields, () =>
          withHost((h) =>
            h.runTask('rf-ntk', {
              data,
              m0: o.m0,
              ...(o.m1 !== undefined ? { m1: o.m1 } : {}),
              sketch: o.sketch,
              ...(o.sketchDim !== undefined ? { sketchDim: o.sketchDim } : {}),
              seed: o.seed,
              memoryLimitMiB: o.memoryLimit,
            }),
          ),
        );
        if (o.json) printJson(r);
        else {
          out(`random-feature NTK of ${r.n} samples in d=${r.d}: D = ${r.D} features (${o.sketch === 'none' ? 'no sketch' : `${o.sketch} sketch`})`);
          out(`relative spectral error ‖ΦᵀΦ − Θ‖₂/‖Θ‖₂ = ${fmt(r.relativeSpectralError)}`);
          out(`λ_min: ${fmt(r.lambdaMin)} (exact ${fmt(r.lambdaMinExact)})`);
        }
      },
    );
}
