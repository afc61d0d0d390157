/**
 * Crash soak of the session store: `npm run soak -- --runs 50 [--checkpoint-runs 10] [--seed 1] [--keep]`.
 *
 * Starts the browser-mode server on loopback with a temp data dir, starts training runs over the
 * WebSocket API (and continues interrupted ones with run:continue), SIGKILLs the server at a random
 * moment, then checks on disk that every session reopens, every run holds every step it reported before
 * the kill, and no file is corrupt; then restarts the server and repeats.
 *
 * A second phase (`--checkpoint-runs`) does the same under checkpoint pressure: runs checkpoint after every
 * step of a tiny network, `app:info` is timed while they train (the slowest answer is reported), and after
 * each kill the newest checkpoint must be valid and not ahead of the metrics on disk; every other cycle
 * resumes such a run from it. At each restart no temp file of a killed write may survive.
 *
 * Ends by reopening everything through a fresh server. Prints one JSON summary line; exits 1 if any check failed.
 */
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { SessionStore } from '../src/main/services/sessionStore';
import { CHECKPOINT_DIR } from '../src/main/services/checkpoint';
import { WS_PATH } from '../src/shared/api/wire';
import type { RunProgressEvent } from '../src/shared/api/contract';
import type { Result } from '../src/shared/api/result';
import { spawnServer } from './lib/serverProcess';
import { cookieName } from '../src/main/server/security';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '50' },
    'checkpoint-runs': { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    'min-ms': { type: 'string', default: '1500' },
    'max-ms': { type: 'string', default: '5000' },
  },
  strict: true,
});
const cycles = Number(values.runs);
const checkpointCycles = Number(values['checkpoint-runs']);
const minMs = Number(values['min-ms']);
const maxMs = Number(values['max-ms']);
if (!Number.isInteger(cycles) || cycles < 1 || cycles > 10_000) {
  process.stderr.write(`soak: --runs: expected an integer 1..10000, got ${JSON.stringify(values.runs)}\n`);
  process.exit(2);
}
if (!Number.isInteger(checkpointCycles) || checkpointCycles < 0 || checkpointCycles > 10_000) {
  process.stderr.write(`soak: --checkpoint-runs: expected an integer 0..10000, got ${JSON.stringify(values['checkpoint-runs'])}\n`);
  process.exit(2);
}

// A seeded generator so a failing soak can be replayed with the same kill moments.
let rs = Number(values.seed) >>> 0 || 1;
function rand(): number {
  rs ^= rs << 13;
  rs >>>= 0;
  rs ^= rs >>> 17;
  rs ^= rs << 5;
  rs >>>= 0;
  return rs / 2 ** 32;
}

const CONFIG = {
  dataset: 'sphere',
  samples: 8,
  testSamples: 0,
  inputDim: 4,
  hiddenWidth: 32,
  regime: 'joint',
  dtype: 'float64',
  backend: 'js',
  steps: 400_000,
  trackEvery: 5,
  trackEigenvalues: 0,
  checkpointEvery: 50,
  // never stop early: the run must still be going when the kill comes
  targetLossRatio: 0,
  seed: 7,
};

/** The frequent-checkpoint phase: a checkpoint after every step of a tiny network. */
const PRESSURE_CONFIG = { ...CONFIG, hiddenWidth: 16, checkpointEvery: 1, trackEvery: 1000 };

interface Server {
  proc: ChildProcess;
  port: number;
  token: string;
  out: () => string;
}

async function startServer(dataDir: string, staticDir: string): Promise<Server> {
  const p = await spawnServer({ repoRoot, dataDir, staticDir });
  return { proc: p.proc, port: p.port, token: p.token, out: p.output };
}

