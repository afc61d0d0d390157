import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Unit and component tests. Component tests (test/unit/renderer) run in happy-dom.
export default defineConfig({
  plugins: [vue()],
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // onnxruntime leaves mat-debug-<pid>.log in the temp folder of every process that loads it, unless this is set.
    env: { ORT_DISABLE_TELEMETRY: '1' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/support/countReporter.ts'],
  },
});
