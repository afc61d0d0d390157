import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMetricsText, runConfigFileSchema, runStatusFileSchema } from '../../../../src/shared/run/format';
import { parseConfig } from '../../../../src/shared/config/schema';

const root = path.resolve(__dirname, '../../../..');
let dir: string;

/** Runs the real bin the way a user does. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin/ntk-workbench.mjs'), ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ntk-cli-'));
  writeFileSync(path.join(dir, 'x.csv'), '1,0,0\n0.6,0.8,0\n0,0.6,0.8\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent('ntk-workbench', () => {
  it('prints help and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const c of ['config', 'train', 'kernel', 'theory', 'ntk', 'serve']) expect(r.stdout).toContain(c);
  });

  it('config prints the default config as JSON that parses back', () => {
    const r = cli('config');
    expect(r.code).toBe(0);
    expect(parseConfig(JSON.parse(r.stdout)).ok).toBe(true);
  });

  it.each([
    [['kernel', '--data', 'x.csv', '--kernel', 'nonsense'], '--kernel'],
    [['kernel', '--data', 'x.csv', '--kernel', 'enc', '--kappa', '-1'], '--kappa'],
    [['theory', '--data', 'x.csv', '--steps', '10,abc'], '--steps'],
    [['train', '--config', 'missing.json', '--out', 'o'], '--config'],
    [['train', '--out', 'o'], '--config'],
    [['train', '--config', 'missing.json', '--out', 'o', '--threads', '0'], '--threads'],
    [['kernel', '--data', 'x.csv', '--kernel', 'enc', '--bogus'], '--bogus'],
  ])('bad flags %j exit 2 with one line naming %s', (args, flag) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('(Did you mean'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(flag);
    expect(r.stdout).toBe('');
  });

  it('an invalid config exits 2 with key: rule lines', () => {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ hiddenWidth: 0, regime: 'sideways' }));
    const r = cli('train', '--config', 'bad.json', '--out', 'o');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hiddenWidth: expected an integer ≥ 1, got 0');
    expect(r.stderr).toContain('regime: expected one of');
  });

  it('a ragged CSV exits 2 naming the line', () => {
    writeFileSync(path.join(dir, 'ragged.csv'), '1,2\n3\n');
    const r = cli('kernel', '--data', 'ragged.csv', '--kernel', 'enc', '--json');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/line 2/);
  });

  it('kernel --json gives the Gram matrix with diagonal |x|²/2 and ascending eigenvalues', () => {
    const r = cli('kernel', '--data', 'x.csv', '--kernel', 'enc', '--json');
    expect(r.code).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(k).toMatchObject({ kernel: 'enc', n: 3, d: 3 });
    for (let i = 0; i < 3; i++) expect(k.gram[i][i]).toBeCloseTo(0.5, 12);
    expect([...k.eigenvalues].sort((a: number, b: number) => a - b)).toEqual(k.eigenvalues);
  });

  it('theory --json has the documented fields', () => {
    const r = cli('theory', '--data', 'x.csv', '--steps', '10,100', '--json');
    expect(r.code).toBe(0);
    const t = JSON.parse(r.stdout);
    for (const key of ['lambdaEnc', 'lambdaDec', 'lambdaJoint', 'lambdaMaxEnc', 'lambdaMaxDec', 'lambdaMaxJoint']) expect(typeof t[key]).toBe('number');
    for (const k of ['enc', 'dec', 'joint']) {
      expect(typeof t.eta[k]).toBe('number');
      expect(t.linearizedLossRatio[k]['100']).toBeLessThan(t.linearizedLossRatio[k]['10']);
    }
    expect(typeof t.sufficientWidth).toBe('object');
  });

  it('train writes a valid run folder (config.json, metrics.ndjson, status.json) with a falling loss', () => {
    writeFileSync(
      path.join(dir, 'cfg.json'),
      JSON.stringify({ samples: 8, testSamples: 4, inputDim: 4, hiddenWidth: 64, steps: 40, trackEvery: 10, seed: 3, backend: 'js' }),
    );
    const out = path.join(dir, 'run1');
    const r = cli('train', '--config', 'cfg.json', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('finished');
    expect(summary.collapse).toBeNull();
    expect(runConfigFileSchema.safeParse(JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8'))).success).toBe(true);
    const status = runStatusFileSchema.parse(JSON.parse(readFileSync(path.join(out, 'status.json'), 'utf8')));
    expect(status.status).toBe('finished');
    const m = parseMetricsText(readFileSync(path.join(out, 'metrics.ndjson'), 'utf8'));
    if ('error' in m) throw new Error(m.error);
    expect(m.records[0]!.step).toBe(0);
    expect(m.records.at(-1)!.step).toBe(40);
    expect(m.records.at(-1)!.loss!).toBeLessThan(m.records[0]!.loss!);
    expect(m.records.some((x) => x.tracked !== undefined)).toBe(true);
  });

  it('train gives the same records and theory bit for bit run after run and with one thread or two (n past the banded products)', () => {
    // n = 800: the symmetric products of η's λ_max and of the eigensolvers go through their bands (helper threads
    // with two), the theory decomposes H∞, and every step from 0 on is tracked.
    writeFileSync(
      path.join(dir, 'repro.json'),
      JSON.stringify({ dataset: 'sphere', samples: 800, testSamples: 0, inputDim: 20, hiddenWidth: 200, steps: 4, trackEvery: 2, seed: 5 }),
    );
    const runs = [
      ['run-repro-a', '2'],
      ['run-repro-b', '2'],
      ['run-repro-c', '1'],
    ].map(([name, threads]) => {
      const out = path.join(dir, name!);
      const r = cli('train', '--config', 'repro.json', '--out', out, '--json', '--threads', threads!);
      expect(r.code, r.stderr).toBe(0);
      // Every record without its wall-clock time.
      const metrics = readFileSync(path.join(out, 'metrics.ndjson'), 'utf8').replace(/"wallMs":[-\d.e+]+,?/g, '');
      return { metrics, theory: readFileSync(path.join(out, 'theory.json'), 'utf8') };
    });
    expect(runs[0]!.metrics).toMatch(/"eigMin"/);
    expect(JSON.parse(runs[0]!.theory).theory.lambdaJoint).toBeGreaterThan(0);
    // Named by the first line that differs (the records are long).
    const firstDifference = (a: string, b: string): string | null => {
      const [la, lb] = [a.split('\n'), b.split('\n')];
      const i = la.findIndex((line, k) => line !== lb[k]);
      return i === -1 && la.length === lb.length ? null : `line ${i + 1}: ${(la[i] ?? '').slice(0, 120)}…`;
    };
    for (const other of runs.slice(1)) {
      expect(firstDifference(other.metrics, runs[0]!.metrics)).toBeNull();
      expect(firstDifference(other.theory, runs[0]!.theory)).toBeNull();
    }
  });

  it('train says when the network collapsed to the zero output: a warning on stderr and `collapse` in the JSON', () => {
    writeFileSync(
      path.join(dir, 'collapse.json'),
      JSON.stringify({ dataset: 'mnist', nu: 1, samples: 8, testSamples: 0, hiddenWidth: 256, steps: 20, trackEvery: 5, targetLossRatio: 0 }),
    );
    const r = cli('train', '--config', 'collapse.json', '--out', path.join(dir, 'run-collapse'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.collapse.message).toMatch(/^collapsed to the zero output since step \d+/);
    expect(r.stderr).toMatch(/warning: collapsed to the zero output/);
  });

  it('a kernel too big for memory is refused up front with exit 4 and the estimate', () => {
    writeFileSync(path.join(dir, 'big.json'), JSON.stringify({ samples: 2000, testSamples: 0, inputDim: 100, hiddenWidth: 64, memoryLimitMiB: 64 }));
    const r = cli('ntk', '--config', 'big.json', '--full', '--json');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/needs ~\d+ MiB, above the limit of 64 MiB/);
    expect(r.stdout).toBe('');
  });

  it('a diverging run exits 3 with the step, η and a suggested stable η', () => {
    writeFileSync(
      path.join(dir, 'div.json'),
      JSON.stringify({ samples: 8, testSamples: 0, inputDim: 4, hiddenWidth: 64, steps: 200, learningRate: 50, seed: 1, backend: 'js' }),
    );
    const out = path.join(dir, 'run-div');
    const r = cli('train', '--config', 'div.json', '--out', out);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/diverged at step \d+/);
    expect(existsSync(path.join(out, 'metrics.ndjson'))).toBe(true);
    expect(runStatusFileSchema.parse(JSON.parse(readFileSync(path.join(out, 'status.json'), 'utf8'))).status).toBe('failed');
  });

  it('train refuses a run above memoryLimitMiB with exit 4 and the estimate, creating nothing (issue 21, item 7)', () => {
    // W and V of 507904 × 16 float64 are 62 MiB each: the parameters alone exceed the 16 MiB limit.
    writeFileSync(
      path.join(dir, 'wide.json'),
      JSON.stringify({ samples: 4, testSamples: 0, inputDim: 16, hiddenWidth: 507904, memoryLimitMiB: 16, learningRate: 0.1, steps: 3 }),
    );
    const out = path.join(dir, 'run-wide');
    const r = cli('train', '--config', 'wide.json', '--out', out, '--json');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/this run needs ~\d+ MiB \(largest: .*, ~\d+ MiB\), above the memory limit of 16 MiB \(memoryLimitMiB\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('flags with bad values exit 2 with a message naming the flag (issue 21, item 13)', () => {
    const delta = cli('theory', '--data', 'x.csv', '--delta', '1.5');
    expect(delta.code).toBe(2);
    expect(delta.stderr).toMatch(/--delta: expected a number in \(0, 1\), got "1\.5"/);
    const steps = cli('theory', '--data', 'x.csv', '--steps', '');
    expect(steps.code).toBe(2);
    expect(steps.stderr).toMatch(/--steps: expected comma-separated integers ≥ 0, got ""/);
    expect(cli('theory', '--data', 'x.csv', '--steps', '10,,20').code).toBe(2);
  });

  it('train --out into a folder that already holds a run exits 2 and leaves it as it was (issue 21, item 13)', () => {
    writeFileSync(path.join(dir, 'cfg2.json'), JSON.stringify({ samples: 4, testSamples: 0, inputDim: 3, hiddenWidth: 16, steps: 5, backend: 'js' }));
    const out = path.join(dir, 'run-twice');
    expect(cli('train', '--config', 'cfg2.json', '--out', out).code).toBe(0);
    const before = readFileSync(path.join(out, 'metrics.ndjson'));
    const again = cli('train', '--config', 'cfg2.json', '--out', out, '--json');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run/);
    expect(readFileSync(path.join(out, 'metrics.ndjson')).equals(before)).toBe(true);
  });

  it('reads a UTF-16 CSV with a byte-order mark, and refuses one without it with an encoding hint (issue 21, item 13)', () => {
    const text = '1,0,0\n0.6,0.8,0\n0,0.6,0.8\n';
    writeFileSync(path.join(dir, 'u16.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    writeFileSync(path.join(dir, 'u16-bare.csv'), Buffer.from(text, 'utf16le'));
    const ok = cli('kernel', '--data', 'u16.csv', '--kernel', 'enc', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ n: 3, d: 3 });
    const bare = cli('kernel', '--data', 'u16-bare.csv', '--kernel', 'enc', '--json');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/u16-bare\.csv looks like UTF-16 little-endian text without a byte-order mark; save it as UTF-8/);
  });
});
