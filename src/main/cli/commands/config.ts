/** `config`: the default config as JSON. */
import type { Command } from 'commander';
import { defaultConfig } from '../../../shared/config/schema';
import { printJson, type CliState } from '../common';

/** Registers `config` on the program. */
export function register(p: Command, _state: CliState): void {
  p.command('config')
    .description('print the default config as JSON (edit it and pass it to `train --config`)')
    .action(() => {
      printJson(defaultConfig());
    });
}