/** A minimal WorkbenchApi client over the wire format of src/shared/api/wire.ts. */
class Client {
  private nextId = 1;
  private pending = new Map<number, (r: Result<unknown>) => void>();
  private listeners: ((channel: string, payload: unknown) => void)[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { t: string; id?: number; result?: Result<unknown>; channel?: string; payload?: unknown };
      if (msg.t === 'result' && msg.id !== undefined) {
        this.pending.get(msg.id)?.(msg.result!);
        this.pending.delete(msg.id);
      } else if (msg.t === 'event') for (const l of this.listeners) l(msg.channel!, msg.payload);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p({ ok: false, error: { code: 'internal', message: 'connection closed' } });
      this.pending.clear();
    });
  }

  static connect(s: Server): Promise<Client> {
    const origin = `http://127.0.0.1:${s.port}`;
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}${WS_PATH}`, { origin, headers: { Cookie: `${cookieName(s.port)}=${s.token}` } });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new Client(ws)));
      ws.once('error', reject);
    });
  }

  invoke<T>(channel: string, req?: unknown): Promise<Result<T>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve as (r: Result<unknown>) => void);
      this.ws.send(JSON.stringify({ t: 'invoke', id, channel, req }));
    });
  }

  on(fn: (channel: string, payload: unknown) => void): void {
    this.listeners.push(fn);
  }

  close(): void {
    this.ws.terminate();
  }
}

function kill(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.proc.exitCode !== null || s.proc.signalCode !== null) return resolve();
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGKILL');
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const t0 = Date.now();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-soak-'));
  // The server only needs some page to serve; the soak talks to the WebSocket API alone.
  const staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-soak-web-'));
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>soak</title>');
  /** every step each run reported over run:progress, i.e. that must be on disk */
  const reported = new Map<string, Set<number>>();
  const failures: string[] = [];
  let kills = 0;
  let runsStarted = 0;
  let resumed = 0;
  let stepsChecked = 0;
  let corruptFiles = 0;
  let sessionId: string | null = null;
  const runsFailed: string[] = [];

  const store = new SessionStore(dataDir);
  const pressureRuns: string[] = [];
  const appInfoMs: number[] = [];
  let pressureResumed = 0;
  let checkpointsChecked = 0;

  /** Temp files and half-made folders of killed writes (a fresh server removes them at start). */
  function tempFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (/\.tmp-\d+-a?\d+$|^\.new-|^\.dup-/.test(e.name)) out.push(path.relative(dir, p));
        else if (e.isDirectory()) walk(p);
      }
    };
    walk(path.join(dir, 'sessions'));
    return out;
  }

  /** The server is dead: check the disk as a fresh process would see it. */
  async function checkDisk(label: string): Promise<void> {
    const sessions = await store.listSessions();
    for (const s of sessions) {
      if (s.corrupt) {
        corruptFiles++;
        failures.push(`${label}: session ${s.sessionId}: ${s.corrupt}`);
        continue;
      }
      for (const r of await store.listRuns(s.sessionId)) {
        try {
          const d = await store.readRun(r.runId);
          const onDisk = new Set(d.records.map((x) => x.step));
          for (const step of reported.get(r.runId) ?? []) {
            stepsChecked++;
            if (!onDisk.has(step)) failures.push(`${label}: run ${r.runId} reported step ${step} but it is not on disk`);
          }
          const cp = await store.latestCheckpoint(r.runId);
          if (cp) {
            checkpointsChecked++;
            const last = d.records.length > 0 ? d.records[d.records.length - 1]!.step : 0;
            // Records up to a checkpoint are made durable before it: it is never ahead of them by more than the
            // record stride (a loss record every ⌈steps/5000⌉ steps, engine/training/run.ts).
            const stride = Math.max(1, Math.ceil(d.config.config.steps / 5000));
            if (cp.step > last + stride) failures.push(`${label}: run ${r.runId} has a checkpoint at step ${cp.step} but records only to ${last}`);
          } else if (
            d.config.config.checkpointEvery === 1 &&
            d.records.length > 200 &&
            fs.existsSync(path.join(store.dataDir, 'sessions', s.sessionId, 'runs', r.runId, CHECKPOINT_DIR))
          ) {
            failures.push(`${label}: run ${r.runId} has checkpoint files but none is valid`);
          }
        } catch (e) {
          corruptFiles++;
          failures.push(`${label}: run ${r.runId}: ${(e as Error).message}`);
        }
      }
    }
  }

  for (let cycle = 0; cycle < cycles; cycle++) {
    const server = await startServer(dataDir, staticDir);
    try {
      const client = await Client.connect(server);
      client.on((channel, payload) => {
        if (channel === 'run:failed') {
          const ev = payload as { runId: string; error: { code: string; message: string } };
          runsFailed.push(`${ev.runId}: ${ev.error.code}: ${ev.error.message}`);
          return;
        }
        if (channel !== 'run:progress') return;
        const ev = payload as RunProgressEvent;
        let set = reported.get(ev.runId);
        if (!set) reported.set(ev.runId, (set = new Set()));
        for (const r of ev.records) set.add(r.step);
      });
      const list = await client.invoke<{ sessionId: string; corrupt?: string }[]>('session:list');
      if (!list.ok) failures.push(`cycle ${cycle}: session:list failed: ${list.error.message}`);
      else for (const s of list.value) if (s.corrupt) failures.push(`cycle ${cycle}: session ${s.sessionId} corrupt: ${s.corrupt}`);
      if (sessionId === null || cycle % 10 === 0) {
        const made = await client.invoke<{ sessionId: string }>('session:create', { name: `soak ${cycle}` });
        if (made.ok) sessionId = made.value.sessionId;
        else failures.push(`cycle ${cycle}: session:create failed: ${made.error.message}`);
      }
      // Every third cycle also continues an interrupted run from its checkpoint.
      if (cycle % 3 === 2) {
        const candidates = (await store.listAllRuns()).filter((r) => r.status === 'stopped' && r.reason === 'interrupted');
        const pick = candidates[Math.floor(rand() * candidates.length)];
        if (pick) {
          const cp = await store.latestCheckpoint(pick.runId);
          if (cp) {
            // Records from the checkpoint on are recomputed: the disk need no longer hold the old ones.
            const set = reported.get(pick.runId);
            if (set) for (const s of [...set]) if (s >= cp.step) set.delete(s);
            const r = await client.invoke('run:continue', { runId: pick.runId });
            if (r.ok) resumed++;
            else failures.push(`cycle ${cycle}: run:continue ${pick.runId} failed: ${r.error.message}`);
          }
        }
      }
      const started = await client.invoke<{ runId: string }>('run:start', { config: CONFIG, sessionId: sessionId ?? undefined });
      if (started.ok) {
        runsStarted++;
        reported.set(started.value.runId, reported.get(started.value.runId) ?? new Set());
      } else failures.push(`cycle ${cycle}: run:start failed: ${started.error.message}`);
      await sleep(minMs + rand() * (maxMs - minMs));
      await kill(server);
      kills++;
      client.close();
    } catch (e) {
      failures.push(`cycle ${cycle}: ${(e as Error).message}`);
      await kill(server);
    }

    await checkDisk(`cycle ${cycle}`);
  }

  // Phase 2: checkpoints after every step, app:info timed while they are written, kills in between.
  for (let cycle = 0; cycle < checkpointCycles; cycle++) {
    const label = `checkpoint cycle ${cycle}`;
    const server = await startServer(dataDir, staticDir);
    try {
      const debris = tempFiles(dataDir);
      if (debris.length > 0) failures.push(`${label}: temp files of killed writes survived the restart: ${debris.slice(0, 3).join(', ')}`);
      const client = await Client.connect(server);
      client.on((channel, payload) => {
        if (channel === 'run:failed') {
          const ev = payload as { runId: string; error: { code: string; message: string } };
          runsFailed.push(`${ev.runId}: ${ev.error.code}: ${ev.error.message}`);
          return;
        }
        if (channel !== 'run:progress') return;
        const ev = payload as RunProgressEvent;
        let set = reported.get(ev.runId);
        if (!set) reported.set(ev.runId, (set = new Set()));
        for (const r of ev.records) set.add(r.step);
      });
      await client.invoke('app:info'); // the backend probe, once, before anything is timed
      if (cycle % 2 === 1 && pressureRuns.length > 0) {
        const runId = pressureRuns[Math.floor(rand() * pressureRuns.length)]!;
        const cp = await store.latestCheckpoint(runId);
        if (cp) {
          const set = reported.get(runId);
          if (set) for (const st of [...set]) if (st >= cp.step) set.delete(st);
          const r = await client.invoke('run:continue', { runId });
          if (r.ok) pressureResumed++;
          else failures.push(`${label}: run:continue ${runId} failed: ${r.error.message}`);
        }
      }
      const started = await client.invoke<{ runId: string }>('run:start', { config: PRESSURE_CONFIG, sessionId: sessionId ?? undefined });
      if (started.ok) {
        pressureRuns.push(started.value.runId);
        reported.set(started.value.runId, reported.get(started.value.runId) ?? new Set());
      } else failures.push(`${label}: run:start failed: ${started.error.message}`);
      const until = Date.now() + minMs + rand() * (maxMs - minMs);
      while (Date.now() < until) {
        const t0 = performance.now();
        const info = await client.invoke('app:info');
        const ms = performance.now() - t0;
        appInfoMs.push(ms);
        if (!info.ok) failures.push(`${label}: app:info failed: ${info.error.message}`);
        await sleep(50);
      }
      await kill(server);
      kills++;
      client.close();
    } catch (e) {
      failures.push(`${label}: ${(e as Error).message}`);
      await kill(server);
    }
    await checkDisk(label);
  }

  // Every session reopens through a fresh server.
  let sessionsReopened = 0;
  let runsReopened = 0;
  const server = await startServer(dataDir, staticDir);
  try {
    const client = await Client.connect(server);
    const list = await client.invoke<{ sessionId: string; corrupt?: string }[]>('session:list');
    if (list.ok) {
      for (const s of list.value) {
        if (s.corrupt) continue;
        sessionsReopened++;
        const runs = await client.invoke<{ runId: string }[]>('session:runs', { sessionId: s.sessionId });
        if (!runs.ok) {
          failures.push(`final: session:runs ${s.sessionId}: ${runs.error.message}`);
          continue;
        }
        for (const r of runs.value) {
          const got = await client.invoke('run:get', { runId: r.runId });
          if (got.ok) runsReopened++;
          else failures.push(`final: run:get ${r.runId}: ${got.error.message}`);
        }
      }
    } else failures.push(`final: session:list: ${list.error.message}`);
    client.close();
  } finally {
    server.proc.kill('SIGTERM');
  }

  // A soak in which no run reported a step proves nothing about durability.
  if (stepsChecked === 0) failures.push(`no run reported any step before its kill${runsFailed[0] ? ` (first failure: ${runsFailed[0]})` : ''}`);
  const summary = {
    soak: 'sessions',
    kills,
    runsStarted,
    resumed,
    sessions: (await store.listSessions()).length,
    sessionsReopened,
    runsReopened,
    reportedStepsChecked: stepsChecked,
    missingSteps: failures.filter((f) => f.includes('not on disk')).length,
    corruptFiles,
    runsFailed: runsFailed.length,
    checkpointPhase: {
      cycles: checkpointCycles,
      runsStarted: pressureRuns.length,
      resumed: pressureResumed,
      checkpointsChecked,
      appInfoCalls: appInfoMs.length,
      appInfoMedianMs: appInfoMs.length ? Math.round([...appInfoMs].sort((a, b) => a - b)[Math.floor(appInfoMs.length / 2)]! * 10) / 10 : null,
      appInfoMaxMs: appInfoMs.length ? Math.round(Math.max(...appInfoMs) * 10) / 10 : null,
    },
    failures: failures.slice(0, 20),
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    dataDir: values.keep ? dataDir : undefined,
    ok: failures.length === 0,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
  if (!values.keep) {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  fs.rmSync(staticDir, { recursive: true, force: true });
  return failures.length === 0 ? 0 : 1;
}

process.exitCode = await main();
