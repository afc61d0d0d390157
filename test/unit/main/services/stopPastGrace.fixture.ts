/**
 * Child process of stopPastGrace.test.ts: four onnxruntime runs, each stopped with a grace of 1 ms while it
 * steps, so its worker is almost surely inside an onnxruntime call when the grace runs out. Prints each
 * outcome as a JSON line and exits 0 after the host's dispose; a worker terminated inside the call would have
 * aborted this process instead (exit 134, "terminate called after throwing an instance of 'Napi::Error'").
 */
import { EngineHost } from '../../../../src/main/services/engineHost';
import type { RunOutcome } from '../../../../src/main/engine/protocol';
import { defaultConfig, type Config } from '../../../../src/shared/config/schema';

const host = new EngineHost({ threads: 1, graceMs: 1 });
const config: Config = {
  ...defaultConfig(),
  samples: 400,
  testSamples: 0,
  inputDim: 50,
  hiddenWidth: 8000,
  steps: 100_000,
  trackEvery: 100_000,
  backend: 'onnx',
  dtype: 'float32',
  targetLossRatio: 0,
};
for (let i = 0; i < 4; i++) {
  let asked = false;
  const outcome = await new Promise<RunOutcome>((resolve) => {
    const h = host.startRun(`grace-${i}`, config, {
      onMeta: () => undefined,
      onRecords: (rs) => {
        // Well into the GD steps, which run in onnxruntime nearly all the time.
        if (!asked && rs.some((r) => r.step >= 5)) {
          asked = true;
          h.stop();
        }
      },
      onDone: (o) => resolve(o),
    });
  });
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
await host.dispose();
