import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rawZip } from '../../../support/rawZip';
import { decodeNpy } from '../../../../src/main/services/export/npy';
import { symmetricEigen } from '../../../../src/main/engine/linalg/symmetricEigen';

const root = path.resolve(__dirname, '../../../..');
const runs = path.join(root, 'test/fixtures/runs');
let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/ntk-workbench.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-cli-export-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('ntk-workbench export / archive / import', () => {
  it('export csv of two runs writes the long format with the documented header', () => {
    const r = cli('export', 'csv', path.join(runs, 'seeded-joint'), path.join(runs, 'seeded-weak'), '--out', 'two.csv', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files).toEqual([path.join(dir, 'two.csv')]);
    expect(readFileSync(path.join(dir, 'two.csv'), 'utf8').split('\n')[0]).toBe('run_id,step,metric,value,hiddenWidth,regime,seed');
  });

  it('export figures --format png --scale 1 writes one PNG per chart; a bad scale exits 2 naming --scale', () => {
    const r = cli('export', 'figures', path.join(runs, 'seeded-joint'), '--out', 'figs', '--format', 'png', '--scale', '1');
    expect(r.code).toBe(0);
    for (const f of ['loss.png', 'eigenvalues.png', 'spectrum.png']) expect(readdirSync(path.join(dir, 'figs'))).toContain(f);
    const bad = cli('export', 'figures', path.join(runs, 'seeded-joint'), '--out', 'figs2', '--scale', '9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scale');
  });

  it('export report writes one HTML file with inline SVG and no external reference', () => {
    const r = cli('export', 'report', path.join(runs, 'seeded-joint'), path.join(runs, 'seeded-weak'), '--out', 'r.html');
    expect(r.code).toBe(0);
    const html = readFileSync(path.join(dir, 'r.html'), 'utf8');
    expect(html.match(/<svg /g)!.length).toBeGreaterThanOrEqual(5);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('<script');
  });

  it("a sweep's folder stands for its cells' runs, in the sweep's order: export csv and export report", () => {
    writeFileSync(
      path.join(dir, 'base.json'),
      JSON.stringify({ samples: 6, testSamples: 0, inputDim: 3, hiddenWidth: 16, steps: 5, trackEvery: 5, backend: 'js', dtype: 'float64' }),
    );
    const sweep = cli('sweep', '--config', 'base.json', '--grid', 'hiddenWidth=16,24,32', '--out', 'sw', '--jobs', '1', '--json');
    expect(sweep.code, sweep.stderr).toBe(0);
    const state = JSON.parse(readFileSync(path.join(dir, 'sw', 'sweep.json'), 'utf8')) as { cells: Record<string, { index: number }> };
    const inOrder = Object.entries(state.cells)
      .sort(([, a], [, b]) => a.index - b.index)
      .map(([id]) => JSON.parse(readFileSync(path.join(dir, 'sw', 'runs', id, 'config.json'), 'utf8')).runId as string);
    expect(inOrder).toHaveLength(3);
    const r = cli('export', 'csv', 'sw', '--out', 'sw.csv', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).runs).toEqual(inOrder);
    const lines = readFileSync(path.join(dir, 'sw.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('run_id,step,metric,value,hiddenWidth');
    expect([...new Set(lines.slice(1).map((l) => l.split(',')[0]))]).toEqual(inOrder);
    // A cell not started yet (no run folder) is left out; the report takes the sweep beside a run folder.
    rmSync(path.join(dir, 'sw', 'runs', Object.keys(state.cells)[0]!), { recursive: true });
    const rep = cli('export', 'report', 'sw', path.join(runs, 'seeded-weak'), '--out', 'sw.html');
    expect(rep.code, rep.stderr).toBe(0);
    const html = readFileSync(path.join(dir, 'sw.html'), 'utf8');
    expect(inOrder.filter((id) => html.includes(id))).toHaveLength(2);
    // A corrupt sweep.json is named, not skipped.
    writeFileSync(path.join(dir, 'sw', 'sweep.json'), '{"cells": 3');
    const bad = cli('export', 'csv', 'sw', '--out', 'bad.csv');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('sweep.json');
  });

  it('export of a folder that is not a run exits 2 naming it', () => {
    const r = cli('export', 'csv', dir, '--out', 'x.csv');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a run folder');
  });

  it('archive then import into another data dir prints the session and run ids', () => {
    expect(cli('archive', path.join(runs, 'seeded-weak'), '--out', 'w.zip').code).toBe(0);
    const r = cli('import', 'w.zip', '--data-dir', 'data', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.runIds).toEqual([JSON.parse(readFileSync(path.join(runs, 'seeded-weak/config.json'), 'utf8')).runId]);
    expect(existsSync(path.join(dir, 'data/sessions', j.sessionId, 'runs', j.runIds[0], 'metrics.ndjson'))).toBe(true);
  });

  it('import of a hostile archive exits 2 naming the entry and the rule, and writes nothing', () => {
    writeFileSync(path.join(dir, 'evil.zip'), rawZip([{ name: '../../escape.txt', data: 'x' }]));
    const r = cli('import', 'evil.zip', '--data-dir', 'data-evil');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"../../escape.txt"');
    expect(r.stderr).toContain('path-traversal');
    expect(readdirSync(path.join(dir, 'data-evil'))).toEqual([]);
    expect(existsSync(path.join(dir, '..', 'escape.txt'))).toBe(false);
  });

  it('kernel --npy writes the n×n Gram matrix that --json prints', () => {
    writeFileSync(path.join(dir, 'x.csv'), '1,0,0\n0.6,0.8,0\n0,0.6,0.8\n');
    const r = cli('kernel', '--data', 'x.csv', '--kernel', 'joint', '--json', '--npy', 'k.npy');
    expect(r.code).toBe(0);
    const k = decodeNpy(readFileSync(path.join(dir, 'k.npy')));
    expect(k.shape).toEqual([3, 3]);
    expect(Array.from(k.data as Float64Array)).toEqual(JSON.parse(r.stdout).gram.flat());
  });

  it('ntk --npy writes the traced empirical NTK whose spectrum --json prints', () => {
    const cfg = JSON.parse(readFileSync(path.join(runs, 'seeded-joint/config.json'), 'utf8')).config;
    writeFileSync(path.join(dir, 'ntk.json'), JSON.stringify({ ...cfg, steps: 3 }));
    const r = cli('ntk', '--config', 'ntk.json', '--at-step', '2', '--json', '--npy', 'h.npy');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.matrix).toBeUndefined();
    const h = decodeNpy(readFileSync(path.join(dir, 'h.npy')));
    expect(h.shape).toEqual([j.size, j.size]);
    const ev = Array.from(symmetricEigen(h.data as Float64Array, j.size).values);
    ev.forEach((v, i) => expect(Math.abs(v - j.spectrum[i])).toBeLessThanOrEqual(1e-12 * Math.abs(j.lambdaMax)));
  });
});
