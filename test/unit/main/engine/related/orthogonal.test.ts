import { describe, expect, it } from 'vitest';
import { initParams } from '../../../../../src/main/engine/autoencoder/init';
import { outputScale } from '../../../../../src/main/engine/autoencoder/model';
import { tracedEmpiricalNtk } from '../../../../../src/main/engine/ntk/empiricalNtk';
import { regimeKernel } from '../../../../../src/main/engine/ntk/infiniteKernels';
import { sphereData } from '../../../../../src/main/engine/datasets/synthetic';
import { createRng, STREAMS } from '../../../../../src/main/engine/random';
import { MeanEstimate, expectMeanNear, upperTriangle } from './monteCarlo';

/**
 * SPEC §10.5 (Huang, Du & Xu): the infinite-width NTK of orthogonally initialized networks is the Gaussian
 * one. For the autoencoder this holds in expectation at every width (§5.4: the kernels depend on w only through
 * its direction and E‖w‖²), and the finite-width kernel fluctuates less.
 */
describe('orthogonal vs Gaussian initialization of the autoencoder (SPEC §10.5)', () => {
  const d = 4;
  const n = 5;
  const m = 64;
  const { X } = sphereData(createRng(2, STREAMS.data), d, n);
  X[1]! *= 1.7; // a non-unit input
  const scales = { kappa: 0.8, nu: 1.3 };
  const limit = regimeKernel('joint', X, d, n, scales);

  const draws = (init: 'gaussian' | 'orthogonal'): MeanEstimate => {
    const est = new MeanEstimate(n * n);
    for (let s = 0; s < 200; s++) {
      const { W, V } = initParams({ m, d, init, ...scales, tied: false }, createRng(900 + s, STREAMS.init));
      est.add(tracedEmpiricalNtk({ X, d, n, m, W, V, scale: outputScale('ntk', m), regime: 'joint' }));
    }
    return est;
  };
  const gaussian = draws('gaussian');
  const orthogonal = draws('orthogonal');

  for (const [name, est] of [
    ['Gaussian', gaussian],
    ['orthogonal', orthogonal],
  ] as const) {
    it(`has a ${name} mean traced NTK equal to ν²H_enc∞ + κ²H_dec∞ within the CLT bound`, () => {
      expectMeanNear(est, limit, `${name} traced NTK`, upperTriangle(n));
    });
  }

  it('fluctuates less with orthogonal blocks than with Gaussian weights (summed variance)', () => {
    let vg = 0;
    let vo = 0;
    for (const k of upperTriangle(n)) {
      vg += gaussian.stdError(k) ** 2;
      vo += orthogonal.stdError(k) ** 2;
    }
    expect(vo).toBeLessThan(vg);
  });
});
