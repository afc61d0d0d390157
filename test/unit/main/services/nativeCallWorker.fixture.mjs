// Bootstrap of nativeCallWorker.fixture.ts (as src/main/engine/workerEntry.mjs bootstraps the engine worker).
import { register } from 'tsx/esm/api';

register();
await import('./nativeCallWorker.fixture.ts');
