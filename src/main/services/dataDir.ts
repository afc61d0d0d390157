/**
 * Where the workbench keeps its sessions: the `--data-dir` flag, else NTK_WORKBENCH_DATA_DIR, else the
 * platform's data folder (env-paths: ~/.local/share/ntk-workbench, ~/Library/Application Support/ntk-workbench,
 * %LOCALAPPDATA%\ntk-workbench\Data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import envPaths from 'env-paths';
import { ioError } from './fsAtomic';

export const DATA_DIR_ENV = 'NTK_WORKBENCH_DATA_DIR';

/** Returns the absolute data directory chosen by flag, environment or platform default, creating it. */
export function resolveDataDir(opts: { flag?: string; env?: NodeJS.ProcessEnv }): string {
  const env = opts.env ?? process.env;
  const fromFlag = opts.flag?.trim();
  const fromEnv = env[DATA_DIR_ENV]?.trim();
  const chosen = fromFlag ? fromFlag : fromEnv ? fromEnv : envPaths('ntk-workbench', { suffix: '' }).data;
  const dir = path.resolve(chosen);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(dir, 'create the data directory', e);
  }
  return dir;
}
