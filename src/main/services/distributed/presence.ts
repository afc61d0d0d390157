/** Worker presence in Redis: the records producers read to show connected workers. */
import type { Redis } from 'ioredis';
import { KEY_PREFIX, workerPresenceSchema, type WorkerPresence } from './protocol';

/** Every live worker's presence record (expired ones are gone; malformed ones are skipped), sorted by host and id. */
export async function listWorkers(redis: Redis): Promise<WorkerPresence[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${KEY_PREFIX}:worker:*`, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const out: WorkerPresence[] = [];
  for (const v of values) {
    if (v === null) continue;
    try {
      const r = workerPresenceSchema.safeParse(JSON.parse(v));
      if (r.success) out.push(r.data);
    } catch {
      /* not ours, or torn: skip */
    }
  }
  return out.sort((a, b) => (a.host + a.id < b.host + b.id ? -1 : 1));
}

/** `host (pid 123): onnx float32, 4.2 cells/min, 1234 steps/s, 1 active` */
export function describeWorker(w: WorkerPresence): string {
  const backend = w.backend ? `${w.backend} ${w.dtype ?? ''}`.trim() : 'no cell yet';
  const rate = w.cellsPerMinute !== null ? `${w.cellsPerMinute.toFixed(1)} cells/min` : '– cells/min';
  const steps = w.stepsPerSecond !== null ? `${Math.round(w.stepsPerSecond)} steps/s` : '– steps/s';
  return `${w.host} (pid ${w.pid}): ${backend}, ${rate}, ${steps}, ${w.active} active, ${w.cellsDone} done`;
}
