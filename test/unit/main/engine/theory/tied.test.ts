import { describe, expect, it } from 'vitest';
import { tiedDiagnostics } from '../../../../../src/main/engine/theory/tied';
import { sphereData } from '../../../../../src/main/engine/datasets/synthetic';
import { createRng } from '../../../../../src/main/engine/random';

describe('tiedDiagnostics()', () => {
  it('predicts u₀ ≈ (√m/2)x and L(0) ≈ ½n(√m/2 − 1)² for s = 1/√m, κ = 1, unit data (Prop. D1)', () => {
    const m = 400,
      n = 5;
    const t = tiedDiagnostics({ s: 1 / Math.sqrt(m), m, kappa: 1, d: 8, sampleNormsSq: new Array<number>(n).fill(1) });
    expect(t.outputScale).toBeCloseTo(Math.sqrt(m) / 2, 12);
    expect(t.predictedInitialLossMeanTerm).toBeCloseTo(0.5 * n * (Math.sqrt(m) / 2 - 1) ** 2, 10);
    expect(t.tiedNtkScale).toBeCloseTo(1, 12);
    expect(t.explanation).toMatch(/no non-degenerate infinite-width kernel/);
  });

  it('predicts a vanishing tied NTK s²mκ² = c·s for O(1)-output scalings (Prop. D3)', () => {
    const m = 10_000;
    const t = tiedDiagnostics({ s: 1 / m, m, kappa: 1, d: 8, sampleNormsSq: [1, 1] });
    expect(t.outputScale).toBeCloseTo(0.5, 14);
    expect(t.tiedNtkScale).toBeCloseTo(1 / m, 14);
    expect(t.predictedInitialLossMeanTerm).toBeCloseTo(2 / 8, 14);
  });

  it('matches a Monte-Carlo mean of ‖u₀(x) − x‖² over random tied networks (CLT bound)', () => {
    const d = 6,
      m = 50,
      n = 3,
      draws = 4000;
    const kappa = 0.8;
    const s = 1 / Math.sqrt(m);
    const { X } = sphereData(createRng(1, 0), d, n);
    const t = tiedDiagnostics({ s, m, kappa, d, sampleNormsSq: [1, 1, 1] });
    const rng = createRng(2, 2);
    const W = new Float64Array(m * d);
    const losses = new Float64Array(draws);
    for (let k = 0; k < draws; k++) {
      rng.fillNormal(W, kappa);
      let L = 0;
      for (let i = 0; i < n; i++) {
        const u = new Float64Array(d);
        for (let r = 0; r < m; r++) {
          let z = 0;
          for (let a = 0; a < d; a++) z += W[r * d + a]! * X[a * n + i]!;
          if (z > 0) for (let a = 0; a < d; a++) u[a]! += s * W[r * d + a]! * z;
        }
        for (let a = 0; a < d; a++) L += 0.5 * (u[a]! - X[a * n + i]!) ** 2;
      }
      losses[k] = L;
    }
    const mean = losses.reduce((a, b) => a + b, 0) / draws;
    const sd = Math.sqrt(losses.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1));
    expect(Math.abs(mean - t.predictedInitialLoss) / (sd / Math.sqrt(draws))).toBeLessThan(5);
  });
});
