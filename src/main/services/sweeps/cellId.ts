/** Deterministic sweep cell ids: the same computation always gets the same id, on any machine. */
import { createHash } from 'node:crypto';
import type { Config } from '../../../shared/config/schema';
import { cellKey } from '../../../shared/sweeps/spec';

/** `c-` + the first 16 hex digits of SHA-256 over {@link cellKey} (64 bits: collisions are negligible). */
export function cellId(config: Config): string {
  return 'c-' + createHash('sha256').update(cellKey(config)).digest('hex').slice(0, 16);
}

/** The id of a measurement cell: `t-` + 16 hex digits of SHA-256 over the task name and its arguments. */
export function taskCellId(task: string, args: unknown): string {
  return (
    't-' +
    createHash('sha256')
      .update(JSON.stringify([task, args]))
      .digest('hex')
      .slice(0, 16)
  );
}
