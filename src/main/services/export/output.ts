/**
 * Writing a file the user named (`--out`, a save dialog): atomically (temp file in the same folder, then
 * rename), so an interrupted export never leaves half a file where a complete one was.
 */
import * as path from 'node:path';
import { WorkbenchException } from '../../../shared/api/result';
import { realFs, writeFileAtomicSync } from '../fsAtomic';

/** Writes text or bytes to `file` atomically; io-error naming the file when the folder is missing or not writable. */
export async function writeOutputFile(file: string, data: string | Uint8Array): Promise<void> {
  const abs = path.resolve(file);
  try {
    writeFileAtomicSync(realFs, abs, data);
  } catch (e) {
    if (e instanceof WorkbenchException) throw e;
    throw new WorkbenchException('io-error', `cannot write ${abs}: ${e instanceof Error ? e.message : String(e)}`, { file: abs });
  }
}
