/**
 * A run folder as a list of files, and back: what a worker sends through Redis and what the producer
 * writes. Only the files of the run folder format travel (config, metrics, status, theory, kept parameters,
 * optionally checkpoints); paths are checked on both sides, so a result can never write outside its folder.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readFileLimited } from '../fsAtomic';
import { MAX_RESULT_BYTES, type ResultFile } from './protocol';

/** The top-level files of a run folder that travel (`result.json`: a measurement cell's value). */
const TOP_FILES = ['config.json', 'metrics.ndjson', 'status.json', 'theory.json', 'result.json'];
/** Sub-folders whose plain files travel (checkpoints only on request). */
const PARAMS_DIR = 'params';
const CHECKPOINTS_DIR = 'checkpoints';

/**
 * True for a relative path a result may hold: one of the top files, or `params/NAME` / `checkpoints/NAME`
 * with a plain name (no separators, no `..`, not hidden: temp files of a write in progress never travel).
 */
export function isTransferablePath(p: string): boolean {
  if (TOP_FILES.includes(p)) return true;
  const m = /^(params|checkpoints)\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/.exec(p);
  return m !== null && !m[2]!.includes('..');
}

/** Reads the run folder's transferable files (checkpoints when asked), refusing more than `maxBytes` in all. */
export async function collectRunFiles(runDir: string, opts: { withCheckpoints: boolean; maxBytes?: number }): Promise<ResultFile[]> {
  const maxBytes = opts.maxBytes ?? MAX_RESULT_BYTES;
  const names: string[] = [];
  for (const f of TOP_FILES) names.push(f);
  for (const dir of opts.withCheckpoints ? [PARAMS_DIR, CHECKPOINTS_DIR] : [PARAMS_DIR]) {
    let entries: string[] = [];
    try {
      entries = await fsp.readdir(path.join(runDir, dir));
    } catch {
      continue;
    }
    for (const e of entries.sort()) if (isTransferablePath(`${dir}/${e}`)) names.push(`${dir}/${e}`);
  }
  const files: ResultFile[] = [];
  let total = 0;
  for (const rel of names) {
    const buf = await readFileLimited(path.join(runDir, rel), maxBytes - total);
    if (buf === null) continue;
    total += buf.length;
    files.push({ path: rel, base64: buf.toString('base64') });
  }
  return files;
}
