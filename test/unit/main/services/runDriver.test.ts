/** The run driver (issue 12 §3): one way a run starts, writes and ends, with a fresh or a reused engine worker. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { EngineHost, STANDBY_DELAY_MS, offerEarlyWorker, sourceWorker } from '../../../../src/main/services/engineHost';
import { ENGINE_THREAD_LIMITS } from '../../../../src/main/engine/protocol';
import { driveRun, launchRun, newRunConfigFile } from '../../../../src/main/services/runDriver';
import { RunWriter } from '../../../../src/main/services/runWriter';
import { APP_VERSION } from '../../../../src/main/services/appVersion';
import { defaultConfig, type Config } from '../../../../src/shared/config/schema';
import { parseMetricsText, type MetricRecord } from '../../../../src/shared/run/format';
import { tempDir } from './sessionFixtures';

const tiny = (over: Partial<Config> = {}): Config => ({
  ...defaultConfig(),
  samples: 6,
  testSamples: 2,
  inputDim: 3,
  hiddenWidth: 16,
  steps: 40,
  trackEvery: 10,
  trackEigenvalues: 1,
  backend: 'js',
  dtype: 'float64',
  targetLossRatio: 0,
  seed: 5,
  ...over,
});

const host = new EngineHost({ threads: 1 });
afterAll(() => host.dispose());

function readRun(dir: string): { status: Record<string, unknown>; config: Record<string, unknown>; records: MetricRecord[] } {
  const parsed = parseMetricsText(fs.readFileSync(path.join(dir, 'metrics.ndjson'), 'utf8'));
  if ('error' in parsed) throw new Error(parsed.error);
  return {
    status: JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')),
    config: JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')),
    records: parsed.records,
  };
}

/** Records without their wall-clock time: what two runs of the same config must agree on exactly. */
const numbers = (rs: MetricRecord[]) => rs.map(({ wallMs: _w, ...r }) => r);

describe('driveRun()', () => {
  it('writes a whole run folder and resolves with the outcome, the last step on disk and the summary records', { timeout: 60_000 }, async () => {
    const dir = path.join(tempDir(), 'a');
    const seen: number[] = [];
    const r = await driveRun({ config: tiny(), runDir: dir, engine: host, onRecords: (rs) => seen.push(...rs.map((x) => x.step)) });
    const onDisk = readRun(dir);
    expect(r.outcome.status).toBe('finished');
    expect(r.runId).toMatch(/^run-\d{14}-[0-9a-f]{8}$/);
    expect(onDisk.config).toMatchObject({ runId: r.runId, appVersion: APP_VERSION, backend: 'js', learningRates: r.meta!.learningRates });
    expect(onDisk.status).toMatchObject({ status: 'finished', lastStep: 40 });
    expect(r.lastStep).toBe(40);
    expect(r.firstRecord).toEqual(onDisk.records[0]);
    expect(r.lastRecord).toEqual(onDisk.records.at(-1));
    // Every record a listener saw was on disk, in order.
    expect(seen).toEqual(onDisk.records.map((x) => x.step));
    expect(fs.existsSync(path.join(dir, 'params', 'final.npz'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'owner.json'))).toBe(false);
  });

  it('reads the app version from package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../../package.json'), 'utf8')) as { version: string };
    expect(APP_VERSION).toBe(pkg.version);
  });

  it('stops on its AbortSignal with a last record and status stopped', { timeout: 60_000 }, async () => {
    const dir = path.join(tempDir(), 'b');
    const ac = new AbortController();
    const r = await driveRun({
      config: tiny({ steps: 1_000_000, trackEvery: 1000 }),
      runDir: dir,
      engine: host,
      signal: ac.signal,
      onRecords: (rs) => {
        if (rs.some((x) => x.step >= 50)) ac.abort();
      },
    });
    expect(r.outcome.status).toBe('stopped');
    const onDisk = readRun(dir);
    expect(onDisk.status).toMatchObject({ status: 'stopped' });
    expect(r.lastStep).toBe(onDisk.records.at(-1)!.step);
    expect(r.lastStep).toBeLessThan(1_000_000);
  });

  it('ends a diverging run as failed (run-diverged) with the step and a suggested rate in status.json', { timeout: 60_000 }, async () => {
    const dir = path.join(tempDir(), 'c');
    const r = await driveRun({ config: tiny({ learningRate: 50, steps: 200 }), runDir: dir, engine: host });
    expect(r.outcome).toMatchObject({ status: 'failed', error: { code: 'run-diverged' } });
    const status = readRun(dir).status;
    expect(status).toMatchObject({ status: 'failed', errorCode: 'run-diverged', details: { learningRate: 50 } });
    expect((status.details as { suggestedLearningRate: number }).suggestedLearningRate).toBeLessThan(50);
  });

  it('refuses a folder that holds a run before starting anything', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    await expect(driveRun({ config: tiny(), runDir: dir, engine: host })).rejects.toMatchObject({ code: 'invalid-request' });
  });
});

