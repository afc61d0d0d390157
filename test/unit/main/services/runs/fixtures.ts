/** Synthetic run folders for the run-table tests: written directly in run folder format v1, as a run leaves them. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConfig, type Config } from '../../../../../src/shared/config/schema';
import { metricLine, type MetricRecord, type RunStatus } from '../../../../../src/shared/run/format';

export interface SyntheticRun {
  sessionId: string;
  runId: string;
  config?: Partial<Config>;
  status?: RunStatus;
  steps?: number;
  startedAt?: string;
  /** loss at step k: loss0 · decay^k */
  loss0?: number;
  decay?: number;
}

/** Makes `<dataDir>/sessions/<sessionId>` with a manifest when missing. */
export function ensureSession(dataDir: string, sessionId: string, name = `Session ${sessionId}`): string {
  const dir = path.join(dataDir, 'sessions', sessionId);
  if (!fs.existsSync(path.join(dir, 'session.json'))) {
    fs.mkdirSync(path.join(dir, 'runs'), { recursive: true });
    const now = '2024-01-01T00:00:00.000Z';
    fs.writeFileSync(path.join(dir, 'session.json'), JSON.stringify({ schemaVersion: 1, sessionId, name, createdAt: now, updatedAt: now }));
  }
  return dir;
}

/** Writes one finished run folder (config.json, status.json, metrics.ndjson with tracked eigenvalues every 10 steps). */
export function writeSyntheticRun(dataDir: string, r: SyntheticRun): string {
  const dir = path.join(ensureSession(dataDir, r.sessionId), 'runs', r.runId);
  fs.mkdirSync(dir, { recursive: true });
  const steps = r.steps ?? 20;
  const config = { ...defaultConfig(), steps, ...r.config };
  const startedAt = r.startedAt ?? '2024-01-02T03:04:05.000Z';
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      schemaVersion: 1,
      runId: r.runId,
      config,
      appVersion: '0.1.0',
      backend: 'js',
      dtype: 'float64',
      startedAt,
      machine: { platform: 'linux', arch: 'x64', cpus: 2, node: 'v20', hostname: 'box' },
      learningRates: { encoder: 0.5, decoder: 0.5 },
    }),
  );
  const loss0 = r.loss0 ?? 2;
  const decay = r.decay ?? 0.9;
  let text = '';
  for (let k = 0; k <= steps; k++) {
    const rec: MetricRecord = { step: k, loss: loss0 * decay ** k, lossRatio: decay ** k, testLoss: loss0 * decay ** k * 1.5, wallMs: k * 10 };
    if (k % 10 === 0) rec.tracked = { eigMin: [0.1 + k / 1000, 0.2], eigMax: [5 - k / 100, 4] };
    text += metricLine(rec);
  }
  fs.writeFileSync(path.join(dir, 'metrics.ndjson'), text);
  const status = r.status ?? 'finished';
  const finishedAt = new Date(Date.parse(startedAt) + steps * 10).toISOString();
  fs.writeFileSync(
    path.join(dir, 'status.json'),
    JSON.stringify({
      schemaVersion: 1,
      status,
      reason: status === 'finished' ? 'completed' : null,
      lastStep: steps,
      updatedAt: finishedAt,
      ...(status === 'running' ? {} : { finishedAt }),
    }),
  );
  return dir;
}
