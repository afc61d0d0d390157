#!/usr/bin/env node
// Electronegativity scan of the Electron app's sources (main, preload, renderer): prints every finding and
// fails when any is of HIGH severity. Calls the scanner's runner directly (its CLI breaks with a newer
// commander hoisted beside it). It runs offline: the one check that downloads Electron's release list
// (AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK, which compares our Electron version with the newest release over
// the network) is left out and the scan says so; keeping Electron current is a dependency update, not a
// property of our sources.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The scanner also fetches translations over the network at start (1 s timeout, then the bundled English):
// its HTTP client is replaced by one that refuses at once, so the scan never reaches for the network.
const scannerRequire = createRequire(require.resolve('@doyensec/electronegativity/dist/runner.js'));
const offline = () => Promise.reject(Object.assign(new Error('the security scan runs offline'), { code: 'EOFFLINE' }));
offline.head = offline;
offline.get = offline;
require.cache[scannerRequire.resolve('got')] = { id: 'got', loaded: true, exports: Object.assign(offline, { default: offline }) };
const run = require('@doyensec/electronegativity/dist/runner.js');

const pkg = require(path.join(root, 'node_modules/electron/package.json'));
const OFFLINE_EXCLUDED = 'AvailableSecurityFixesGlobalCheck';
console.log(`electronegativity: ${OFFLINE_EXCLUDED} skipped (it downloads Electron's release list; this scan runs offline, with the bundled English messages)`);
const result = await run({
  input: path.join(root, 'src'),
  output: undefined,
  isSarif: false,
  customScan: [],
  excludeFromScan: [OFFLINE_EXCLUDED],
  severitySet: 'informational',
  confidenceSet: 'tentative',
  isRelative: true,
  isVerbose: false,
  electronUpgrade: undefined,
  electronVersionOverride: pkg.version,
  parserPlugins: [],
});
const issues = result.issues.map((i) => ({
  id: i.id,
  severity: i.severity.name,
  confidence: i.confidence.name,
  file: path.relative(root, path.resolve(root, 'src', i.file)),
  line: i.location?.line,
  manualReview: Boolean(i.manualReview),
}));
for (const i of issues) console.log(`${i.severity.padEnd(13)} ${i.confidence.padEnd(10)} ${i.id}  ${i.file}:${i.line}${i.manualReview ? '  (review)' : ''}`);
const high = issues.filter((i) => i.severity === 'HIGH');
console.log(
  `electronegativity: ${issues.length} findings, ${high.length} of high severity (${result.atomicChecks} atomic + ${result.globalChecks} global checks, Electron ${pkg.version})`,
);
process.exitCode = high.length === 0 ? 0 : 1;
