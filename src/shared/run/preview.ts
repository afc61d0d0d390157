/**
 * The model-view preview a run sends (RunMeta.preview at step 0, then `tracked.preview` every K steps;
 * built by engine/training/preview.ts): 2-D points with their reconstructions, MNIST thumbnails (28×28
 * arrays), or per-sample reconstruction errors ‖u(x_i) − x_i‖ (at most 512 train and 512 test samples).
 */
import { z } from 'zod';

/** A number of the preview: null where the writer stored a non-finite value (run folder format v1). */
const value = z.number().nullable();
const points = z.array(z.array(value));
const images = z.array(z.array(z.array(value)));

export const runPreviewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('points2d'), train: points, trainRecon: points, test: points, testRecon: points }),
  z.object({ kind: z.literal('mnist'), inputs: images, reconstructions: images, testInputs: images, testReconstructions: images }),
  z.object({ kind: z.literal('errors'), train: z.array(value), test: z.array(value), truncated: z.boolean() }),
]);

/** The model-view preview (see the module doc); the engine builds it with plain numbers. */
export type RunPreview = z.infer<typeof runPreviewSchema>;
