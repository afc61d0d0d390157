#!/usr/bin/env node
// The ntk-workbench command. Runs the TypeScript sources directly through tsx's loader, so it works in a
// fresh clone after `npm install` alone (no build, no install scripts needed). This file wires the shells:
// the command line gets browser mode's entry for `serve` (adapters do not import each other).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main/cli/index.ts');
const serve = async (argv) => (await import('../src/main/server/main.ts')).serveMain(argv);
const code = await main(process.argv.slice(2), { serve });
process.exitCode = code;
