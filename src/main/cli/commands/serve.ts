/** `serve`: browser mode. */
import type { Command } from 'commander';
import { WorkbenchException } from '../../../shared/api/result';
import type { CliState } from '../common';

/** Registers `serve` on the program. */
export function register(p: Command, state: CliState): void {
  p.command('serve')
    .description('start browser mode on 127.0.0.1 (prints the URL with its token)')
    .option('--port <N>', 'port (0 = any free port)', '0')
    .option('--data-dir <dir>', 'where sessions are stored')
    .action(async (o: { port: string; dataDir?: string }) => {
      if (!state.serve) throw new WorkbenchException('internal', 'serve: this entry point has no browser mode');
      const code = await state.serve(['--port', o.port, ...(o.dataDir ? ['--data-dir', o.dataDir] : [])]);
      if (code !== 0) state.code = code;
      else await new Promise(() => {}); // serve until interrupted
    });
}
