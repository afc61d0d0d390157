/**
 * Idempotent result writing for distributed sweeps. BullMQ delivers a job at least once, so a cell's
 * result may arrive twice (a stalled job redone by another worker, a job added again after Redis lost its
 * data). Each result is written under its cell's folder name: assembled in a hidden temp folder beside it
 * (every file fsynced), then renamed into place in one step. A second result for the same cell finds the
 * folder present, or loses the rename, and is discarded: one run folder per cell, whole or absent.
 */
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WorkbenchException } from '../../../shared/api/result';
import { fsyncDir, ioError, realFs, writeAll, type FsLayer } from '../fsAtomic';
import { isTransferablePath } from './runFiles';
import type { ResultFile } from './protocol';

/** Temp folders of results being written start with this (removed at start-up by {@link removeIncoming}). */
export const INCOMING_PREFIX = '.incoming-';

/** What {@link writeCellResult} did: `written`, or `duplicate` when the cell's folder was already there. */
export type WriteOutcome = 'written' | 'duplicate';

/**
 * Writes a cell's files as the run folder `dir` (absolute) unless it exists. Refuses (invalid-data) a
 * file path that is not part of the run folder format; a failed write leaves no folder and no temp folder
 * and throws an io-error naming the file.
 */
export function writeCellResult(dir: string, files: ResultFile[], fs: FsLayer = realFs): WriteOutcome {
  for (const f of files) {
    if (!isTransferablePath(f.path))
      throw new WorkbenchException('invalid-data', `result for ${path.basename(dir)}: refusing the file '${f.path}' (not a run folder file)`);
  }
  if (nodeFs.existsSync(dir)) return 'duplicate';
  const parent = path.dirname(dir);
  const tmp = path.join(parent, `${INCOMING_PREFIX}${path.basename(dir)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.mkdirSync(tmp, { recursive: true });
    const subdirs = new Set(files.map((f) => path.dirname(f.path)).filter((d) => d !== '.'));
    for (const d of subdirs) fs.mkdirSync(path.join(tmp, d), { recursive: true });
    for (const f of files) {
      const file = path.join(tmp, f.path);
      const fd = fs.openSync(file, 'wx', 0o644);
      try {
        writeAll(fs, fd, Buffer.from(f.base64, 'base64'));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    for (const d of subdirs) fsyncDir(fs, path.join(tmp, d));
    fsyncDir(fs, tmp);
  } catch (e) {
    nodeFs.rmSync(tmp, { recursive: true, force: true });
    throw ioError(dir, 'write the result folder', e);
  }
  try {
    // rename(2) onto an existing non-empty folder fails (ENOTEMPTY/EEXIST): the other delivery won.
    fs.renameSync(tmp, dir);
  } catch (e) {
    nodeFs.rmSync(tmp, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || nodeFs.existsSync(dir)) return 'duplicate';
    throw ioError(dir, 'move the result folder into place', e);
  }
  fsyncDir(fs, parent);
  return 'written';
}

/** Removes the temp folders that killed result writes left in `parent`; returns how many. */
export function removeIncoming(parent: string): number {
  let n = 0;
  let entries: string[] = [];
  try {
    entries = nodeFs.readdirSync(parent);
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.startsWith(INCOMING_PREFIX)) continue;
    nodeFs.rmSync(path.join(parent, e), { recursive: true, force: true });
    n++;
  }
  return n;
}
