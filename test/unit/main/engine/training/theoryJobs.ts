/** A theory job for the tests of the threads that compute it (the theory thread, the engine's thread aside). */
import type { TheoryJobInput } from '../../../../../src/main/engine/training';
import { buildDataset } from '../../../../../src/main/engine/datasets';
import type { Config } from '../../../../../src/shared/config/schema';

/** A theory job for `cfg`'s data, with outputs near the inputs. */
export function theoryJobOf(cfg: Config): TheoryJobInput {
  const data = buildDataset(cfg);
  const { X, d, n, Xtest, nTest } = data;
  return {
    config: cfg,
    data: { name: data.name, X, d, n, Xtest, nTest, warnings: data.warnings },
    m: cfg.hiddenWidth,
    U0: X.map((x, k) => 0.5 * x + 0.01 * Math.sin(k)),
    Utest0: new Float64Array(d * nTest),
    learningRates: { encoder: 0.2, decoder: 0.2 },
    rates: { etaW: 0.2, etaV: 0.2 },
    lossWeight: 1,
    scale: 1 / Math.sqrt(cfg.hiddenWidth),
    tooLarge: null,
  };
}
