#!/usr/bin/env node
// Electronegativity scan of the Electron app's sources (main, preload, renderer): prints every finding and
// fails when any is of HIGH severity. Calls the scanner's runner directly (its CLI breaks with a newer
// commander hoisted beside it).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = require('@doyensec/electronegativity/dist/runner.js');

const pkg = require(path.join(root, 'node_modules/electron/package.json'));
const result = await run({
  input: path.join(root, 'src'),
  output: undefined,
  isSarif: false,
  customScan: [],
  excludeFromScan: [],
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
console.log(`electronegativity: ${issues.length} findings, ${high.length} of high severity (${result.atomicChecks} atomic + ${result.globalChecks} global checks, Electron ${pkg.version})`);
process.exitCode = high.length === 0 ? 0 : 1;
