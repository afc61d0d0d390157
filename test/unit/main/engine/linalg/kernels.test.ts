import { describe, expect, it } from 'vitest';
import { assembleKernels } from '../../../../../scripts/build-kernels';
import * as generated from '../../../../../src/main/engine/linalg/kernels/wasm.generated';

describe('the WebAssembly kernels (src/main/engine/linalg/kernels)', () => {
  it('are exactly what wabt assembles from their .wat sources (npm run kernels rewrites the generated module)', async () => {
    const kernels = await assembleKernels();
    expect(kernels.map((k) => k.file)).toEqual(['rotate.wat', 'symv.wat', 'tiles.wat', 'triangular.wat']);
    const constants = generated as Record<string, Uint8Array>;
    for (const k of kernels) {
      const bytes = constants[k.constant];
      expect(bytes, `${k.constant} missing from wasm.generated.ts: run npm run kernels`).toBeDefined();
      expect(Array.from(bytes!), `${k.file} differs from ${k.constant}: run npm run kernels`).toEqual(Array.from(k.bytes));
    }
    // No constant without its source.
    expect(Object.keys(constants).sort()).toEqual(kernels.map((k) => k.constant).sort());
  });

  it('validate in this runtime (SIMD, and a shared memory for symv)', () => {
    for (const [name, bytes] of Object.entries(generated)) expect(WebAssembly.validate(bytes), name).toBe(true);
  });
});
