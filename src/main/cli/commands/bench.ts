/** `bench`: the benchmarks. */
import type { Command } from 'commander';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot, type CliState } from '../common';

/** Registers `bench` on the program. */
export function register(p: Command, state: CliState): void {
  p.command('bench')
    .description('run the benchmarks (same as `npm run bench`); pass --json for JSON lines')
    .allowUnknownOption(true)
    .helpOption(false)
    .argument('[args...]')
    .action((args: string[]) => {
      const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/run-ts.mjs'), path.join(repoRoot, 'bench/run.ts'), ...args], { stdio: 'inherit' });
      state.code = r.status ?? 1;
    });
}
