import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../../..');
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('linalg/index.ts is the only door into src/main/engine/linalg (ESLint)', () => {
  it.each([
    ['src/main/engine/theory/x.ts', "import { symvUpper } from '../linalg/symv';\nexport const a = symvUpper;"],
    ['src/main/engine/x.ts', "import { gemmNT } from './linalg/gemm';\nexport const a = gemmNT;"],
    ['src/main/engine/backends/x.ts', "import { createTileKernel } from '../linalg/simdGemm';\nexport const a = createTileKernel;"],
    ['src/main/engine/worker.ts', "import { setSymvThreads } from './linalg/symvThreads';\nexport const a = setSymvThreads;"],
    ['bench/cases/x.ts', "import { symmetricEigen } from '../../src/main/engine/linalg/symmetricEigen';\nexport const a = symmetricEigen;"],
  ])('%s: refuses a private module, naming the door', async (file, code) => {
    expect((await restricted(file, code)).join('\n')).toContain("import from its index.ts (…/engine/linalg), the folder's public face");
  });

  it('lets the folder use its own files, and everyone else its index', async () => {
    expect(await restricted('src/main/engine/linalg/x.ts', "import { gemmNT } from './gemm';\nexport const a = gemmNT;")).toEqual([]);
    expect(await restricted('src/main/engine/theory/x.ts', "import { gemmNT } from '../linalg';\nexport const a = gemmNT;")).toEqual([]);
    expect(await restricted('src/main/engine/x.ts', "import { gemmNT } from './linalg/index';\nexport const a = gemmNT;")).toEqual([]);
    expect(await restricted('bench/cases/x.ts', "import { gemmNT } from '../../src/main/engine/linalg';\nexport const a = gemmNT;")).toEqual([]);
  });
});
