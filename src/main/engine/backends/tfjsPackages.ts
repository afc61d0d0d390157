/**
 * The packages behind the 'tensorflow' backend, in the order they are tried, and what to install for it: a
 * module of its own so that the backend pick (select.ts) can check they are installed without importing
 * tfjs-core through tfjsBackend.ts.
 */
export const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** What the 'tensorflow' backend needs installed. */
export const TFJS_NODE_HINT = 'install @tensorflow/tfjs-node-gpu for CUDA 11.2/cuDNN 8.1, or @tensorflow/tfjs-node';
