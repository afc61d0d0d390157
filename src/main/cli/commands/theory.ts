/** `theory`: the theory values of a CSV data set. */
import type { Command } from 'commander';
import { toScriptJson } from '../../../shared/json';
import { fmt, out, positiveNumber, printJson, probability, readInput, stepList, withHost, type CliState } from '../common';

/** Registers `theory` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('theory')
    .description('λ₀, λ_dec, λ_J, automatic step sizes, linearized loss ratios and sufficient widths for a CSV data set')
    .requiredOption('--data <file.csv>', 'one sample per row, optional header')
    .option('--kappa <k>', 'encoder init scale κ', positiveNumber('--kappa'), 1)
    .option('--nu <n>', 'decoder init scale ν', positiveNumber('--nu'), 1)
    .option('--steps <list>', 'steps k for L(k)/L(0)', stepList, [10, 100, 1000])
    .option('--delta <δ>', 'failure probability for the width bounds, in (0, 1)', probability('--delta'), 0.1)
    .option('--memory-limit <MiB>', 'refuse matrices above this size', positiveNumber('--memory-limit'), 2048)
    .option('--json', 'print only JSON')
    .action(async (o: { data: string; kappa: number; nu: number; steps: number[]; delta: number; memoryLimit: number; json?: boolean }) => {
      const csvText = await readInput(o.data, '--data');
      const r = await withHost((h) =>
        h.runTask('theory', { csvText, kappa: o.kappa, nu: o.nu, steps: o.steps, delta: o.delta, memoryLimitMiB: o.memoryLimit }),
      );
      if (o.json) printJson(r);
      else {
        for (const k of ['lambdaEnc', 'lambdaDec', 'lambdaJoint', 'lambdaMaxEnc', 'lambdaMaxDec', 'lambdaMaxJoint'] as const)
          out(`${k.padEnd(16)} ${fmt(r[k])}`);
        out(`eta              ${JSON.stringify(toScriptJson(r.eta))}`);
        out(`L(k)/L(0)        ${JSON.stringify(toScriptJson(r.linearizedLossRatio))}`);
        out(`sufficientWidth  ${JSON.stringify(toScriptJson(r.sufficientWidth), null, 2)}`);
      }
    });
}
