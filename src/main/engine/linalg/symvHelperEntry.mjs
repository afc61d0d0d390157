// A symmetric-product helper thread started from the TypeScript sources (CLI, browser-mode server, tests,
// bench): registers tsx's loader in this thread, then runs the helper. The Electron build bundles symvHelper.ts
// directly (engine/workerElectron.ts).
import { register } from 'tsx/esm/api';

register();
await import('./symvHelper.ts');