describe('driveRun() with a reused engine worker (sweeps)', () => {
  it(
    'runs cells one after another in one worker with the same records as fresh workers, and refuses a second run while one is in it',
    { timeout: 120_000 },
    async () => {
      const worker = host.dedicatedWorker();
      try {
        const configs = [tiny({ seed: 1 }), tiny({ seed: 2, regime: 'weak' }), tiny({ seed: 1 })];
        const reused = [];
        for (const [i, c] of configs.entries()) reused.push(await driveRun({ config: c, runDir: path.join(tempDir(), `r${i}`), engine: worker }));
        expect(reused.map((r) => r.outcome.status)).toEqual(['finished', 'finished', 'finished']);
        const fresh = await driveRun({ config: configs[0]!, runDir: path.join(tempDir(), 'f'), engine: host });
        expect(numbers(readRun(reused[0]!.runDir).records)).toEqual(numbers(readRun(fresh.runDir).records));
        expect(numbers(readRun(reused[2]!.runDir).records)).toEqual(numbers(readRun(fresh.runDir).records));
        expect(numbers(readRun(reused[1]!.runDir).records)).not.toEqual(numbers(readRun(fresh.runDir).records));

        // One run at a time: a second launch while the first runs is refused, and the first is unaffected.
        const dirA = path.join(tempDir(), 'busy-a');
        const cfg = tiny({ steps: 200 });
        const writerA = await RunWriter.create(dirA, { ...newRunConfigFile(cfg), runId: 'run-a' });
        const a = launchRun({ runId: 'run-a', config: cfg, writer: writerA, engine: worker });
        await expect(driveRun({ config: cfg, runDir: path.join(tempDir(), 'busy-b'), engine: worker })).rejects.toMatchObject({ code: 'invalid-request' });
        expect((await a.done).outcome.status).toBe('finished');
      } finally {
        await worker.dispose();
      }
    },
  );

  it('replaces a worker that was terminated (Stop past the grace period) for the next run', { timeout: 120_000 }, async () => {
    const impatient = new EngineHost({ threads: 1, graceMs: 1 });
    const worker = impatient.dedicatedWorker();
    try {
      const ac = new AbortController();
      const first = driveRun({
        config: tiny({ steps: 1_000_000, trackEvery: 1000 }),
        runDir: path.join(tempDir(), 'k1'),
        engine: worker,
        signal: ac.signal,
        onRecords: () => ac.abort(),
      });
      expect((await first).outcome.status).toBe('stopped');
      const second = await driveRun({ config: tiny(), runDir: path.join(tempDir(), 'k2'), engine: worker });
      expect(second.outcome.status).toBe('finished');
    } finally {
      await worker.dispose();
      await impatient.dispose();
    }
  });
});

