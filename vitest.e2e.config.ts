import { defineConfig } from 'vitest/config';

// End-to-end tests: Playwright (playwright-core) driving Debian's Chromium against browser mode, and
// Electron through Playwright's _electron where the binary exists.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    environment: 'node',
    // onnxruntime leaves mat-debug-<pid>.log in the temp folder of every process that loads it, unless this is set.
    env: { ORT_DISABLE_TELEMETRY: '1' },
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    reporters: ['default', './test/support/countReporter.ts'],
  },
});
