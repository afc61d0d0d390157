/**
 * The CLI as scripts/node-bundle.mjs compiles it into out/node/<stamp>/cli/bundled.mjs (issue 13: start-up
 * without tsx's loader): the same `main`, with the engine worker taken from the bundle beside it
 * (out/node/<stamp>/engine/workerElectron.mjs, which is also the symmetric products' helper thread).
 */
import { setDefaultWorker } from '../services/engineHost';

setDefaultWorker(() => new URL('../engine/workerElectron.mjs', import.meta.url));

// bin/ntk-workbench.mjs hands over the engine worker it started while this module loaded.
export { offerEarlyWorker } from '../services/engineHost';

export { main } from './index';
