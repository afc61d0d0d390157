/**
 * A tiny Vitest reporter: counts passed / failed / skipped tests (unhandled errors and failed files count
 * as failed) and writes them to `.tmp/counts-<label>.json` for scripts/test.mjs, plus a summary line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of testModules) {
      let any = false;
      for (const t of mod.children.allTests()) {
        any = true;
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load (syntax error, top-level throw) has no tests but is a failure.
      if (!any && mod.state() === 'failed') failed++;
      else if (mod.state() === 'failed' && mod.errors().length > 0) failed++;
    }
    failed += unhandledErrors.length;
    const label = process.env.NTK_TEST_LABEL ?? 'vitest';
    mkdirSync('.tmp', { recursive: true });
    writeFileSync(`.tmp/counts-${label}.json`, JSON.stringify({ passed, failed, skipped }));
    process.stdout.write(`${label}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
