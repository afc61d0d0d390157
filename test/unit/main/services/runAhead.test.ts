/**
 * Loss points of held records (issue 13): while a run holds its records back for the theory, the run manager
 * forwards their losses as `ahead` in run:progress — after the records, never for a step already recorded,
 * never written to the run folder — and counts them for the run's step.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunManager, PROGRESS_INTERVAL_MS } from '../../../../src/main/services/runManager';
import { SessionStore } from '../../../../src/main/services/sessionStore';
import type { EngineHost, RunHandlers } from '../../../../src/main/services/engineHost';
import type { EventMap } from '../../../../src/shared/api/contract';
import { defaultConfig } from '../../../../src/shared/config/schema';
import type { LossPoint, MetricRecord } from '../../../../src/shared/run/format';
import { tempDir } from './sessionFixtures';

const rec = (step: number): MetricRecord => ({ step, loss: 10 / (step + 1), lossRatio: 1 / (step + 1), wallMs: 5 * step });
const point = (step: number): LossPoint => ({ ...rec(step) });
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, PROGRESS_INTERVAL_MS + 20));

describe('run:progress with the losses of held records', () => {
  it('sends them after the records, drops those whose records came, and keeps them out of the run folder', async () => {
    const dir = tempDir('ntk-ahead-');
    const store = new SessionStore(dir);
    let handlers: RunHandlers | null = null;
    const host = {
      startRun: (_id: string, _c: unknown, h: RunHandlers) => {
        handlers = h;
        return { stop: () => undefined, pause: () => undefined, resume: () => undefined, step: () => undefined };
      },
    } as unknown as EngineHost;
    const events: EventMap['run:progress'][] = [];
    const mgr = new RunManager({
      host,
      store,
      emit: (channel, payload) => {
        if (channel === 'run:progress') events.push(payload as EventMap['run:progress']);
      },
    });
    const { runId } = await mgr.start({ ...defaultConfig(), samples: 8, inputDim: 4, hiddenWidth: 16, steps: 20, trackEvery: 2 });
    const h = handlers as unknown as RunHandlers;
    h.onRecords([rec(0), rec(1)]);
    await tick();
    // Step 2's record waits for the theory: its loss and those of the steps after it come ahead.
    h.onAhead!([point(2), point(3)]);
    h.onAhead!([point(4)]);
    await tick();
    // The theory is in: the held records go out, and the batch's points already recorded are not sent again.
    h.onRecords([rec(2), rec(3), rec(4)]);
    h.onAhead!([point(4), point(5)]);
    h.onRecords([rec(5), rec(6)]);
    await tick();
    h.onDone({ status: 'finished', reason: 'done' }, 6);
    await tick();

    expect(events.map((e) => e.records.map((r) => r.step))).toEqual([[0, 1], [], [2, 3, 4, 5, 6]]);
    expect(events.map((e) => e.ahead?.map((p) => p.step))).toEqual([undefined, [2, 3, 4], undefined]);
    expect(events.map((e) => e.step)).toEqual([1, 4, 6]);
    expect(events[1]!.ahead![1]).toEqual(point(3));

    // On disk: the records only, each once, in order.
    const runDir = path.join(dir, 'sessions', (await store.readRun(runId)).summary.sessionId, 'runs', runId);
    const lines = fs.readFileSync(path.join(runDir, 'metrics.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as MetricRecord).step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
