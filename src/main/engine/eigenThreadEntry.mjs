// The tracked-eigenvalue thread started from the TypeScript sources (CLI from source, browser-mode server,
// tests, bench): registers tsx's loader in this thread, then runs it. Bundles run eigenThread.ts from their
// engine worker file (engine/workerElectron.ts).
import { register } from 'tsx/esm/api';

register();
await import('./eigenThread.ts');
