/**
 * One app instance per data folder: `<dataDir>/workbench.lock` names the process that serves the folder
 * (pid, host, start time, mode, and in browser mode its URL without the token). A second instance on the
 * same folder is refused with a message naming the first; a lock left by a process that is gone (by pid and
 * start time, so a reused pid does not count) is replaced.
 *
 * The lock is created atomically with its content (written to a temp file, then hard-linked to the lock's
 * name, which fails if the name exists). Where the disk is full the lock cannot be written: the instance
 * then starts anyway and says so, as refusing to start would leave the user without their data.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { WorkbenchException } from '../../shared/api/result';
import { ioError, readFileLimitedSync, realFs, writeJsonAtomicSync } from './fsAtomic';
import { currentProcessStamp, stampLiveness, type ProcessStamp } from './processInfo';

export const LOCK_FILE = 'workbench.lock';

/** What the lock file holds. */
export interface LockInfo extends ProcessStamp {
  schemaVersion: 1;
  mode: 'electron' | 'browser' | 'other';
  /** browser mode: the address (without the token) */
  url: string | null;
}

function describe(info: Partial<LockInfo>): string {
  const where =
    info.mode === 'browser' ? (info.url ? `browser mode at ${info.url}` : 'browser mode') : info.mode === 'electron' ? 'the desktop app' : 'another instance';
  const host = info.hostname ? ` on ${info.hostname}` : '';
  const since = info.startedAt ? `, started ${info.startedAt}` : '';
  return `NTK Workbench (${where}; process ${info.pid ?? '?'}${host}${since})`;
}

/** Reads a lock file; null when it does not exist, `{}` when it is unreadable (treated as stale). */
export function readLock(dataDir: string): Partial<LockInfo> | null {
  const file = path.join(dataDir, LOCK_FILE);
  try {
    const buf = readFileLimitedSync(file, 64 * 1024);
    if (buf === null) return null;
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' ? (v as Partial<LockInfo>) : {};
  } catch {
    return nodeFs.existsSync(file) ? {} : null;
  }
}

/** The data folder lock of this instance. */
export class DataDirLock {
  private constructor(
    readonly file: string,
    private info: LockInfo,
    /** false when the lock could not be written (a full disk): this instance runs unlocked */
    readonly held: boolean,
  ) {}

  /**
   * Takes the lock of `dataDir` or throws WorkbenchException('forbidden') naming the instance that holds
   * it (details: pid, url, hostname). `log` hears about stale locks replaced and about running unlocked.
   */
  static acquire(dataDir: string, opts: { mode: LockInfo['mode']; url?: string | null; log?: (m: string) => void }): DataDirLock {
    const log = opts.log ?? (() => {});
    const file = path.join(path.resolve(dataDir), LOCK_FILE);
    const info: LockInfo = { schemaVersion: 1, ...currentProcessStamp(), mode: opts.mode, url: opts.url ?? null };
    for (let attempt = 0; attempt < 3; attempt++) {
      const made = tryCreate(file, info);
      if (made === 'created') return new DataDirLock(file, info, true);
      if (made instanceof Error) {
        log(`could not write the lock file ${file} (${made.message}); starting without it: a second instance on this data folder would not be refused`);
        return new DataDirLock(file, info, false);
      }
      const other = readLock(path.dirname(file)) ?? {};
      const liveness = other.pid === process.pid && other.hostname === info.hostname ? (sameProcess(other, info) ? 'alive' : 'gone') : stampLiveness(other);
      if (liveness !== 'gone') {
        const extra = liveness === 'other-host' ? ` If that instance is gone, delete ${file}.` : ' Use that one, or start this one with another --data-dir.';
        throw new WorkbenchException('forbidden', `the data folder ${path.dirname(file)} is in use by ${describe(other)}.${extra}`, {
          lockFile: file,
          pid: other.pid ?? null,
          url: other.url ?? null,
          hostname: other.hostname ?? null,
        });
      }
      // Stale: move it aside first (a rename is atomic), so two instances replacing it cannot both win.
      const aside = `${file}.stale-${randomBytes(4).toString('hex')}`;
      try {
        nodeFs.renameSync(file, aside);
        nodeFs.rmSync(aside, { force: true });
        log(`replaced the stale lock of ${describe(other)}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError(file, 'replace the stale lock', e);
      }
    }
    throw new WorkbenchException('forbidden', `could not take the lock ${file}: another instance keeps replacing it`, { lockFile: file });
  }

  /** Records the instance's address (browser mode, once it listens) in the lock. */
  setUrl(url: string | null): void {
    this.info = { ...this.info, url };
    if (!this.held) return;
    try {
      writeJsonAtomicSync(realFs, this.file, this.info);
    } catch {
      /* the lock still names our pid; only the address is missing from the message a second instance prints */
    }
  }

  /** Removes the lock if it is still ours. */
  release(): void {
    if (!this.held) return;
    const now = readLock(path.dirname(this.file));
    if (now && now.pid === this.info.pid && now.startTime === this.info.startTime) nodeFs.rmSync(this.file, { force: true });
  }
}

/** True when a lock naming our pid was written by this very process (not by an earlier one with a reused pid). */
function sameProcess(other: Partial<LockInfo>, self: LockInfo): boolean {
  if (typeof other.startTime === 'string' && self.startTime !== null) return other.startTime === self.startTime;
  const t = Date.parse(other.startedAt ?? '');
  return Number.isFinite(t) && Math.abs(t - Date.parse(self.startedAt)) < 5000;
}

/** Creates the lock file with its content in one step; 'exists' when another lock is there; an Error when it cannot be written. */
function tryCreate(file: string, info: LockInfo): 'created' | 'exists' | Error {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${LOCK_FILE}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeJsonAtomicSync(realFs, tmp, info);
  } catch (e) {
    nodeFs.rmSync(tmp, { force: true });
    return e instanceof Error ? e : new Error(String(e));
  }
  try {
    nodeFs.linkSync(tmp, file);
    return 'created';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'exists';
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      // File systems without hard links: exclusive create, then the content (a tiny window where it is empty).
      try {
        nodeFs.writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { flag: 'wx' });
        return 'created';
      } catch (e2) {
        return (e2 as NodeJS.ErrnoException).code === 'EEXIST' ? 'exists' : (e2 as Error);
      }
    }
    return e instanceof Error ? e : new Error(String(e));
  } finally {
    nodeFs.rmSync(tmp, { force: true });
  }
}
