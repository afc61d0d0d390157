/**
 * The command-line adapter (`ntk-workbench`). Conventions for every command: results on stdout (with
 * --json, only JSON), progress and logs on stderr; exit codes 0 ok, 2 bad arguments or data, 3 run
 * diverged, 4 refused (too large for memory), 1 internal error. Non-finite numbers in JSON are `null`
 * with a sibling `<key>Note`.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { exitCodeFor, WorkbenchException } from '../../shared/api/result';
import { APP_VERSION } from '../services/appVersion';
import { errln, type CliDeps, type CliState } from './common';
import * as archive from './commands/archive';
import * as config from './commands/config';
import * as exportCmd from './commands/export';
import * as importCmd from './commands/import';
import * as jacot from './commands/jacot';
import * as kernel from './commands/kernel';
import * as krr from './commands/krr';
import * as ntk from './commands/ntk';
import * as rfNtk from './commands/rfNtk';
import * as rntk from './commands/rntk';
import * as serve from './commands/serve';
import * as theory from './commands/theory';
import * as train from './commands/train';

/** The commands in the order `--help` lists them; each file registers one. */
const COMMANDS = [config, train, kernel, theory, ntk, jacot, krr, rntk, rfNtk, exportCmd, archive, importCmd, serve];

/** Builds the commander program; actions set `state.code`. */
function program(state: CliState): Command {
  const p = new Command('ntk-workbench')
    .description('NTK Workbench: two-layer ReLU autoencoders and their neural tangent kernels')
    .version(APP_VERSION)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error: /, 'ntk-workbench: ')),
    });
  for (const c of COMMANDS) c.register(p, state);
  return p;
}

/** Runs the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  const state: CliState = { code: 0, ...(deps.serve ? { serve: deps.serve } : {}) };
  const p = program(state);
  try {
    await p.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (e) {
    // Commander prints what its own parsing rejects and throws a plain CommanderError; an InvalidArgumentError
    // that arrives here was thrown by an action, has not been printed, and is a CommanderError too: first.
    if (e instanceof InvalidArgumentError) {
      errln(`ntk-workbench: ${e.message}`);
      return 2;
    }
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return state.code;
      return 2; // commander already printed a one-line message naming the flag
    }
    if (e instanceof WorkbenchException) {
      errln(`ntk-workbench: ${e.message}`);
      return exitCodeFor(e.code);
    }
    errln(`ntk-workbench: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
