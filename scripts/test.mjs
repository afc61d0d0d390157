#!/usr/bin/env node
// `npm test`: typecheck, lint, unit + component tests, browser end-to-end tests (Electron E2E where the
// binary exists). Prints one summary line at the end: `N passed, N failed[, N skipped]`.
// Each of typecheck and lint counts as one check; each Vitest test counts as one.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdirSync } from 'node:fs';

const only = process.argv.slice(2); // e.g. `npm test -- unit` runs just that stage
const stages = [
  { name: 'typecheck', cmd: ['npm', 'run', '--silent', 'typecheck'] },
  { name: 'lint', cmd: ['npx', 'eslint', '.', '--max-warnings', '0'] },
  { name: 'format', cmd: ['npx', 'prettier', '--check', '.', '--log-level', 'warn'] },
  { name: 'security', cmd: ['node', 'scripts/security-scan.mjs'] },
  { name: 'build', cmd: ['npx', 'electron-vite', 'build'] },
  { name: 'unit', vitest: 'vitest.config.ts' },
  { name: 'e2e', vitest: 'vitest.e2e.config.ts' },
].filter((s) => only.length === 0 || only.includes(s.name));

let passed = 0;
let failed = 0;
let skipped = 0;
mkdirSync('.tmp', { recursive: true });
for (const s of stages) {
  process.stdout.write(`\n=== ${s.name} ===\n`);
  const t0 = Date.now();
  if (s.vitest) {
    const counts = `.tmp/counts-${s.name}.json`;
    rmSync(counts, { force: true });
    const r = spawnSync('npx', ['vitest', 'run', '--config', s.vitest], {
      stdio: 'inherit',
      env: { ...process.env, NTK_TEST_LABEL: s.name },
    });
    if (existsSync(counts)) {
      const c = JSON.parse(readFileSync(counts, 'utf8'));
      passed += c.passed;
      failed += c.failed;
      skipped += c.skipped;
      if (r.status !== 0 && c.failed === 0) failed += 1; // vitest failed for a reason the reporter did not see
    } else {
      process.stdout.write(`${s.name}: vitest exited ${r.status} without a report\n`);
      failed += 1;
    }
  } else {
    const r = spawnSync(s.cmd[0], s.cmd.slice(1), { stdio: 'inherit' });
    if (r.status === 0) passed += 1;
    else failed += 1;
    process.stdout.write(`${s.name}: ${r.status === 0 ? 'passed' : 'FAILED'}\n`);
  }
  process.stdout.write(`(${s.name} took ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed === 0 ? 0 : 1;
