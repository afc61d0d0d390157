#!/usr/bin/env node
// The ntk-workbench command. Runs the TypeScript sources directly through tsx's loader, so it works in a
// fresh clone after `npm install` alone (no build, no install scripts needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
