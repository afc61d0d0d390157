/** `krr`: kernel (ridge) regression with any kernel of the app, from training to test rows (SPEC §6, §10). */
import type { Command } from 'commander';
import { Option } from 'commander';
import { KERNEL_KINDS, type KernelKind } from '../../../shared/related/schema';
import { fmt, out, positiveNumber, printJson, readInput, withHost, type CliState } from '../common';
import { addKernelFlags, dataFile, integerAtLeast, kernelSpec, naming, nonNegativeNumber, type KernelFlags, type SequenceCsvFlag } from '../kernelOptions';

/** Registers `krr` on the program. */
export function register(p: Command, _state: CliState): void {
  const c = p
    .command('krr')
    .description('kernel ridge regression: fit on the training rows, predict the test rows (targets default to the inputs: the autoencoder task)')
    .addOption(new Option('--kernel <kind>', 'which kernel').choices([...KERNEL_KINDS]).makeOptionMandatory())
    .requiredOption('--train <file>', 'training inputs: CSV (one sample per row) or, for rntk, JSON {"sequences": …}')
    .requiredOption('--test <file>', 'test inputs, as --train')
    .option('--targets <file.csv>', 'training targets, one row per training sample (default: the training inputs)')
    .option('--ridge <R>', 'ridge ρ ≥ 0 (0: the interpolating kernel predictor, pseudo-inverse)', nonNegativeNumber('--ridge'), 0)
    .addOption(new Option('--format <f>', 'read CSV inputs as sequences: rows (one sequence per row) or long (sequence,t,features…)').choices(['rows', 'long']))
    .option('--features <p>', 'features per time step of a rows-format sequence CSV', integerAtLeast('--features', 1), 1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON');
  addKernelFlags(c).action(
    async (
      o: KernelFlags & {
        kernel: KernelKind;
        train: string;
        test: string;
        targets?: string;
        ridge: number;
        format?: SequenceCsvFlag;
        features: number;
        memoryLimit: number;
        json?: boolean;
      },
    ) => {
      const spec = kernelSpec(o.kernel, o);
      const train = await dataFile(o.train, '--train', o.format, o.features);
      const test = await dataFile(o.test, '--test', o.format, o.features);
      const targets = o.targets === undefined ? undefined : { source: 'csv' as const, csvText: await readInput(o.targets, '--targets') };
      const fields = { train: `--train ${o.train}`, test: `--test ${o.test}`, targets: `--targets ${o.targets ?? ''}`.trim() };
      const r = await naming(fields, () =>
        withHost((h) => h.runTask('krr', { train, test, ...(targets ? { targets } : {}), spec, ridge: o.ridge, memoryLimitMiB: o.memoryLimit })),
      );
      // The test rows are the user's own file: the JSON leaves them out (the UI draws them).
      const { testTargets: _inputs, ...json } = r;
      if (o.json) printJson(json);
      else {
        out(`${r.kernel} kernel regression: ${r.n} training samples → ${r.nTest} test samples, ${r.outputs} output(s), ridge ${o.ridge}`);
        out(
          `λ_min(K) ${fmt(r.lambdaMin)}; relative training residual ${fmt(r.trainRelativeResidual)}${r.testRelativeError !== null ? `; relative test error ${fmt(r.testRelativeError)}` : ''}`,
        );
        for (const row of r.predictions.slice(0, 20)) out(row.map((x) => fmt(x, 6).padStart(14)).join(''));
        if (r.nTest > 20) out(`… ${r.nTest - 20} more rows (use --json)`);
      }
    },
  );
}
