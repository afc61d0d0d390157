// Worker bootstrap when the engine runs from TypeScript sources (CLI, browser-mode server, tests):
// registers tsx's loader in this thread, then loads the worker. The Electron build bundles worker.ts directly.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
