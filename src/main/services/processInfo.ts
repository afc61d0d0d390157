/**
 * Who is alive: a process id alone is not enough to say that the process which wrote an owner or lock file
 * is still running, because ids are reused. With the id we record the process's start time, read from the
 * kernel where it says (Linux: /proc/<pid>/stat), and a live id whose start time differs is a new process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * The kernel's start time of a process as an opaque string (Linux: field 22 of /proc/<pid>/stat, clock
 * ticks since boot, with the boot id so that two boots cannot collide), or null where it cannot be read.
 */
export function processStartTime(pid: number): string | null {
  if (process.platform !== 'linux' || !Number.isInteger(pid) || pid <= 0) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = rest[19];
    if (ticks === undefined || !/^\d+$/.test(ticks)) return null;
    return `${bootId() ?? 'boot'}:${ticks}`;
  } catch {
    return null;
  }
}

let cachedBootId: string | null | undefined;

function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

/** What an owner or lock file records about the process that wrote it. */
export interface ProcessStamp {
  pid: number;
  hostname: string;
  /** {@link processStartTime} of the writer, null where the platform does not tell */
  startTime: string | null;
  /** when the writer started (ISO), for messages */
  startedAt: string;
}

/** The stamp of this process. */
export function currentProcessStamp(): ProcessStamp {
  return {
    pid: process.pid,
    hostname: os.hostname(),
    startTime: processStartTime(process.pid),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
  };
}

/**
 * 'alive' when the stamped process still runs on this host (same id and, where both are known, the same
 * start time), 'gone' when it does not, and 'other-host' when the file was written on another machine (a
 * shared data folder), where we cannot tell.
 */
export function stampLiveness(stamp: { pid?: unknown; hostname?: unknown; startTime?: unknown }): 'alive' | 'gone' | 'other-host' {
  if (typeof stamp.pid !== 'number' || !Number.isInteger(stamp.pid) || stamp.pid <= 0) return 'gone';
  if (stamp.hostname !== os.hostname()) return 'other-host';
  try {
    process.kill(stamp.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  if (typeof stamp.startTime === 'string') {
    const now = processStartTime(stamp.pid);
    if (now !== null && now !== stamp.startTime) return 'gone';
  }
  return 'alive';
}
