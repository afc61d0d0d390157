/** `ntk`: the empirical NTK of a configured network. */
import type { Command } from 'commander';
import { toScriptJson } from '../../../shared/json';
import { nonNegativeInt, out, printJson, readConfig, withHost, type CliState } from '../common';

/** Registers `ntk` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('ntk')
    .description('empirical NTK spectrum and summary of a configured network, at init or after K steps')
    .requiredOption('--config <file>', 'config JSON')
    .option('--at-step <K>', 'train K GD steps first', nonNegativeInt('--at-step'), 0)
    .option('--full', 'the full nd×nd NTK instead of the output-traced n×n average')
    .option('--json', 'print only JSON')
    .action(async (o: { config: string; atStep: number; full?: boolean; json?: boolean }) => {
      const config = await readConfig(o.config);
      const r = await withHost((h) => h.runTask<Record<string, unknown>>('ntk', { config, atStep: o.atStep, full: Boolean(o.full) }));
      if (o.json) printJson(r);
      else for (const [k, v] of Object.entries(toScriptJson(r) as Record<string, unknown>)) out(`${k.padEnd(22)} ${Array.isArray(v) ? `[${v.length} values]` : JSON.stringify(v)}`);
    });
}
