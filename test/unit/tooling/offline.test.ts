/**
 * Things that must not reach outside this machine or leave files behind (issue 21, items 16 and 17): each
 * runs in a child process whose network is cut off at the socket level and whose temp folder is its own.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

/** A preload that records every attempt to resolve a name or open a TCP connection, and refuses it. */
function networkTrap(dir: string): { preload: string; attempts: () => string[] } {
  const log = path.join(dir, 'network.log');
  const preload = path.join(dir, 'trap.cjs');
  fs.writeFileSync(
    preload,
    `const fs = require('node:fs'); const net = require('node:net'); const dns = require('node:dns');
const note = (what) => fs.appendFileSync(${JSON.stringify(log)}, what + '\\n');
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const o = args[0];
  const target = typeof o === 'object' && o !== null ? (o.path ?? \`\${o.host}:\${o.port}\`) : String(o);
  if (typeof o === 'object' && o !== null && o.path) return connect.apply(this, args);
  note('connect ' + target);
  process.nextTick(() => this.destroy(Object.assign(new Error('network disabled in this test'), { code: 'ENETUNREACH' })));
  return this;
};
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) { note('lookup ' + host); const cb = rest[rest.length - 1]; process.nextTick(() => cb(Object.assign(new Error('network disabled'), { code: 'ENOTFOUND' }))); };
dns.promises.lookup = async (host) => { note('lookup ' + host); throw Object.assign(new Error('network disabled'), { code: 'ENOTFOUND' }); };
`,
  );
  return { preload, attempts: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []) };
}

describe('the security scan of `npm test` (issue 21, item 16)', () => {
  it('runs offline: it reaches for no host, still scans, and says which check it leaves out', { timeout: 120_000 }, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-offline-'));
    const trap = networkTrap(dir);
    const r = spawnSync(process.execPath, ['--require', trap.preload, path.join(root, 'scripts/security-scan.mjs')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TMPDIR: dir },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(trap.attempts()).toEqual([]);
    expect(r.stdout).toMatch(/AvailableSecurityFixesGlobalCheck skipped \(it downloads Electron's release list/);
    expect(r.stdout).toMatch(/electronegativity: \d+ findings, 0 of high severity \(\d+ atomic \+ \d+ global checks/);
  });
});

describe('onnxruntime in our processes (issue 21, item 17)', () => {
  it('leaves no mat-debug-<pid>.log (nor .ses) in the temp folder of a process whose engine loads it', { timeout: 120_000 }, () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ntk-ort-'));
    const script = path.join(tmp, 'probe.mts');
    fs.writeFileSync(
      script,
      `import { EngineHost } from ${JSON.stringify(path.join(root, 'src/main/services/engineHost.ts'))};
const host = new EngineHost({ threads: 1 });
// A training step on the onnx backend: onnxruntime starts its environment (and, unless told not to, its telemetry).
const r = await host.runTask('ntk', { config: { samples: 4, testSamples: 0, inputDim: 3, hiddenWidth: 8, backend: 'onnx', dtype: 'float32' }, atStep: 1, full: false });
await host.dispose();
process.stdout.write(JSON.stringify({ backend: r.backend }) + '\\n');`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    delete env.ORT_DISABLE_TELEMETRY;
    const r = spawnSync(process.execPath, [path.join(root, 'bin/run-ts.mjs'), script], { cwd: root, encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    // onnxruntime ran in an engine worker (the test is void where it could not run).
    expect(r.stdout).toMatch(/"backend":"onnx"/);
    expect(fs.readdirSync(tmp).filter((n) => n.startsWith('mat-debug-') || n === '.ses')).toEqual([]);
  });
});
