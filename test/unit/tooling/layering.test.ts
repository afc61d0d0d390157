import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function lint(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-properties').map((m) => m.message);
}

describe('layering rules (STYLE.md §2)', () => {
  it.each([
    ['src/shared/x.ts', "import fs from 'node:fs';\nexport const a = fs;", 'no environment-specific imports'],
    ['src/shared/x.ts', "import { a } from '../main/services/workbench';\nexport const b = a;", 'may not import from main'],
    ['src/main/engine/theory/x.ts', "import fs from 'node:fs';\nexport const a = fs;", 'pure numerics'],
    ['src/main/engine/theory/x.ts', "import * as ort from 'onnxruntime-node';\nexport const a = ort;", 'only inside src/main/engine/backends'],
    ['src/main/engine/theory/x.ts', 'export const a = Math.random();', 'seeded generator'],
    ['src/main/services/x.ts', "import { runTraining } from '../engine/training';\nexport const a = runTraining;", 'through engineHost'],
    ['src/main/server/x.ts', "import { app } from 'electron';\nexport const a = app;", 'no electron here'],
    ['src/main/cli/x.ts', "import { buildDataset } from '../engine/datasets';\nexport const a = buildDataset;", 'never the engine directly'],
    [
      'src/renderer/src/x.ts',
      "import { WorkbenchService } from '../../main/services/workbench';\nexport const a = WorkbenchService;",
      'imports shared and itself only',
    ],
    ['src/renderer/src/x.ts', "import fs from 'node:fs';\nexport const a = fs;", 'sandboxed page'],
    ['src/main/electron/x.ts', "import { DESKTOP_CSP } from '../server/security';\nexport const a = DESKTOP_CSP;", 'Adapters do not import each other'],
    ['src/main/electron/x.ts', "import { main } from '../cli/index';\nexport const a = main;", 'Adapters do not import each other'],
    ['src/main/server/x.ts', "import { attachIpc } from '../electron/ipcAdapter';\nexport const a = attachIpc;", 'Adapters do not import each other'],
    ['src/main/server/x.ts', "import { main } from '../cli/index';\nexport const a = main;", 'Adapters do not import each other'],
    ['src/main/cli/commands/x.ts', "import { serveMain } from '../../server/main';\nexport const a = serveMain;", 'Adapters do not import each other'],
    ['src/main/cli/x.ts', "import { attachIpc } from '../electron/ipcAdapter';\nexport const a = attachIpc;", 'Adapters do not import each other'],
    ['src/main/engine/datasets/x.ts', "import { createRequire } from 'node:module';\nexport const a = createRequire;", 'pure numerics'],
  ])('%s: refuses a wrong import with a message naming the right door', async (file, code, msg) => {
    const messages = await lint(file, code);
    expect(messages.join('\n')).toContain(msg);
  });

  it('allows the doors the table allows', async () => {
    expect(await lint('src/main/services/x.ts', "import type { RunOutcome } from '../engine/protocol';\nexport type A = RunOutcome;")).toEqual([]);
    expect(await lint('src/main/engine/backends/x.ts', "import * as ort from 'onnxruntime-node';\nexport const a = ort;")).toEqual([]);
    expect(await lint('src/renderer/src/x.ts', "import { parseConfig } from '../../shared/config/schema';\nexport const a = parseConfig;")).toEqual([]);
  });
});