describe('EngineHost with a standby worker (the app: issue 13)', () => {
  const until = async (what: string, ok: () => boolean, ms = 30_000): Promise<void> => {
    const t0 = Date.now();
    while (!ok()) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it(
    'keeps one prepared worker, runs the next run in it with the records of a fresh worker, prepares the next after it, and ends it on dispose',
    { timeout: 120_000 },
    async () => {
      const app = new EngineHost({ threads: 1, standby: true });
      try {
        expect(app.standbyReady).toBe(false);
        await until('the first standby worker', () => app.standbyReady);
        const seenDuring: boolean[] = [];
        const inStandby = await driveRun({
          config: tiny(),
          runDir: path.join(tempDir(), 's1'),
          engine: app,
          onRecords: () => seenDuring.push(app.standbyReady),
        });
        expect(inStandby.outcome.status).toBe('finished');
        // The run took the standby worker; none is started beside a running run.
        expect(seenDuring.length).toBeGreaterThan(0);
        expect(seenDuring.every((ready) => !ready)).toBe(true);
        const fresh = await driveRun({ config: tiny(), runDir: path.join(tempDir(), 's2'), engine: host });
        expect(numbers(readRun(inStandby.runDir).records)).toEqual(numbers(readRun(fresh.runDir).records));
        await until('the next standby worker', () => app.standbyReady, STANDBY_DELAY_MS + 30_000);
      } finally {
        await app.dispose();
      }
      expect(app.standbyReady).toBe(false);
    },
  );
});

describe('offerEarlyWorker() (the CLI starts the engine worker while its modules load: issue 13)', () => {
  /** Offers a worker of `script` and counts the messages it posts (a run in it posts its records). */
  const offer = (script: URL, resourceLimits: ResourceLimits = ENGINE_THREAD_LIMITS): { worker: Worker; posted: () => number } => {
    const worker = new Worker(script, { stdout: false, stderr: false, resourceLimits: { ...resourceLimits } });
    let n = 0;
    worker.on('message', () => n++);
    offerEarlyWorker(worker, script);
    return { worker, posted: () => n };
  };

  it('the next host spawning the same script runs in the offered worker, with the records of a fresh one', { timeout: 120_000 }, async () => {
    const { posted } = offer(sourceWorker() as URL);
    const early = new EngineHost({ threads: 1 });
    try {
      const inEarly = await driveRun({ config: tiny(), runDir: path.join(tempDir(), 'e1'), engine: early });
      expect(inEarly.outcome.status).toBe('finished');
      expect(posted()).toBeGreaterThan(0);
      const fresh = await driveRun({ config: tiny(), runDir: path.join(tempDir(), 'e2'), engine: host });
      expect(numbers(readRun(inEarly.runDir).records)).toEqual(numbers(readRun(fresh.runDir).records));
    } finally {
      await early.dispose();
    }
  });

  it("the CLI starts it with the host's V8 limits (bin/ntk-workbench.mjs)", () => {
    const bin = fs.readFileSync(path.resolve(__dirname, '../../../../bin/ntk-workbench.mjs'), 'utf8');
    const limits = [...bin.matchAll(/new Worker\(script, \{[^}]*resourceLimits: \{ maxYoungGenerationSizeMb: (\d+) \}/g)].map((m) => Number(m[1]));
    expect(limits).toEqual([ENGINE_THREAD_LIMITS.maxYoungGenerationSizeMb]);
  });

  /** A run on a fresh host finishes without posting to the offered worker `other` (then ended). */
  const runBeside = async (other: { worker: Worker; posted: () => number } | null, dir: string): Promise<void> => {
    const host = new EngineHost({ threads: 1 });
    try {
      const run = await driveRun({ config: tiny(), runDir: path.join(tempDir(), dir), engine: host });
      expect(run.outcome.status).toBe('finished');
      if (other !== null) expect(other.posted()).toBe(0);
    } finally {
      await host.dispose();
      await other?.worker.terminate();
    }
  };

  it('is not taken by a host of another script, with other limits, nor once it has exited', { timeout: 120_000 }, async () => {
    // Another script: an idle worker that never answers; a run taking it would never finish.
    await runBeside(offer(new URL('data:text/javascript,setInterval(() => {}, 1000)')), 'o1');
    // The right script started with other V8 limits than the host's own workers get.
    await runBeside(offer(sourceWorker() as URL, { maxYoungGenerationSizeMb: 2 * ENGINE_THREAD_LIMITS.maxYoungGenerationSizeMb }), 'u1');
    // The right script, but it exited before any host spawned.
    const dead = offer(sourceWorker() as URL);
    await dead.worker.terminate();
    await runBeside(null, 'd1');
  });
});
