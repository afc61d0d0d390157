/**
 * Kernel (ridge) regression with any kernel of the app: f(x) = Y (K + ρI)⁻¹ q(x), q(x) = [k(x₁, x), …, k(xₙ, x)].
 *
 * It is the k → ∞ frozen-kernel prediction of SPEC §6 from u₀ ≡ 0 with targets Y (the initial residual is
 * E(0) = −Y), so it is computed by theory/linearized.ts's linearizedModel + predictLinearized — the same
 * code as the memorization predictor u_∞(x) = X H⁻¹ q(x), never a copy. One eigendecomposition of K serves
 * every ridge and every test set.
 */
import { WorkbenchException } from '../../../shared/api/result';
import { linearizedModel, predictLinearized, type LinearizedModel } from '../theory/linearized';

/** A fitted kernel regression: K's eigendecomposition and the targets. */
export interface KernelRegression {
  /** predictions on test points from the cross kernel Q = k(train, test) [n, nTest] → [p, nTest] */
  predict(Q: Float64Array, nTest: number): Float64Array;
  /** fitted values on the training points, K(K + ρI)⁻¹ Y applied row-wise → [p, n] */
  fitted(): Float64Array;
  ridge: number;
  n: number;
  p: number;
  /** λ(K), ascending */
  eigenvalues: Float64Array;
}

/**
 * Fits kernel ridge regression on the Gram matrix K [n, n] (symmetric p.s.d.) with targets Y [p, n]
 * (row a = output a over the samples; the autoencoder's task has Y = X) and ridge ρ ≥ 0. ρ = 0 uses the
 * pseudo-inverse (eigenvalues ≤ 1e-12·λ_max dropped), i.e. the interpolating kernel predictor of SPEC §6.
 */
export function fitKernelRegression(
  K: Float64Array,
  n: number,
  Y: Float64Array,
  p: number,
  ridge: number,
  signal?: { readonly aborted: boolean },
): KernelRegression {
  if (!Number.isFinite(ridge) || ridge < 0) throw new WorkbenchException('invalid-request', `ridge: expected a number ≥ 0, got ${ridge}`);
  if (Y.length !== p * n) throw new RangeError(`fitKernelRegression: Y has ${Y.length} entries, expected [p=${p}, n=${n}] = ${p * n}`);
  const E0 = new Float64Array(Y.length);
  for (let i = 0; i < Y.length; i++) E0[i] = -Y[i]!;
  // The step size only enters finite-k predictions, which kernel regression never asks for.
  const model: LinearizedModel = linearizedModel(K, n, E0, p, 0, undefined, signal);
  return {
    predict: (Q, nTest) => predictLinearized(model, Q, nTest, Infinity, undefined, ridge),
    fitted: () => predictLinearized(model, K, n, Infinity, undefined, ridge),
    ridge,
    n,
    p,
    eigenvalues: model.eigenvalues,
  };
}

/** Class scores of a one-vs-rest kernel regression and the predicted labels. */
export interface KernelClassification {
  /** [classes, nTest]: regression onto the ±1 one-hot codes */
  scores: Float64Array;
  predicted: number[];
  accuracy: number | null;
}

/**
 * Classification by kernel regression onto one-hot ±1 codes (one output per class), predicting the class of
 * largest score. `labels` are integers in [0, classes); `testLabels`, when given, yield the accuracy.
 */
export function classifyByKernelRegression(
  K: Float64Array,
  n: number,
  labels: readonly number[],
  classes: number,
  ridge: number,
  Q: Float64Array,
  nTest: number,
  testLabels?: readonly number[],
): KernelClassification {
  if (labels.length !== n) throw new RangeError(`classifyByKernelRegression: ${labels.length} labels for ${n} samples`);
  const Y = new Float64Array(classes * n).fill(-1);
  labels.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new WorkbenchException('invalid-data', `labels[${i}]: expected an integer in [0, ${classes}), got ${c}`);
    Y[c * n + i] = 1;
  });
  const scores = fitKernelRegression(K, n, Y, classes, ridge).predict(Q, nTest);
  const predicted: number[] = [];
  for (let j = 0; j < nTest; j++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[c * nTest + j]! > scores[best * nTest + j]!) best = c;
    predicted.push(best);
  }
  let accuracy: number | null = null;
  if (testLabels) {
    if (testLabels.length !== nTest) throw new RangeError(`classifyByKernelRegression: ${testLabels.length} test labels for ${nTest} test samples`);
    accuracy = predicted.filter((c, j) => c === testLabels[j]).length / Math.max(1, nTest);
  }
  return { scores, predicted, accuracy };
}
